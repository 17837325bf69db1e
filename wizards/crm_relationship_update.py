# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import _, api, fields, models


class CrmRelationshipUpdate(models.TransientModel):
    """Update Relationship: give one or more customers a new rep for a role."""

    _name = "crm.relationship.update"
    _inherit = "crm.relationship.change.mixin"
    _description = "Update Relationship"

    role_id = fields.Many2one(
        "crm.relationship.role", required=True,
        default=lambda self: self.env.company._get_relationship_primary_role(),
    )
    reason = fields.Char()

    def _change_role(self):
        return self.role_id

    @api.depends("partner_ids", "company_id", "role_id")
    def _compute_current_user_ids(self):
        return super()._compute_current_user_ids()

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
