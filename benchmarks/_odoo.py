# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Shared helpers for the benchmark scripts: open an Odoo environment on a database."""
import argparse
import contextlib
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
def odoo_env(args):
    """Yield a superuser environment; everything is rolled back at the end."""
    import odoo
    from odoo import api

    import odoo_env as driver

    odoo.tools.config.parse_config([
        f"--db_host={args.db_host}", f"--db_port={args.db_port}", f"--db_user={args.db_user}",
        f"--addons-path={driver.addons_path()}", "-d", args.database, "--log-level=warn",
    ])
    registry = odoo.modules.registry.Registry(args.database)
    with registry.cursor() as cr:
        env = api.Environment(cr, odoo.SUPERUSER_ID, {})
        try:
            yield env
        finally:
            cr.rollback()


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
