# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import fields, models

from .crm_rotation_pool import ROTATION_REASONS


class CrmRotationLog(models.Model):
    """One decision of a rotation pool: who got a new lead, and why."""

    _name = "crm.rotation.log"
    _description = "Lead Rotation Decision"
    _order = "id desc"
    _rec_name = "lead_id"

    pool_id = fields.Many2one(
        "crm.rotation.pool", string="Pool", required=True, index=True, ondelete="cascade",
        readonly=True,
    )
    company_id = fields.Many2one(related="pool_id.company_id", store=True, index=True)
    lead_id = fields.Many2one(
        "crm.lead", string="Lead", index="btree_not_null", ondelete="set null", readonly=True
    )
    partner_id = fields.Many2one(
        "res.partner", string="Customer", ondelete="set null", readonly=True
    )
    user_id = fields.Many2one(
        "res.users", string="Assigned To", required=True, index=True, ondelete="cascade",
        readonly=True,
    )
    reason = fields.Selection(ROTATION_REASONS, required=True, readonly=True)
    turn = fields.Integer(
        readonly=True,
        help="Rotation turn number within the pool (0 for sticky and fallback decisions).",
    )
    covered_user_id = fields.Many2one(
        "res.users", string="Covering For", ondelete="set null", readonly=True,
        help="The customer's rep, who was away: the lead went to the rotation instead.",
    )
    skipped = fields.Text(
        string="Skipped Members", readonly=True,
        help="Members passed over for this lead, and why.",
    )
