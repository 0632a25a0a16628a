"""Fill msgstr entries of a .po file from a JSON dict {msgid: msgstr} (only empty ones).

python scripts/po_fill.py locale/en/LC_MESSAGES/django.po translations.json
"""

import json
import re
import sys
from pathlib import Path


def unquote(s: str) -> str:
    return json.loads(s)


def main(po_path: str, json_path: str) -> None:
    table = json.loads(Path(json_path).read_text(encoding="utf-8"))
    text = Path(po_path).read_text(encoding="utf-8")
    blocks = text.split("\n\n")
    out, filled = [], 0
    for block in blocks:
        m = re.search(r'^msgid ((?:".*"\n?)+)msgstr ""\s*$', block, re.M)
        if m and "msgid_plural" not in block:
            msgid = "".join(unquote(x) for x in re.findall(r'"(?:[^"\\]|\\.)*"', m.group(1)))
            if table.get(msgid):
                block = (
                    block[: m.start()]
                    + f"msgid {m.group(1).rstrip()}\nmsgstr {json.dumps(table[msgid], ensure_ascii=False)}"
                )
                block = block.replace(", fuzzy", "")
                filled += 1
        out.append(block)
    Path(po_path).write_text("\n\n".join(out), encoding="utf-8")
    print(f"filled {filled}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
