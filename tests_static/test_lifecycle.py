# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Install and uninstall the addon on a real database, keeping every Salesperson.

Runs only with Odoo present (``make test`` sets CRM_RM_ODOO=1 and the DB settings).
"""
import os
import re
import subprocess
import sys
import textwrap

import pytest

ADDON = "crm_relationship_manager"


def _odoo_args(db):
    return [
        f"--db_host={os.environ['CRM_RM_DB_HOST']}",
        f"--db_port={os.environ['CRM_RM_DB_PORT']}",
        f"--db_user={os.environ['CRM_RM_DB_USER']}",
        f"--addons-path={os.environ['CRM_RM_ADDONS_PATH']}",
        "-d", db,
    ]


def _odoo(db, *extra):
    subprocess.run([sys.executable, "-m", "odoo", *_odoo_args(db), "--stop-after-init",
                    "--no-http", "--log-level=warn", *extra], check=True)


def _script(db, body, log=None):
    """Run ``body`` with ``env`` (superuser) in the database; return its JSON ``out``.

    Odoo's log (warnings and errors) is appended to ``log`` when given.
    """
    code = textwrap.dedent(
        """
        import json, sys
        import odoo
        from odoo import api
        odoo.tools.config.parse_config(sys.argv[1:])
        registry = odoo.modules.registry.Registry(odoo.tools.config["db_name"])
        with registry.cursor() as cr:
            env = api.Environment(cr, odoo.SUPERUSER_ID, {})
            out = {}
        """
    ) + textwrap.indent(textwrap.dedent(body), "    ") + "\n    print(json.dumps(out))\n"
    res = subprocess.run([sys.executable, "-c", code, *_odoo_args(db), "--log-level=warn"],
                         check=True, capture_output=True, text=True)
    if log is not None:
        log.append(res.stderr)
    import json
    return json.loads(res.stdout.strip().splitlines()[-1])


def _column_type(db):
    return _script(db, """
        cr.execute("SELECT udt_name FROM information_schema.columns "
                   "WHERE table_name='res_partner' AND column_name='user_id'")
        out['type'] = cr.fetchone()[0]
        cr.execute("SELECT to_regclass('crm_relationship') IS NOT NULL")
        out['rel_table'] = cr.fetchone()[0]
        cr.execute("SELECT count(*) FROM pg_constraint WHERE conname='res_partner_user_id_fkey'")
        out['fkey'] = cr.fetchone()[0]
        cr.execute("SELECT udt_name FROM information_schema.columns "
                   "WHERE table_name='res_partner' AND column_name='crm_rm_user_id'")
        out['per_company'] = (cr.fetchone() or [None])[0]
    """)


@pytest.mark.odoo
def test_install_uninstall_keeps_salespersons():
    import psycopg2

    db = f"crm_rm_lifecycle_{os.getpid()}"
    conn_args = dict(host=os.environ["CRM_RM_DB_HOST"], port=os.environ["CRM_RM_DB_PORT"],
                     user=os.environ["CRM_RM_DB_USER"], dbname="postgres")
    try:
        _odoo(db, "-i", "crm", "--without-demo=all")
        before = _script(db, """
            user = env['res.users'].create({'name': 'Rep One', 'login': 'rep.one',
                'groups_id': [(6, 0, [env.ref('sales_team.group_sale_salesman').id])]})
            customer = env['res.partner'].create({'name': 'Lifecycle Co', 'is_company': True,
                                                  'user_id': user.id})
            out.update(user=user.id, customer=customer.id)
        """)
        assert _column_type(db) == {"type": "int4", "rel_table": False, "fkey": 1,
                                    "per_company": None}

        _odoo(db, "-i", ADDON, "--without-demo=all")
        installed = _script(db, f"""
            customer = env['res.partner'].browse({before['customer']})
            rel = env['crm.relationship'].search([('partner_id', '=', customer.id),
                                                  ('is_current', '=', True)])
            out.update(rep=customer.user_id.id, rel_user=rel.user_id.id, rel_count=len(rel))
            other = env['res.users'].create({{'name': 'Rep Two', 'login': 'rep.two'}})
            customer.user_id = other
            out['new_rep'] = other.id
            out['history'] = env['crm.relationship'].search_count(
                [('partner_id', '=', customer.id)])
        """)
        assert installed["rep"] == before["user"]
        assert installed["rel_user"] == before["user"] and installed["rel_count"] == 1
        assert installed["history"] == 2
        # Odoo's column is left as Odoo defines it; the per-company values are the addon's
        assert _column_type(db) == {"type": "int4", "rel_table": True, "fkey": 1,
                                    "per_company": "jsonb"}

        log = []
        _script(db, f"""
            env['ir.module.module'].search([('name', '=', '{ADDON}')]).button_immediate_uninstall()
        """, log=log)
        # Odoo catches the failed deletions of an uninstall and goes on: only its log tells
        errors = [line for line in log[0].splitlines() if re.search(r" (ERROR|CRITICAL) ", line)]
        assert not errors, "the uninstall logged errors:\n" + "\n".join(errors)
        after = _script(db, f"""
            module = env['ir.module.module'].search([('name', '=', '{ADDON}')])
            customer = env['res.partner'].browse({before['customer']})
            out.update(state=module.state, rep=customer.user_id.id)
        """)
        assert after == {"state": "uninstalled", "rep": installed["new_rep"]}
        assert _column_type(db) == {"type": "int4", "rel_table": False, "fkey": 1,
                                    "per_company": None}
    finally:
        conn = psycopg2.connect(**conn_args)
        conn.autocommit = True
        with conn.cursor() as cr:
            cr.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
        conn.close()


def _drop(db):
    import psycopg2

    conn = psycopg2.connect(host=os.environ["CRM_RM_DB_HOST"], port=os.environ["CRM_RM_DB_PORT"],
                            user=os.environ["CRM_RM_DB_USER"], dbname="postgres")
    conn.autocommit = True
    with conn.cursor() as cr:
        cr.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
    conn.close()


# the per-company Salespersons of a shared customer, a customer of B and its contact
_READ_REPS = """
    ids = json.loads(env['ir.config_parameter'].get_param('lifecycle.ids'))
    a = env.ref('base.main_company')
    b = env['res.company'].search([('name', '=', 'Lifecycle B')])
    # both companies in one transaction: the cache of user_id depends on the company
    out['reps'] = {name: [env['res.partner'].browse(pid).with_company(company).user_id.id
                          for company in (a, b)]
                   for name, pid in ids.items()}
    cr.execute("SELECT id, user_id FROM res_partner WHERE id = ANY(%s)", [list(ids.values())])
    out['plain'] = {str(pid): uid for pid, uid in cr.fetchall()}
