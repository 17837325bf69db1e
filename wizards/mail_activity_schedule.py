# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import models

from ..models.mail_activity import MANUAL_KEY
from ..server_context import SERVER


class MailActivitySchedule(models.TransientModel):
    _inherit = "mail.activity.schedule"

    def _action_schedule_activities(self):
        # The Schedule Activity dialog: scheduled by hand (activity plans, in
        # action_schedule_plan, stay automated).
        return super(
            MailActivitySchedule, self.with_context(**{MANUAL_KEY: SERVER})
        )._action_schedule_activities().with_env(self.env)
