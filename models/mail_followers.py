# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, fields, models

from .mail_message import shared_partner_ids, without_stamp, written_vals


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


class MailFollowersCompanyPrivacy(models.Model):
    """The company stamp of shared customers (see models/mail_message.py)."""

    _inherit = "mail.followers"

    crm_rm_company_id = fields.Many2one(
        "res.company", string="Private to Company", readonly=True, copy=False,
        index="btree_not_null",
        help="An internal user following a customer shared by several companies, "
        "subscribed in this company (e.g. as its Salesperson): only its users see it.")

    @api.model_create_multi
    def create(self, vals_list):
        vals_list = [without_stamp(vals) for vals in vals_list]
        shared = shared_partner_ids(self.env, [
            vals.get("res_id") for vals in vals_list if vals.get("res_model") == "res.partner"])
        if shared:
            candidates = {vals.get("partner_id") for vals in vals_list
                          if vals.get("res_model") == "res.partner" and vals.get("res_id") in shared}
            employees = set(self.env["res.users"].sudo().with_context(active_test=False).search(
                [("partner_id", "in", list(candidates - {False, None})),
                 ("share", "=", False)]).partner_id.ids)
            company = self.env.company.id
            for vals in vals_list:
                if (vals.get("res_model") == "res.partner" and vals.get("res_id") in shared
                        and vals.get("partner_id") in employees):
                    vals["crm_rm_company_id"] = company
        return super().create(vals_list)

    def write(self, vals):
        vals = written_vals(self.env, vals)
        return super().write(vals)
