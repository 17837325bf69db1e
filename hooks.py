# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Install/uninstall hooks.

The addon stores the standard Salesperson (``res_partner.user_id``) per company
(a ``company_dependent`` jsonb column) so that a customer shared by several
companies shows each company only its own rep. Odoo cannot cast an integer
column to jsonb by itself, so the conversion is done here, and undone on
uninstall, without losing any value.
"""
import logging

from psycopg2.extras import Json

from odoo.tools import SQL, sql

_logger = logging.getLogger(__name__)


def _column_type(cr, table, column):
    cr.execute(
        "SELECT udt_name FROM information_schema.columns "
        "WHERE table_name = %s AND column_name = %s",
        (table, column),
    )
    row = cr.fetchone()
    return row and row[0]


def pre_init_hook(env):
    cr = env.cr
    _create_external_ref_columns(cr)
    _create_lead_colleague_column(cr)
    if _column_type(cr, "res_partner", "user_id") != "int4":
        return
    _logger.info("Converting res_partner.user_id to a per-company (jsonb) column")
    cr.execute("ALTER TABLE res_partner DROP CONSTRAINT IF EXISTS res_partner_user_id_fkey")
    # A partner of one company keeps its rep in that company; a shared partner
    # keeps it in every company its rep works in. One ALTER ... TYPE rewrites the
    # table once (an UPDATE of every row would also update every index of it);
    # its USING expression may not query other tables, hence the map of each
    # rep's companies given as a value.
    cr.execute("SELECT user_id, jsonb_object_agg(cid::text, user_id) "
               "FROM res_company_users_rel GROUP BY user_id")
    rep_companies = {str(user_id): value for user_id, value in cr.fetchall()}
    cr.execute(
        """
        ALTER TABLE res_partner ALTER COLUMN user_id TYPE jsonb USING
            CASE WHEN user_id IS NULL THEN NULL
                 WHEN company_id IS NOT NULL
                      THEN jsonb_build_object(company_id::text, user_id)
                 ELSE %s::jsonb -> user_id::text
            END
        """,
        (Json(rep_companies),),
    )


def _create_external_ref_columns(cr):
    """Create the customer number and its stored key, empty, before Odoo does.

    ``external_ref_key`` is a stored computed field: a column Odoo creates
    itself is filled by computing the key of every existing partner through the
    ORM (minutes on a large database). The customer number is new, so every key
    is empty: two empty columns are the same result, at no cost.
    """
    if _column_type(cr, "res_partner", "external_ref") or _column_type(
            cr, "res_partner", "external_ref_key"):
        return
    sql.create_column(cr, "res_partner", "external_ref", "varchar", "Customer Number")
    sql.create_column(cr, "res_partner", "external_ref_key", "varchar", "External Ref Key")


def _create_lead_colleague_column(cr):
    """Fill ``crm_lead.colleague_id`` (a stored copy of ``user_id``) in one UPDATE.

    Left to Odoo, the new stored related field is computed and written lead by
    lead through the ORM: minutes for tens of thousands of leads.
    """
    from .models.crm_lead import CrmLead

    field = CrmLead.__dict__.get("colleague_id")
    if field is None or field.args.get("related") != "user_id" or not field.args.get("store"):
        return
    if not sql.table_exists(cr, "crm_lead") or _column_type(cr, "crm_lead", "colleague_id"):
        return
    sql.create_column(cr, "crm_lead", "colleague_id", "int4", field.args.get("string"))
    cr.execute("UPDATE crm_lead SET colleague_id = user_id WHERE user_id IS NOT NULL")


def post_init_hook(env):
    """Create the current relationships of the existing Salespersons."""
    cr = env.cr
    # The table is new: load it without its foreign keys, whose per-row checks
    # cost three times the insert itself, then put them back (one check each).
    cr.execute("SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
               "WHERE conrelid = 'crm_relationship'::regclass AND contype = 'f'")
    foreign_keys = cr.fetchall()
    for name, _definition in foreign_keys:
        cr.execute(f'ALTER TABLE crm_relationship DROP CONSTRAINT "{name}"')
    for company in env["res.company"].search([]):
        role = company._get_relationship_primary_role()
        if not role:
            continue
        # commercial entities only: contacts follow their commercial entity
        cr.execute(
            """
            INSERT INTO crm_relationship (partner_id, user_id, company_id, role_id, source,
                                          date_start, is_current, reason, changed_by_id,
                                          create_uid, create_date, write_uid, write_date)
            SELECT p.id, (p.user_id ->> %(company)s)::int, %(company_id)s, %(role)s, 'odoo',
                   now() at time zone 'UTC', true, %(reason)s, %(uid)s,
                   %(uid)s, now() at time zone 'UTC', %(uid)s, now() at time zone 'UTC'
              FROM res_partner p
              JOIN res_users u ON u.id = (p.user_id ->> %(company)s)::int
             WHERE p.user_id ? %(company)s
               AND p.commercial_partner_id = p.id
            ON CONFLICT DO NOTHING
            """,
            {
                "company": str(company.id),
                "company_id": company.id,
                "role": role.id,
                "reason": "Salesperson at installation",
                "uid": env.uid,
            },
        )
    for name, definition in foreign_keys:
        cr.execute(f'ALTER TABLE crm_relationship ADD CONSTRAINT "{name}" {definition}')


def uninstall_hook(env):
    """Prepare the removal of the addon's data; the Salesperson column is restored later.

    Odoo runs this hook *before* it deletes the addon's records (roles, demo
    users and companies, ...) through the ORM of the registry that still has the
    per-company Salesperson. That ORM reads and writes ``res_partner.user_id`` as
    jsonb (deleting a user clears it from the jsonb values), so the column stays
    jsonb here; :func:`restore_plain_salesperson` converts it once the records
    are gone (see ``ir.module.module.module_uninstall``, models/ir_module_module.py).
    """
    cr = env.cr
    # rotation pools keep their turn counter in a sequence of their own
    cr.execute("SELECT sequence_name FROM information_schema.sequences "
               "WHERE sequence_name LIKE 'crm\\_rotation\\_pool\\_seq\\_%%'")
    for (name,) in cr.fetchall():
        cr.execute(f'DROP SEQUENCE IF EXISTS "{name}"')
    _drop_restricting_foreign_keys(env)


def _drop_restricting_foreign_keys(env):
    """Drop the RESTRICT foreign keys of the many2one columns the uninstall drops.

    Odoo deletes the addon's records (roles, demo users, companies, ...) before
    it drops the addon's tables and columns. A history row (``crm_relationship``)
    or the company's Salesperson role still points to them at that moment with
    ``ondelete='restrict'``, so the deletion fails; Odoo retries once the tables
    are gone and logs an SQL error reading the dropped ``crm_relationship_role``.
    These columns are dropped with the addon anyway: their constraints go first.
    """
    cr = env.cr
    cr.execute(
        """
        SELECT f.model, f.name
          FROM ir_model_fields f
          JOIN ir_model_data d ON d.model = 'ir.model.fields' AND d.res_id = f.id
                              AND d.module = 'crm_relationship_manager'
         WHERE f.ttype = 'many2one' AND f.store
           AND NOT EXISTS (SELECT 1 FROM ir_model_data o
                            WHERE o.model = 'ir.model.fields' AND o.res_id = f.id
                              AND o.module <> 'crm_relationship_manager')
        """
    )
    columns = [
        (env.registry[model]._table, name)
        for model, name in cr.fetchall()
        if model in env.registry and not env.registry[model]._abstract
    ]
    if not columns:
        return
    cr.execute(
        """
        SELECT c.conname, c.conrelid::regclass::text
          FROM unnest(%s::text[], %s::text[]) AS col(tbl, name)
          JOIN pg_attribute a ON a.attrelid = to_regclass(col.tbl) AND a.attname = col.name
          JOIN pg_constraint c ON c.conrelid = a.attrelid AND c.contype = 'f'
                              AND c.conkey = ARRAY[a.attnum] AND c.confdeltype IN ('r', 'a')
        """,
        ([t for t, _n in columns], [n for _t, n in columns]),
    )
    for conname, table in cr.fetchall():
        cr.execute(f'ALTER TABLE {table} DROP CONSTRAINT IF EXISTS "{conname}"')


def restore_plain_salesperson(cr):
    """Turn the per-company ``res_partner.user_id`` back into Odoo's plain column.

    Called once the addon's records are deleted, before Odoo reloads the registry
    without the addon (which expects an int4 column).
    """
    if _column_type(cr, "res_partner", "user_id") != "jsonb":
        return
    _logger.info("Restoring res_partner.user_id to a plain column")
    # Keep the rep of the partner's own company, else the one of the lowest
    # company. One ALTER ... TYPE rewrites the table once (an UPDATE of every row
    # would also update every index of it); its USING expression may not hold a
    # subquery, hence the companies found in the column spelled out in order.
    cr.execute("SELECT DISTINCT jsonb_object_keys(user_id) FROM res_partner "
               "WHERE jsonb_typeof(user_id) = 'object'")
    companies = sorted(int(key) for (key,) in cr.fetchall() if key.isdigit())
    cr.execute(SQL(
        "ALTER TABLE res_partner ALTER COLUMN user_id TYPE int4 USING "
        "CASE WHEN jsonb_typeof(user_id) = 'object' THEN COALESCE(%s) END",
        SQL(", ").join([
            SQL("(user_id ->> company_id::text)::int"),
            *(SQL("(user_id ->> %s)::int", str(company)) for company in companies),
        ]),
    ))
    # a rep deleted while the addon was installed is no one's Salesperson
    cr.execute(
        "UPDATE res_partner p SET user_id = NULL WHERE p.user_id IS NOT NULL "
        "AND NOT EXISTS (SELECT 1 FROM res_users u WHERE u.id = p.user_id)"
    )
    cr.execute(
        "ALTER TABLE res_partner ADD CONSTRAINT res_partner_user_id_fkey FOREIGN KEY "
        "(user_id) REFERENCES res_users(id) ON DELETE SET NULL"
    )
