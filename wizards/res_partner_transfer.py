# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import _, fields, models
from odoo.exceptions import UserError

TRANSFER_REASONS = [
    ("departure", "Departure"),
    ("territory", "Territory redistribution"),
    ("promotion", "Promotion"),
    ("other", "Other"),
]


class ResPartnerTransfer(models.TransientModel):
    """Transfer Customer: move customers to a new rep with their whole history."""

    _name = "res.partner.transfer"
    _inherit = "crm.relationship.change.mixin"
    _description = "Transfer Customer"

    reason = fields.Selection(TRANSFER_REASONS, required=True, default="territory")
    note = fields.Char(help="Recorded with the reason in the relationship history.")

    def _reason_text(self):
        self.ensure_one()
        label = dict(self._fields["reason"]._description_selection(self.env))[self.reason]
        if self.note:
            return _("%(reason)s: %(note)s", reason=label, note=self.note)
        return label

    def action_transfer(self):
        self.ensure_one()
        partners = self.partner_ids.commercial_partner_id
        if not partners:
            raise UserError(_("Choose the customers to transfer."))
        self.env["res.partner"].with_company(self.company_id)._transfer_customers(
            partners, self.user_id, self.company_id, reason=self._reason_text(),
        )
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success",
                "message": _("%(count)s customer(s) transferred to %(rep)s with their open "
                             "leads, activities and future meetings.",
                             count=len(partners), rep=self.user_id.name),
                "next": {"type": "ir.actions.act_window_close"},
            },
        }
