# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""18.0.1.1.0: mass reassignment items are read and written chunk by chunk.

One (batch_id, chunk) index replaces the separate batch_id and state indexes
(Odoo keeps an index it no longer expects), and the relationship a batch created
is found through its batch instead of being stored on each item.
"""


def migrate(cr, version):
    if not version:
        return
    cr.execute("DROP INDEX IF EXISTS crm_relationship_batch_item__batch_id_index")
    cr.execute("DROP INDEX IF EXISTS crm_relationship_batch_item__state_index")
    cr.execute("ALTER TABLE crm_relationship_batch_item DROP COLUMN IF EXISTS new_relationship_id")
