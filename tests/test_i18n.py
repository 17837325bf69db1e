# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import io
from pathlib import Path

import polib

from odoo.tests import TransactionCase, tagged
from odoo.tools.translate import trans_export

I18N = Path(__file__).resolve().parent.parent / "i18n"


@tagged("post_install", "-at_install")
class TestTranslationsCurrent(TransactionCase):
    def test_pot_is_current(self):
        """The committed .pot holds exactly the terms Odoo exports now
        (regenerate it with tools/i18n.py)."""
        buf = io.BytesIO()
        trans_export(False, ["crm_relationship_manager"], buf, "po", self.env.cr)
        exported = {(e.msgctxt, e.msgid) for e in polib.pofile(buf.getvalue().decode())}
        committed = {(e.msgctxt, e.msgid) for e in polib.pofile(str(I18N / "crm_relationship_manager.pot"))}
        self.assertFalse(exported - committed, "terms missing from the .pot")
        self.assertFalse(committed - exported, "stale terms in the .pot")
