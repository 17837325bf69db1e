# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    relationship_primary_role_id = fields.Many2one(
        related="company_id.relationship_primary_role_id", readonly=False
    )
    task_follow_policy = fields.Selection(
        related="company_id.task_follow_policy", readonly=False, required=True
    )
    customer_import_retention_days = fields.Integer(
        related="company_id.customer_import_retention_days", readonly=False
    )
