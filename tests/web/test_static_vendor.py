"""The vendored front-end files: as listed in VERSIONS.md, licensed, and loading nothing from the network."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

import cleanheat

VENDOR = Path(cleanheat.__file__).parent / "web" / "static" / "vendor"

# Words that each licence's text contains; a package under a licence not listed here fails until someone looks.
LICENCE_TEXT = {
    "MIT": "Permission is hereby granted, free of charge",
    "0BSD": "Zero-Clause BSD",
    "Apache-2.0": "Apache License",
}

# http(s) addresses that vendored code may contain because a browser never loads them: XML namespaces,
# licence and documentation links in banners and error messages.
NOT_LOADED = (
    "http://www.w3.org/",
    "http://www.apache.org/licenses/",
    "https://github.com/",
    "https://getbootstrap.com/",
    "https://icons.getbootstrap.com/",
)


@dataclass(frozen=True)
class Package:
    name: str
    version: str
    licence: str
    folder: str
    integrity: str


def _table_rows(text: str, header: str) -> list[list[str]]:
    """The cells of the markdown table whose header line starts with ``header``."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(header))
    rows = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip().strip("`") for cell in line.strip().strip("|").split("|")])
    return rows


VERSIONS_MD = (VENDOR / "VERSIONS.md").read_text(encoding="utf-8")
PACKAGES = [Package(*row) for row in _table_rows(VERSIONS_MD, "| package |")]
FILES = {path: (int(size), sha256) for path, size, sha256 in _table_rows(VERSIONS_MD, "| file |")}
CODE = sorted(path for path in FILES if path.endswith((".css", ".js")))


def test_versions_md_lists_the_stack():
    names = {package.name: package for package in PACKAGES}
    assert {"htmx.org", "echarts", "bootstrap"} <= set(names)
    assert names["htmx.org"].version.startswith("2.")
    assert names["echarts"].version.split(".")[0] in {"5", "6"}
    assert names["bootstrap"].version.startswith("5.3.")
    for package in PACKAGES:
        assert re.fullmatch(r"sha512-[A-Za-z0-9+/]{86}==", package.integrity), package
        assert any(path.startswith(package.folder + "/") for path in FILES), package
    assert all(re.fullmatch(r"[0-9a-f]{64}", sha256) for _, sha256 in FILES.values())


@pytest.mark.parametrize("path", sorted(FILES))
def test_listed_file_exists_with_its_size_and_sha256(path):
    size, sha256 = FILES[path]
    data = (VENDOR / path).read_bytes()
    assert len(data) == size
    assert hashlib.sha256(data).hexdigest() == sha256


def test_no_file_outside_the_list():
    present = {path.relative_to(VENDOR).as_posix() for path in VENDOR.rglob("*") if path.is_file()}
    assert present - {"VERSIONS.md"} == set(FILES)


@pytest.mark.parametrize("package", PACKAGES, ids=lambda package: package.name)
def test_each_package_has_its_licence(package):
    path = f"{package.folder}/LICENSE"
    assert path in FILES
    assert LICENCE_TEXT[package.licence] in (VENDOR / path).read_text(encoding="utf-8")
    if package.licence == "Apache-2.0":
        assert f"{package.folder}/NOTICE" in FILES  # Apache-2.0 §4(d): the NOTICE travels with the work


@pytest.mark.parametrize("package", PACKAGES, ids=lambda package: package.name)
def test_code_files_are_the_listed_version(package):
    code = [path for path in CODE if path.startswith(package.folder + "/")]
    assert code
    for path in code:
        assert package.version in (VENDOR / path).read_text(encoding="utf-8"), path


@pytest.mark.parametrize("path", CODE)
def test_code_loads_nothing_from_the_network(path):
    text = (VENDOR / path).read_text(encoding="utf-8")
    assert "sourceMappingURL" not in text
    assert "@import" not in text
    assert not re.search(r"url\(\s*['\"]?\s*(https?:)?//", text, re.IGNORECASE)
    addresses = set(re.findall(r"https?://[^\s'\"()<>\\]+", text))
    assert {address for address in addresses if not address.startswith(NOT_LOADED)} == set()


@pytest.mark.parametrize("path", [path for path in CODE if path.endswith(".css")])
def test_css_urls_are_inline_or_vendored_files(path):
    text = (VENDOR / path).read_text(encoding="utf-8")
    targets = re.findall(r"url\(\s*['\"]?([^'\")]+)", text)
    for target in targets:
        if target.startswith("data:"):
            continue
        relative = re.split(r"[?#]", target)[0]
        assert (VENDOR / path).parent.joinpath(relative).resolve().is_file(), target
