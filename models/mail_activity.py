# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Manual versus automated activities (Odoo 18's ``automated`` flag).

The task-follow policy 'automated' moves only activities that were not
scheduled by hand. Odoo sets the flag in ``activity_schedule`` (code, automation
rules, server actions) but leaves it false for activity plans, imports and
plain ``create`` calls (XML-RPC/JSON-RPC, other modules' code). Here an activity
is manual only when a user scheduled it in the UI: the activity form
(``web_save``), the Schedule Activity dialog and a meeting created in the
calendar. Those paths set the context key ``MANUAL_KEY``; everything else is
automated.
"""
from odoo import api, models

MANUAL_KEY = "crm_rm_activity_manual"


class MailActivity(models.Model):
    _inherit = "mail.activity"

    @api.model_create_multi
    def create(self, vals_list):
        manual = self.env.context.get(MANUAL_KEY) and not self.env.context.get("import_file")
        if not manual:
            vals_list = [dict(vals, automated=True) for vals in vals_list]
        return super().create(vals_list)

    def web_save(self, vals, specification, next_id=None):
        # the activity form of the web client: scheduled by hand
        return super(MailActivity, self.with_context(**{MANUAL_KEY: True})).web_save(
            vals, specification, next_id=next_id)
