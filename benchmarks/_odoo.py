# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Shared helpers for the benchmark scripts: open an Odoo environment on a database."""
import argparse
import contextlib
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))


def parser(description):
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--database", required=True,
                   help="a database with crm_relationship_manager installed "
                   "(e.g. the one 'make demo' creates); nothing is committed")
    p.add_argument("--db-host", default="127.0.0.1")
    p.add_argument("--db-port", default="5432")
    p.add_argument("--db-user", default="odoo")
    return p


@contextlib.contextmanager
def odoo_env(args, scratch_copy=False):
    """Yield a superuser environment; everything is rolled back at the end.

    With ``scratch_copy`` the script works on a copy of ``--database`` (``CREATE
    DATABASE ... TEMPLATE``), where it may commit as the real code does (a
    request, then the cron's transactions); the copy is dropped at the end.
    """
    import odoo_env as driver

    import odoo
    from odoo import api

    database = args.database
    if scratch_copy:
        database = _create_copy(args)
    odoo.tools.config.parse_config([
        f"--db_host={args.db_host}", f"--db_port={args.db_port}", f"--db_user={args.db_user}",
        f"--addons-path={driver.addons_path()}", "-d", database, "--log-level=warn",
    ])
    try:
        registry = odoo.modules.registry.Registry(database)
        with registry.cursor() as cr:
            env = api.Environment(cr, odoo.SUPERUSER_ID, {})
            try:
                yield env
            finally:
                cr.rollback()
    finally:
        if scratch_copy:
            odoo.modules.registry.Registry.delete(database)
            odoo.sql_db.close_db(database)
            _drop_copy(args, database)


def _admin_connection(args):
    import psycopg2

    conn = psycopg2.connect(host=args.db_host, port=args.db_port, user=args.db_user,
                            dbname="postgres")
    conn.autocommit = True
    return conn


def _create_copy(args):
    import psycopg2
    from psycopg2 import sql

    name = f"{args.database}_bench_{os.getpid()}"
    conn = _admin_connection(args)
    try:
        with conn.cursor() as cur:
            cur.execute(sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                sql.Identifier(name), sql.Identifier(args.database)))
    except psycopg2.errors.ObjectInUse as exc:
        raise SystemExit(
            f"cannot copy database {args.database!r}: other sessions use it (stop the Odoo "
            f"server running on it, or pass another database). {exc}") from None
    finally:
        conn.close()
    print(f"working on a scratch copy of {args.database}: {name} (dropped at the end)")
    return name


def _drop_copy(args, name):
    from psycopg2 import sql

    conn = _admin_connection(args)
    try:
        with conn.cursor() as cur:
            cur.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
    finally:
        conn.close()


def timed(env, fn):
    """Run ``fn`` and flush; return the wall time in seconds."""
    env.flush_all()
    env.invalidate_all()
    start = time.perf_counter()
    fn()
    env.flush_all()
    return time.perf_counter() - start


def median(values):
    return statistics.median(values)


def insert_current_relationships(cr, partner_ids, user_id, company_id, role_id):
    """Give the customers ``partner_ids`` a current relationship to ``user_id``
    (a data set built in SQL, as after an import)."""
    cr.execute(
        """
        INSERT INTO crm_relationship (partner_id, user_id, company_id, role_id, source,
                                      date_start, is_current, changed_by_id,
                                      create_date, write_date, create_uid, write_uid)
        SELECT p, %s, %s, %s, 'odoo', now() at time zone 'UTC', true, 1,
               now() at time zone 'UTC', now() at time zone 'UTC', 1, 1
          FROM unnest(%s::int[]) p
        """, (user_id, company_id, role_id, list(partner_ids)))


def create_reps(env, label, count):
    """``count`` salesmen of the current company named "<label> Rep <i>"."""
    company = env.company
    slug = label.lower().replace(" ", ".")
    return env["res.users"].with_context(no_reset_password=True).create([
        {"name": f"{label} Rep {i}", "login": f"{slug}.rep.{i}.{time.time_ns()}",
         "email": f"{slug}.rep.{i}@example.com",
         "company_id": company.id, "company_ids": [(6, 0, company.ids)],
         "groups_id": [(6, 0, env.ref("sales_team.group_sale_salesman").ids)]}
        for i in range(count)
    ])
