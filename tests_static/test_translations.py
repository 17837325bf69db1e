# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Every language is complete and keeps the placeholders of the source."""
import re
from pathlib import Path

import pytest
from po_reader import read_po

I18N = Path(__file__).resolve().parent.parent / "i18n"
PLACEHOLDER = re.compile(r"%\([a-z_]+\)[sd]|%[sd]|\{[a-z_]+\}")


@pytest.mark.parametrize("lang", ["de", "it", "ru"])
def test_translation_complete(lang):
    pot = read_po(I18N / "crm_relationship_manager.pot")
    po = read_po(I18N / f"{lang}.po")
    assert pot, "empty .pot"
    assert {(e.msgctxt, e.msgid) for e in pot} == {(e.msgctxt, e.msgid) for e in po}, (
        "merge the .pot into the .po (tools/i18n.py)")
    untranslated = [e.msgid for e in po if not e.msgstr or "fuzzy" in e.flags]
    assert not untranslated, untranslated[:5]
    for entry in po:
        assert sorted(PLACEHOLDER.findall(entry.msgid)) == sorted(
            PLACEHOLDER.findall(entry.msgstr)), (lang, entry.msgid, entry.msgstr)
