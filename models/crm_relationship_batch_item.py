# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, fields, models, tools

ITEM_STATES = [
    ("pending", "Pending"),
    ("done", "Done"),
    ("skipped", "Skipped"),
    ("error", "Error"),
    ("reverted", "Reverted"),
]


class CrmRelationshipBatchItem(models.Model):
    """One customer relationship (customer, company, role) changed by a batch.

    Items are computed by the preview and again when the batch starts, with the
    same deterministic distribution, so the preview is what the batch does.
    They are written set-wise (SQL) by the batch: never one query per item.
    """

    _name = "crm.relationship.batch.item"
    _description = "Mass Reassignment Item"
    _order = "batch_id, chunk, id"
    # written set-wise by the batch only: no per-row create/write user and date
    # (two foreign keys less to check per row of a 100,000-customer batch)
    _log_access = False

    # indexed with ``chunk`` (see init): the batch reads and writes its items
    # chunk by chunk
    batch_id = fields.Many2one(
        "crm.relationship.batch", required=True, ondelete="cascade", readonly=True
    )
    line_id = fields.Many2one(
        "crm.relationship.batch.line", ondelete="cascade", readonly=True, index=True
    )
    partner_id = fields.Many2one(
        "res.partner", string="Customer", required=True, ondelete="cascade", readonly=True,
        index=True,
    )
    company_id = fields.Many2one("res.company", required=True, readonly=True, ondelete="cascade")
    role_id = fields.Many2one(
        "crm.relationship.role", required=True, readonly=True, ondelete="cascade"
    )
    old_user_id = fields.Many2one("res.users", string="Previous Rep", readonly=True)
    # empty only in a revert, for a customer who had no rep before the batch
    new_user_id = fields.Many2one("res.users", string="New Rep", readonly=True)
    state = fields.Selection(ITEM_STATES, default="pending", required=True, readonly=True)
    note = fields.Char(readonly=True)
    previous_relationship_id = fields.Many2one(
        "crm.relationship", readonly=True, ondelete="set null"
    )
    # the relationship the batch created (it carries the batch): found, not
    # stored, so that marking a chunk's items done is one narrow UPDATE
    new_relationship_id = fields.Many2one(
        "crm.relationship", compute="_compute_new_relationship_id"
    )
    chunk = fields.Integer(readonly=True, help="Chunk (transaction) the item is processed in.")
    leads_moved = fields.Integer(readonly=True)

    def init(self):
        tools.create_index(self.env.cr, "crm_relationship_batch_item_batch_chunk_index",
                           self._table, ["batch_id", "chunk"])

    @api.depends("batch_id", "partner_id", "company_id", "role_id", "state")
    def _compute_new_relationship_id(self):
        done = self.filtered(lambda item: item.state in ("done", "reverted"))
        rels = self.env["crm.relationship"].sudo().search_fetch(
            [("batch_id", "in", done.batch_id.ids), ("partner_id", "in", done.partner_id.ids)],
            ["batch_id", "partner_id", "company_id", "role_id"])
        by_key = {(rel.batch_id.id, rel.partner_id.id, rel.company_id.id, rel.role_id.id): rel.id
                  for rel in rels}
        for item in self:
            item.new_relationship_id = by_key.get(
                (item.batch_id.id, item.partner_id.id, item.company_id.id, item.role_id.id)
            ) if item in done else False
