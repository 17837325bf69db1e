# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import _, api, fields, models
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
    _description = "Transfer Customer"

    partner_ids = fields.Many2many(
        "res.partner", string="Customers", required=True,
        domain="[('is_company', '=', True)]",
    )
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company,
        domain=lambda self: [("id", "in", self.env.companies.ids)],
    )
    current_user_ids = fields.Many2many(
        "res.users", string="Current Reps", compute="_compute_current_user_ids"
    )
    user_id = fields.Many2one(
        "res.users", string="New Rep", required=True,
        domain="[('share', '=', False), ('company_ids', 'in', company_id)]",
    )
    reason = fields.Selection(TRANSFER_REASONS, required=True, default="territory")
    note = fields.Char(help="Recorded with the reason in the relationship history.")

    @api.depends("partner_ids", "company_id")
    def _compute_current_user_ids(self):
        for wizard in self:
            rels = self.env["crm.relationship"].search([
                ("partner_id", "in", wizard.partner_ids.commercial_partner_id.ids),
                ("company_id", "=", wizard.company_id.id),
                ("role_id", "=", wizard.company_id._get_relationship_primary_role().id),
                ("is_current", "=", True),
            ])
            wizard.current_user_ids = rels.user_id

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
