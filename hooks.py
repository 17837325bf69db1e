# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Install/uninstall hooks.

The addon stores the Salesperson of each company in its own company-dependent
field (``res_partner.crm_rm_user_id``, jsonb) so that a customer shared by
several companies shows each company only its own rep. Odoo's plain
``res_partner.user_id`` column is left as Odoo defines it (modules loaded before
the addon expect it on every update) and kept in step by the addon, so an
uninstall has nothing to restore.
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
    _create_salesperson_column(cr)


def _create_salesperson_column(cr):
    """Create the per-company Salesperson column and fill it from Odoo's plain one.

    A partner of one company keeps its rep in that company; a shared partner
    keeps it in every company its rep works in. Created in SQL (one UPDATE) so
    that the ORM does not compute it partner by partner.
    """
    if _column_type(cr, "res_partner", "crm_rm_user_id"):
        return
    _logger.info("Creating the per-company Salesperson column res_partner.crm_rm_user_id")
    sql.create_column(cr, "res_partner", "crm_rm_user_id", "jsonb", "Salesperson in the Company")
    # each rep's companies, given as a value (a join per row costs more)
    cr.execute("SELECT user_id, jsonb_object_agg(cid::text, user_id) "
               "FROM res_company_users_rel GROUP BY user_id")
    rep_companies = {str(user_id): value for user_id, value in cr.fetchall()}
    cr.execute(
        """
        UPDATE res_partner SET crm_rm_user_id =
            CASE WHEN company_id IS NOT NULL
                      THEN jsonb_build_object(company_id::text, user_id)
                 ELSE %s::jsonb -> user_id::text
            END
         WHERE user_id IS NOT NULL
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
        cr.execute(SQL("ALTER TABLE crm_relationship DROP CONSTRAINT %s", SQL.identifier(name)))
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
            SELECT p.id, (p.crm_rm_user_id ->> %(company)s)::int, %(company_id)s, %(role)s, 'odoo',
                   now() at time zone 'UTC', true, %(reason)s, %(uid)s,
                   %(uid)s, now() at time zone 'UTC', %(uid)s, now() at time zone 'UTC'
              FROM res_partner p
              JOIN res_users u ON u.id = (p.crm_rm_user_id ->> %(company)s)::int
             WHERE p.crm_rm_user_id ? %(company)s
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
        # the definition is PostgreSQL's own text of the constraint just dropped
        cr.execute(SQL("ALTER TABLE crm_relationship ADD CONSTRAINT %s %s",
                       SQL.identifier(name), SQL(definition.replace("%", "%%"))))


def uninstall_hook(env):
    """Prepare the removal of the addon's data.

    Odoo's plain ``res_partner.user_id`` column holds the value Odoo would have
    without the addon all along: nothing to restore (Odoo drops the addon's
    ``crm_rm_user_id`` column).
    """
    cr = env.cr
    # rotation pools keep their turn counter in a sequence of their own
    cr.execute("SELECT sequence_name FROM information_schema.sequences "
               "WHERE sequence_name LIKE 'crm\\_rotation\\_pool\\_seq\\_%%'")
    for (name,) in cr.fetchall():
        cr.execute(SQL("DROP SEQUENCE IF EXISTS %s", SQL.identifier(name)))
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
        SELECT c.conname, t.relname
          FROM unnest(%s::text[], %s::text[]) AS col(tbl, name)
          JOIN pg_attribute a ON a.attrelid = to_regclass(col.tbl) AND a.attname = col.name
          JOIN pg_constraint c ON c.conrelid = a.attrelid AND c.contype = 'f'
                              AND c.conkey = ARRAY[a.attnum] AND c.confdeltype IN ('r', 'a')
          JOIN pg_class t ON t.oid = c.conrelid
        """,
        ([t for t, _n in columns], [n for _t, n in columns]),
    )
    for conname, table in cr.fetchall():
        cr.execute(SQL("ALTER TABLE %s DROP CONSTRAINT IF EXISTS %s",
                       SQL.identifier(table), SQL.identifier(conname)))
