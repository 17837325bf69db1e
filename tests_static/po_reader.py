# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""A minimal .po reader (standard library only: the static checks run without Odoo)."""
import ast
from dataclasses import dataclass, field


@dataclass
class Entry:
    msgid: str = ""
    msgstr: str = ""
    msgctxt: str = None
    flags: set = field(default_factory=set)


def read_po(path):
    """Return the entries of a .po file, the header excluded."""
    entries, entry, key = [], Entry(), None

    def flush():
        nonlocal entry
        if entry.msgid:
            entries.append(entry)
        entry = Entry()

    with open(path, encoding="utf-8") as fh:
        for line in fh:
            line = line.strip()
            if not line:
                flush()
                key = None
            elif line.startswith("#,"):
                entry.flags |= {flag.strip() for flag in line[2:].split(",")}
            elif line.startswith("#"):
                continue
            elif line.startswith(("msgctxt ", "msgid ", "msgstr ")):
                key, _, literal = line.partition(" ")
                setattr(entry, key, ast.literal_eval(literal))
            elif line.startswith('"') and key:
                setattr(entry, key, (getattr(entry, key) or "") + ast.literal_eval(line))
    flush()
    return entries
