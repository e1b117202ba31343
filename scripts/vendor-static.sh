#!/usr/bin/env bash
# Vendor the web application's front-end files from the npm registry.
#
# Fetches pinned package tarballs with `npm pack` into a temporary directory
# (nothing is installed into the repository), verifies each tarball's sha512
# integrity against the value pinned below, copies the built files and the
# licence texts into cleanheat/web/static/vendor/<folder>/ (folder_for below), strips the
# sourceMappingURL comments (so a browser requests no missing .map file), and
# writes cleanheat/web/static/vendor/VERSIONS.md with the sha256 of every
# vendored file. tests/web/test_static_vendor.py checks the result.
#
# To refresh: change a version below, set its integrity to "-", run the script;
# it prints the new tarball's integrity: pin it here and run again.
#
#   scripts/vendor-static.sh            # from the repository root (or anywhere)
#
# Needs: npm (registry access), node, sha256sum, tar.

set -euo pipefail

# name  version  expected npm integrity (sha512, as in the registry's dist.integrity)
PACKAGES=(
    "htmx.org 2.0.11 sha512-Thx/WtpeOQqSrqBCw/A1cwGJGg4UrVa3+sW0GmrM3p4gJgO89ecH4qtbnyzDDWFvBTqjnIMCgELTNt636dtamA=="
    "echarts 6.1.0 sha512-q0yaFPggC9FUdsWH4blavRWFmxdrIodbkoKNAjJudAI6CA9gNPxHtV2RcZNEepZVlk4yvBYkOkbk6HIVpIyHZA=="
    "bootstrap 5.3.9 sha512-20cU0rcfw8WdxtVbmfU+xT2EjvVTw9Ror/h1Qvd7DXCujRg8OO9mdBCsmTHdJFf3BuadmBNJtgIuUXsBqSkk/w=="
    "bootstrap-icons 1.13.2 sha512-fAU1Ly3dH7hwRg+CB8EZ0Vl0fF80zgXHeUVJyfUOKzoURr+TbwISbCW5tKUoQLERaWYG2emTCybcPbD96hdD1A=="
)

# Folder of each package under vendor/: a Python-package-like name (no dot, no hyphen), so that
# setuptools' namespace discovery takes each folder as a package and its package-data globs apply.
folder_for() {
    case "$1" in
        htmx.org) echo "htmx" ;;
        bootstrap-icons) echo "bootstrap_icons" ;;
        *) echo "$1" ;;
    esac
}

# Files taken from each package: "source path in the tarball => destination under vendor/<name>/".
files_for() {
    case "$1" in
        htmx.org)
            echo "dist/htmx.min.js=>htmx.min.js"
            echo "LICENSE=>LICENSE"
            ;;
        echarts)
            echo "dist/echarts.min.js=>echarts.min.js"
            echo "LICENSE=>LICENSE"
            echo "NOTICE=>NOTICE"
            echo "licenses/LICENSE-d3=>LICENSE-d3"
            ;;
        bootstrap)
            echo "dist/css/bootstrap.min.css=>bootstrap.min.css"
            echo "dist/js/bootstrap.bundle.min.js=>bootstrap.bundle.min.js"
            echo "LICENSE=>LICENSE"
            ;;
        bootstrap-icons)
            # the stylesheet loads fonts/bootstrap-icons.woff2 (woff as the fallback), relative to itself
            echo "font/bootstrap-icons.min.css=>bootstrap-icons.min.css"
            echo "font/fonts/bootstrap-icons.woff2=>fonts/bootstrap-icons.woff2"
            echo "font/fonts/bootstrap-icons.woff=>fonts/bootstrap-icons.woff"
            echo "LICENSE=>LICENSE"
            ;;
        *)
            echo "no file list for $1" >&2
            return 1
            ;;
    esac
}

# Licence of each package, as its package.json says (checked below).
licence_for() {
    node -e 'process.stdout.write(String(require(process.argv[1]).license))' "$1/package.json"
}

# sha512 integrity string of a file, computed here rather than taken from npm's output.
integrity_of() {
    node -e '
        const fs = require("fs"), crypto = require("crypto");
        const digest = crypto.createHash("sha512").update(fs.readFileSync(process.argv[1])).digest("base64");
        process.stdout.write("sha512-" + digest);
    ' "$1"
}

# The one bootstrap-icons rule: vendor it only if its font and css are small enough.
ICONS_LIMIT_BYTES=$((1024 * 1024))

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
vendor="$root/cleanheat/web/static/vendor"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

