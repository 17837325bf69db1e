# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import _, api, fields, models
from odoo.exceptions import UserError


class CrmLeadOfferWizard(models.TransientModel):
    _name = "crm.lead.offer.wizard"
    _description = "Offer Leads to Another Company"

    lead_ids = fields.Many2many("crm.lead", string="Leads", required=True)
    # a selection, not a many2one: employees may only read their own companies
    to_company = fields.Selection(
        selection="_selection_to_company", string="Offer To", required=True,
        help="The company of this database that should work on the leads too. "
             "It never sees your colleague, chatter or activities.")
    note = fields.Text(string="Message",
                       help="Shown to the receiving company with the offer.")

    @api.model
    def _selection_to_company(self):
        return [(str(company.id), company.name)
                for company in self.env["res.company"].sudo().search([])]

    @api.model
    def default_get(self, fields_list):
        res = super().default_get(fields_list)
        if "lead_ids" in fields_list and not res.get("lead_ids"):
            if self.env.context.get("active_model") == "crm.lead":
                res["lead_ids"] = [(6, 0, self.env.context.get("active_ids") or [])]
        return res

    def action_offer(self):
        self.ensure_one()
        if not self.to_company:
            raise UserError(_("Choose the company to offer the leads to."))
        company = self.env["res.company"].sudo().browse(int(self.to_company))
        self.env["crm.lead.offer"]._offer_leads(self.lead_ids, company, note=self.note)
        return {
            "type": "ir.actions.client", "tag": "display_notification",
            "params": {
                "type": "success", "sticky": False,
                "message": _("Offered to %(company)s.", company=company.name),
                "next": {"type": "ir.actions.act_window_close"},
            },
        }
