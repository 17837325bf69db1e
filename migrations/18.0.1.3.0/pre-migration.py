# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""18.0.1.3.0: Odoo's ``res_partner.user_id`` is a plain column again.

Up to 18.0.1.2.0 the per-company Salesperson was stored in Odoo's own column,
turned into jsonb: updating a module loaded before the addon (``-u crm``,
``-u base``...) then failed, Odoo casting the column back to an integer. The
per-company values move to the addon's ``crm_rm_user_id`` column; ``user_id``
is re-created with the value Odoo would have without the addon (the rep of the
partner's own company, else the one of the lowest company).

Runs before the registry loads the addon's models, on ``-u
crm_relationship_manager`` (an update of a module loaded before the addon must
wait until this migration has run).
"""
import logging

from odoo.tools import SQL

_logger = logging.getLogger(__name__)


def _column_type(cr, table, column):
    cr.execute("SELECT udt_name FROM information_schema.columns "
               "WHERE table_name = %s AND column_name = %s", (table, column))
    row = cr.fetchone()
    return row and row[0]


def migrate(cr, version):
    if not version or _column_type(cr, "res_partner", "user_id") != "jsonb":
        return
    _logger.info("Moving the per-company Salespersons to res_partner.crm_rm_user_id")
    cr.execute("ALTER TABLE res_partner DROP CONSTRAINT IF EXISTS res_partner_user_id_fkey")
    if _column_type(cr, "res_partner", "crm_rm_user_id"):
        cr.execute("ALTER TABLE res_partner DROP COLUMN crm_rm_user_id")
    cr.execute("ALTER TABLE res_partner RENAME COLUMN user_id TO crm_rm_user_id")
    cr.execute("SELECT DISTINCT jsonb_object_keys(crm_rm_user_id) FROM res_partner "
               "WHERE jsonb_typeof(crm_rm_user_id) = 'object'")
    companies = sorted(int(key) for (key,) in cr.fetchall() if key.isdigit())
    # one ALTER ... ADD with a default expression would also rewrite the table;
    # a plain ADD + one UPDATE of the partners with a rep is cheaper
    cr.execute("ALTER TABLE res_partner ADD COLUMN user_id int4")
    cr.execute(SQL(
        "UPDATE res_partner SET user_id = COALESCE(%s) "
        "WHERE jsonb_typeof(crm_rm_user_id) = 'object' AND crm_rm_user_id <> '{}'",
        SQL(", ").join([
            SQL("(crm_rm_user_id ->> company_id::text)::int"),
            *(SQL("(crm_rm_user_id ->> %s)::int", str(company)) for company in companies),
        ]),
    ))
    # a rep deleted meanwhile is no one's Salesperson
    cr.execute(
        "UPDATE res_partner p SET user_id = NULL WHERE p.user_id IS NOT NULL "
        "AND NOT EXISTS (SELECT 1 FROM res_users u WHERE u.id = p.user_id)"
    )
    cr.execute(
        "ALTER TABLE res_partner ADD CONSTRAINT res_partner_user_id_fkey FOREIGN KEY "
        "(user_id) REFERENCES res_users(id) ON DELETE SET NULL"
    )
