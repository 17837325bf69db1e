# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import models

from ..context_keys import ACTIVITY_MANUAL as MANUAL_KEY
from ..context_keys import SERVER


class MailActivitySchedule(models.TransientModel):
    _inherit = "mail.activity.schedule"

    def _crm_rm_manual(self):
        """The wizard in the context that flags the activities it creates as
        scheduled by hand (a server flag: a client cannot send it)."""
        return self.with_context(**{MANUAL_KEY: SERVER})

    def _action_schedule_activities(self):
        # The Schedule Activity dialog, one activity type: the user scheduled it.
        return super(MailActivitySchedule, self._crm_rm_manual()
                     )._action_schedule_activities().with_env(self.env)

    def action_schedule_plan(self):
        # The same dialog, an activity plan: the user chose to launch it, so its
        # activities are scheduled by hand too (as in Odoo).
        return super(MailActivitySchedule, self._crm_rm_manual()).action_schedule_plan()
