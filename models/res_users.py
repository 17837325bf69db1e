# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import _, api, fields, models
from odoo.exceptions import AccessError


class ResUsers(models.Model):
    _inherit = "res.users"

    relationship_ids = fields.One2many(
        "crm.relationship", "user_id", string="Customer Relationships",
        domain=[("is_current", "=", True)],
    )
    relationship_count = fields.Integer(
        compute="_compute_relationship_count", string="Customers"
    )

    @api.depends("relationship_ids")
    def _compute_relationship_count(self):
        data = self.env["crm.relationship"]._read_group(
            [("user_id", "in", self.ids), ("is_current", "=", True)],
            ["user_id"], ["__count"],
        )
        counts = {user.id: count for user, count in data}
        for user in self:
            user.relationship_count = counts.get(user.id, 0)

    def action_view_relationships(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "crm_relationship_manager.crm_relationship_action"
        )
        action["domain"] = [("user_id", "=", self.id)]
        return action

    def action_manage_relationships(self):
        """Manage Relationships: a new mass reassignment of this rep's customers."""
        self.ensure_one()
        if not self.env["crm.relationship"]._is_relationship_manager():
            raise AccessError(_("Only Relationship Managers can manage relationships in bulk."))
        return {
            "type": "ir.actions.act_window",
            "name": _("Manage Relationships"),
            "res_model": "crm.relationship.batch",
            "view_mode": "form",
            "target": "current",
            "context": {
                "default_line_ids": [(0, 0, {"kind": "rep", "source_user_id": self.id})],
            },
        }
