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
        assert _column_type(db) == {"type": "int4", "rel_table": False, "fkey": 1}

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
        assert _column_type(db) == {"type": "jsonb", "rel_table": True, "fkey": 0}

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
        assert _column_type(db) == {"type": "int4", "rel_table": False, "fkey": 1}
    finally:
        conn = psycopg2.connect(**conn_args)
        conn.autocommit = True
        with conn.cursor() as cr:
            cr.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
        conn.close()
