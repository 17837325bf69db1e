# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import fields, models, tools


class CrmRotationPoolState(models.Model):
    """Append-only ledger of a rotation pool's turn state.

    Every turn inserts a row (never updates one): parallel transactions that take
    turns one after the other, serialized by the lock on the pool row, then never
    write the same row, so they do not fail with serialization errors under
    PostgreSQL's REPEATABLE READ. The pool's current state is its newest row.
    Rows of a rolled-back creation disappear with it: its turn is given back.
    Old rows are pruned by the rotation scheduled action.
    """

    _name = "crm.rotation.pool.state"
    _description = "Rotation Pool Turn State"
    _order = "pool_id, seq desc"
    _log_access = False

    pool_id = fields.Many2one(
        "crm.rotation.pool", required=True, index=True, ondelete="cascade", readonly=True
    )
    seq = fields.Integer(
        required=True, readonly=True,
        help="Number from the pool's own (non-transactional) sequence: orders the rows "
        "and tells a transaction whether its snapshot has seen the newest one.",
    )
    turn = fields.Integer(required=True, readonly=True, help="Turns given so far.")
    pointer = fields.Integer(required=True, readonly=True,
                             help="Position of the next turn in the pool's turn order.")
    owed = fields.Json(readonly=True, help="Turns owed to members who were away.")

    def init(self):
        # the pool's newest row, read under the pool's lock at every turn
        tools.create_index(self.env.cr, "crm_rotation_pool_state_pool_seq_index",
                           self._table, ["pool_id", "seq"])
