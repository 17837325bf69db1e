# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, fields, models


class CrmRelationshipBatchTarget(models.Model):
    """A rep who receives customers of a batch line, with an optional share."""

    _name = "crm.relationship.batch.target"
    _description = "Mass Reassignment Target Rep"
    _order = "sequence, id"

    line_id = fields.Many2one(
        "crm.relationship.batch.line", required=True, ondelete="cascade", index=True
    )
    batch_id = fields.Many2one(related="line_id.batch_id", store=True, index=True)
    company_id = fields.Many2one(related="line_id.batch_id.company_id", store=True)
    sequence = fields.Integer(default=10)
    user_id = fields.Many2one(
        "res.users",
        string="Representative",
        required=True,
        ondelete="restrict",
        domain="[('share', '=', False)]",
    )
    share = fields.Float(
        string="Share (%)",
        digits=(5, 2),
        help="Percentage of the line's customers given to this rep when the line "
        "is distributed by given shares (e.g. 50/30/20).",
    )
    preview_count = fields.Integer(
        string="Customers", readonly=True,
        help="Customers this rep receives, as computed by the last preview.",
    )
    preview_before = fields.Integer(
        string="Load Before", readonly=True,
        help="Balance workload: the rep's current load (customers or open leads, as the "
        "line balances), as computed by the last preview.",
    )
    preview_after = fields.Integer(
        string="Load After", readonly=True,
        help="Balance workload: the rep's load once the batch is done, as computed by the "
        "last preview.",
    )

    @api.model_create_multi
    def create(self, vals_list):
        targets = super().create(vals_list)
        targets.line_id.batch_id._check_editable()
        return targets

    def write(self, vals):
        batches = self.line_id.batch_id
        batches._check_editable()
        res = super().write(vals)
        (batches | self.line_id.batch_id)._check_editable()  # also the batch it moved to
        return res

    def unlink(self):
        self.line_id.batch_id._check_editable()
        return super().unlink()