"""


@pytest.mark.odoo
def test_update_of_a_module_loaded_before_keeps_salespersons():
    """``-u crm`` (a module loaded before the addon, that extends res.partner)
    succeeds with the addon installed, and every per-company Salesperson stays."""
    db = f"crm_rm_update_{os.getpid()}"
    try:
        _odoo(db, "-i", ADDON, "--without-demo=all")
        before = _script(db, """
            a = env.ref('base.main_company')
            b = env['res.company'].create({'name': 'Lifecycle B'})
            group = env.ref('sales_team.group_sale_salesman').id
            def rep(login, companies):
                return env['res.users'].create({
                    'name': login, 'login': login, 'company_id': companies[0].id,
                    'company_ids': [(6, 0, companies.ids)], 'groups_id': [(6, 0, [group])]})
            rep_a, rep_b = rep('rep.a', a), rep('rep.b', b)
            shared = env['res.partner'].create({'name': 'Shared Co', 'is_company': True,
                                                'company_id': False})
            shared.with_company(a).user_id = rep_a
            shared.with_company(b).user_id = rep_b
            customer_b = env['res.partner'].create({'name': 'B Co', 'is_company': True,
                                                    'company_id': b.id, 'user_id': rep_b.id})
            contact_b = env['res.partner'].create({'name': 'B Person', 'parent_id': customer_b.id,
                                                   'company_id': b.id})
            ids = {'shared': shared.id, 'customer_b': customer_b.id, 'contact_b': contact_b.id}
            env['ir.config_parameter'].set_param('lifecycle.ids', json.dumps(ids))
            out.update(rep_a=rep_a.id, rep_b=rep_b.id, ids=ids)
        """)
        read = _script(db, _READ_REPS)
        rep_a, rep_b = before["rep_a"], before["rep_b"]
        expected = {"shared": [rep_a, rep_b], "customer_b": [rep_b, rep_b],
                    "contact_b": [rep_b, rep_b]}
        assert read["reps"] == expected

        # raises CalledProcessError ("Failed to load registry": cannot cast jsonb
        # object to type integer) with the Salesperson stored in Odoo's column
        # converted to jsonb
        _odoo(db, "-u", "crm")
        after = _script(db, _READ_REPS)
        assert after == read
        # Odoo's own column holds the value Odoo would have without the addon
        ids = before["ids"]
        assert after["plain"] == {str(ids["shared"]): rep_a, str(ids["customer_b"]): rep_b,
                                  str(ids["contact_b"]): rep_b}
    finally:
        _drop(db)
