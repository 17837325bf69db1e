# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, fields, models

from .mail_activity import MANUAL_KEY


class CalendarEvent(models.Model):
    _inherit = "calendar.event"

    # Only used by the record rule crm_lead_colleague_security.xml: Odoo lets every
    # employee read every non-private meeting; a meeting of a lead would reveal the
    # lead's colleague (organizer, attendees) to another company.
    crm_rm_lead_company_id = fields.Many2one(
        "res.company", string="Company of the Meeting's Lead",
        compute="_compute_crm_rm_lead_company_id", search="_search_crm_rm_lead_company_id")

    @api.depends("res_model", "res_id", "opportunity_id")
    def _compute_crm_rm_lead_company_id(self):
        Lead = self.env["crm.lead"].sudo().with_context(active_test=False)
        for event in self.sudo():
            lead = event.opportunity_id
            if not lead and event.res_model == "crm.lead" and event.res_id:
                lead = Lead.browse(event.res_id).exists()
            event.crm_rm_lead_company_id = lead.company_id if lead else False

    def _search_crm_rm_lead_company_id(self, operator, value):
        """Meetings linked to no lead, or whose leads have a company in ``value``."""
        leads = self.env["crm.lead"]._crm_rm_company_lead_query(operator, value)
        return [
            "|", ("res_model", "!=", "crm.lead"), ("res_id", "in", leads),
            "|", ("opportunity_id", "=", False), ("opportunity_id", "in", leads),
        ]

    def web_save(self, vals, specification, next_id=None):
        # a meeting created in the calendar by a user: its activity is manual
        return super(CalendarEvent, self.with_context(**{MANUAL_KEY: True})).web_save(
            vals, specification, next_id=next_id)
