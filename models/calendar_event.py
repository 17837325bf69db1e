# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import models

from .mail_activity import MANUAL_KEY


class CalendarEvent(models.Model):
    _inherit = "calendar.event"

    def web_save(self, vals, specification, next_id=None):
        # a meeting created in the calendar by a user: its activity is manual
        return super(CalendarEvent, self.with_context(**{MANUAL_KEY: True})).web_save(
            vals, specification, next_id=next_id)
