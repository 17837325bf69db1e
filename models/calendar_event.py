# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, fields, models

from ..context_keys import SERVER
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
        events = self.sudo()
        # one query for the leads linked by res_model/res_id, not one per meeting
        existing = Lead.browse(set(events.filtered(
            lambda e: not e.opportunity_id and e.res_model == "crm.lead" and e.res_id
        ).mapped("res_id"))).exists()
        companies = {lead.id: lead.company_id for lead in existing}
        for event in events:
            lead = event.opportunity_id
            if lead:
                event.crm_rm_lead_company_id = lead.company_id
            elif event.res_model == "crm.lead" and event.res_id:
                event.crm_rm_lead_company_id = companies.get(event.res_id, False)
            else:
                event.crm_rm_lead_company_id = False

    def _search_crm_rm_lead_company_id(self, operator, value):
        """Meetings linked to no lead, or whose leads have a company in ``value``."""
        leads = self.env["crm.lead"]._crm_rm_company_lead_query(operator, value)
        return [
            "|", ("res_model", "!=", "crm.lead"), ("res_id", "in", leads),
            "|", ("opportunity_id", "=", False), ("opportunity_id", "in", leads),
        ]

    def web_save(self, vals, specification, next_id=None):
        # a meeting created in the calendar by a user: its activity is manual
        return super(CalendarEvent, self.with_context(**{MANUAL_KEY: SERVER})).web_save(
            vals, specification, next_id=next_id)