command -v npm >/dev/null || { echo "npm is needed" >&2; exit 1; }
command -v node >/dev/null || { echo "node is needed" >&2; exit 1; }

staged="$work/vendor"
mkdir -p "$staged"
rows=()
failed=0

for entry in "${PACKAGES[@]}"; do
    read -r name version expected <<<"$entry"
    echo "== $name@$version"
    (cd "$work" && npm pack --silent --ignore-scripts "$name@$version" >/dev/null)
    tarball="$work/$(echo "$name" | sed 's/^@//; s#/#-#')-$version.tgz"
    [[ -f "$tarball" ]] || { echo "npm pack produced no $tarball" >&2; exit 1; }
    integrity="$(integrity_of "$tarball")"
    if [[ "$expected" == "-" ]]; then
        echo "   not pinned yet; integrity of this tarball: $integrity (pin it in $0)"
    elif [[ "$integrity" != "$expected" ]]; then
        echo "   integrity mismatch: expected $expected, got $integrity" >&2
        failed=1
        continue
    fi
    unpacked="$work/unpacked/$name"
    mkdir -p "$unpacked"
    tar -xzf "$tarball" -C "$unpacked"
    pkg="$unpacked/package"
    got_version="$(node -e 'process.stdout.write(require(process.argv[1]).version)' "$pkg/package.json")"
    [[ "$got_version" == "$version" ]] || { echo "   tarball is version $got_version, not $version" >&2; exit 1; }
    licence="$(licence_for "$pkg")"

    folder="$(folder_for "$name")"
    dest="$staged/$folder"
    total=0
    while IFS= read -r spec; do
        src="${spec%%=>*}"
        dst="${spec##*=>}"
        [[ -f "$pkg/$src" ]] || { echo "   $src is missing from $name@$version" >&2; exit 1; }
        mkdir -p "$(dirname "$dest/$dst")"
        case "$dst" in
            *.js | *.css)
                # drop the source-map comment (`//# sourceMappingURL=…` or `/*# sourceMappingURL=… */`)
                sed -E 's@(//|/\*)[#@] sourceMappingURL=[^ *]*( \*/)?$@@' "$pkg/$src" >"$dest/$dst"
                ;;
            *)
                cp "$pkg/$src" "$dest/$dst"
                ;;
        esac
        total=$((total + $(stat -c %s "$dest/$dst")))
    done < <(files_for "$name")

    if [[ "$name" == "bootstrap-icons" && "$total" -gt "$ICONS_LIMIT_BYTES" ]]; then
        echo "   skipped: $total bytes > $ICONS_LIMIT_BYTES"
        rm -rf "$dest"
        continue
    fi
    echo "   $licence, $total bytes"
    rows+=("$name|$version|$licence|$folder|$integrity")
done

[[ "$failed" -eq 0 ]] || { echo "integrity check failed; nothing changed" >&2; exit 1; }

# VERSIONS.md: one table of packages, one of files (path relative to vendor/, sha256 after stripping).
{
    echo "# Vendored front-end files"
    echo
    echo "Written by \`scripts/vendor-static.sh\`; do not edit by hand. Each package's built files come from"
    echo "its npm registry tarball (\`npm pack\`), checked against the sha512 integrity below. The sha256 of a"
    echo "\`.js\` or \`.css\` file is of the vendored copy, whose \`sourceMappingURL\` comment is removed."
    echo "\`tests/web/test_static_vendor.py\` checks every file against this list."
    echo
    echo "| package | version | licence | folder | npm tarball integrity |"
    echo "|---|---|---|---|---|"
    for row in "${rows[@]}"; do
        IFS='|' read -r name version licence folder integrity <<<"$row"
        echo "| $name | $version | $licence | $folder | \`$integrity\` |"
    done
    echo
    echo "| file | bytes | sha256 |"
    echo "|---|---|---|"
    for row in "${rows[@]}"; do
        IFS='|' read -r _ _ _ folder _ <<<"$row"
        (cd "$staged" && find "$folder" -type f | LC_ALL=C sort) | while IFS= read -r rel; do
            sum="$(sha256sum "$staged/$rel" | cut -d' ' -f1)"
            echo "| $rel | $(stat -c %s "$staged/$rel") | $sum |"
        done
    done
} >"$staged/VERSIONS.md"

# Replace the vendor folder only now that everything is fetched and checked.
rm -rf "$vendor"
mkdir -p "$(dirname "$vendor")"
cp -r "$staged" "$vendor"
echo "wrote $vendor ($(du -sb "$vendor" | cut -f1) bytes)"
