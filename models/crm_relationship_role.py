# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import fields, models


class CrmRelationshipRole(models.Model):
    _name = "crm.relationship.role"
    _description = "Relationship Role"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    description = fields.Text(translate=True)
    relationship_count = fields.Integer(
        compute="_compute_relationship_count", string="Current relationships"
    )

    _sql_constraints = [
        ("name_uniq", "unique(name)", "A relationship role with this name already exists."),
    ]

    def _compute_relationship_count(self):
        data = self.env["crm.relationship"]._read_group(
            [("role_id", "in", self.ids), ("is_current", "=", True)],
            ["role_id"],
            ["__count"],
        )
        counts = {role.id: count for role, count in data}
        for role in self:
            role.relationship_count = counts.get(role.id, 0)
