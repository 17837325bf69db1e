# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""pytest plugin used by ``make test``.

With Odoo present (CRM_RM_ODOO=1) nothing may be skipped: Odoo skips tours
silently when it finds no browser, so a skipped test fails the run.
"""
import os

import pytest

ODOO = os.environ.get("CRM_RM_ODOO") == "1"


def pytest_configure(config):
    config.addinivalue_line("markers", "odoo: needs an installed Odoo 18 and PostgreSQL")


def pytest_collection_modifyitems(config, items):
    if ODOO:
        return
    keep, drop = [], []
    for item in items:
        (drop if item.get_closest_marker("odoo") else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session, exitstatus):
    if not ODOO:
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter else []
    if skipped and session.exitstatus == 0:
        reporter.write_line(
            f"FAILED: {len(skipped)} test(s) were skipped although Odoo is present "
            "(a skipped tour usually means no browser was found).",
            red=True,
        )
        session.exitstatus = 1
