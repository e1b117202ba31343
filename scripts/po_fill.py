"""Fill translations into the web catalogs: ``python scripts/po_fill.py [LANG] < pairs.tsv``.

Each input line is ``English message id<TAB>translation``. Every catalog of LANG (default zh_CN)
under cleanheat/web/locale that holds the id gets the translation (and loses a fuzzy mark). Ids
found nowhere are listed on stderr (run scripts/i18n.sh first so the catalogs know them).
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

LOCALE = Path(__file__).resolve().parent.parent / "cleanheat" / "web" / "locale"


def main() -> int:
    lang = sys.argv[1] if len(sys.argv) > 1 else "zh_CN"
    pairs: dict[str, str] = {}
    for line in sys.stdin.read().splitlines():
        if line.strip() and "\t" in line:
            mid, text = line.split("\t", 1)
            pairs[mid.replace("\\n", "\n")] = text.replace("\\n", "\n")
    seen: set[str] = set()
    for po in sorted((LOCALE / lang / "LC_MESSAGES").glob("*.po")):
        with po.open("rb") as f:
            catalog = read_po(f, locale=lang)
        changed = False
        for message in catalog:
            if isinstance(message.id, str) and message.id in pairs:
                message.string = pairs[message.id]
                message.flags.discard("fuzzy")
                seen.add(message.id)
                changed = True
        if changed:
            with po.open("wb") as f:
                write_po(f, catalog, width=0, omit_header=False, sort_output=True)
    missing = sorted(set(pairs) - seen)
    for mid in missing:
        print(f"not in any {lang} catalog: {mid!r}", file=sys.stderr)
    return 1 if missing else 0


if __name__ == "__main__":
    raise SystemExit(main())
