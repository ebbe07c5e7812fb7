"""Fill zh_Hans translations from 'msgid<TAB>msgstr' lines on stdin; report what is still missing."""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

PO = Path(__file__).resolve().parent.parent / "translations/zh_Hans/LC_MESSAGES/messages.po"


def main() -> int:
    with PO.open("rb") as f:
        catalog = read_po(f, locale="zh_Hans")
    for line in sys.stdin.read().splitlines():
        if "\t" not in line:
            continue
        msgid, msgstr = line.split("\t", 1)
        msgid = msgid.replace("\\n", "\n")
        if msgid in catalog:
            catalog[msgid].string = msgstr.replace("\\n", "\n")
            catalog[msgid].flags.discard("fuzzy")
        else:
            print(f"not in catalogue: {msgid!r}", file=sys.stderr)
    with PO.open("wb") as f:
        write_po(f, catalog, width=0, omit_header=False, sort_output=True)
    missing = [m.id for m in catalog if m.id and not m.string]
    for m in missing:
        print(f"untranslated: {m!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
