# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import _, api, fields, models


class CrmRelationshipUpdate(models.TransientModel):
    """Update Relationship: give one or more customers a new rep for a role."""

    _name = "crm.relationship.update"
    _description = "Update Relationship"

    partner_ids = fields.Many2many(
        "res.partner", string="Customers", required=True,
        domain="[('is_company', '=', True)]",
    )
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company,
        domain=lambda self: [("id", "in", self.env.companies.ids)],
    )
    role_id = fields.Many2one(
        "crm.relationship.role", string="Role", required=True,
        default=lambda self: self.env.company._get_relationship_primary_role(),
    )
    current_user_ids = fields.Many2many(
        "res.users", string="Current Reps", compute="_compute_current_user_ids"
    )
    user_id = fields.Many2one(
        "res.users", string="New Rep", required=True,
        domain="[('share', '=', False), ('company_ids', 'in', company_id)]",
    )
    reason = fields.Char()

    @api.depends("partner_ids", "company_id", "role_id")
    def _compute_current_user_ids(self):
        for wizard in self:
            rels = self.env["crm.relationship"].search([
                ("partner_id", "in", wizard.partner_ids.commercial_partner_id.ids),
                ("company_id", "=", wizard.company_id.id),
                ("role_id", "=", wizard.role_id.id),
                ("is_current", "=", True),
            ])
            wizard.current_user_ids = rels.user_id

    def action_apply(self):
        self.ensure_one()
        self.env["crm.relationship"].with_company(self.company_id)._assign(
            self.partner_ids, self.user_id, role=self.role_id, company=self.company_id,
            source="odoo", reason=self.reason,
        )
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success",
                "message": _("%(count)s customer(s) now handled by %(rep)s as %(role)s.",
                             count=len(self.partner_ids.commercial_partner_id),
                             rep=self.user_id.name, role=self.role_id.name),
                "next": {"type": "ir.actions.act_window_close"},
            },
        }
