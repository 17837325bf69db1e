# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The customer form says when the customer's rep is away and who covers."""
from odoo import api, fields, models


class ResPartner(models.Model):
    _inherit = "res.partner"

    crm_rm_cover_note = fields.Char(
        string="Temporary Cover", compute="_compute_crm_rm_cover_note",
        groups="crm_relationship_manager.group_relationship_associate",
        help="The customer's rep in the current company is away: who covers, until when.")

    @api.depends_context("company", "tz")
    def _compute_crm_rm_cover_note(self):
        today = fields.Date.context_today(self)
        company = self.env.company
        reps = self.commercial_partner_id.sudo().with_company(company).crm_rm_user_id
        covers = self.env["crm.rep.cover"]._covers_of(reps, company, today)
        for partner in self:
            rep = partner.commercial_partner_id.sudo().with_company(company).crm_rm_user_id
            cover = covers.get((rep.id, company.id))
            partner.crm_rm_cover_note = cover._cover_note() if cover else False
