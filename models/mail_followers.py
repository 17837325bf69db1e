# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, fields, models


class MailFollowers(models.Model):
    _inherit = "mail.followers"

    # Only used by the record rule crm_lead_colleague_security.xml: Odoo lets any
    # employee read every follower; the followers of a lead are private to the
    # companies that may read the lead (they would reveal its colleague).
    crm_rm_lead_company_id = fields.Many2one(
        "res.company", string="Company of the Followed Lead",
        compute="_compute_crm_rm_lead_company_id", search="_search_crm_rm_lead_company_id")

    @api.depends("res_model", "res_id")
    def _compute_crm_rm_lead_company_id(self):
        leads = self.filtered(lambda f: f.res_model == "crm.lead")
        companies = dict(self.env["crm.lead"].sudo().with_context(active_test=False).search_fetch(
            [("id", "in", leads.mapped("res_id"))], ["company_id"]).mapped(
            lambda lead: (lead.id, lead.company_id)))
        for follower in self:
            follower.crm_rm_lead_company_id = (
                companies.get(follower.res_id) if follower.res_model == "crm.lead" else False)

    def _search_crm_rm_lead_company_id(self, operator, value):
        return [("res_model", "=", "crm.lead"),
                ("res_id", "in", self.env["crm.lead"]._crm_rm_company_lead_query(operator, value))]
