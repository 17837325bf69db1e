# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import fields, models


class CrmLeadOfferDecline(models.TransientModel):
    _name = "crm.lead.offer.decline"
    _description = "Decline a Lead Offer"

    offer_ids = fields.Many2many("crm.lead.offer", string="Offers", required=True)
    reason = fields.Text(help="Shown to the offering company.")

    def action_decline(self):
        self.ensure_one()
        self.offer_ids.action_decline(reason=self.reason)
        return {"type": "ir.actions.act_window_close"}
