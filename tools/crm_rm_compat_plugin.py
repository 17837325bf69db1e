# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""pytest plugin of the Odoo compatibility suite (tools/compat.py).

Writes the outcome of every test to the JSON file named by CRM_RM_COMPAT_OUT,
keyed by an id that does not depend on where Odoo is installed:
``<module>/<path in the module>::<Class>::<test>``, e.g.
``crm/tests/test_crm_lead.py::TestCRMLead::test_crm_lead_creation``.
An outcome is ``passed``, ``failed`` (in setup, call or teardown) or ``skipped``.
"""
import json
import os
from pathlib import Path

OUTCOMES = {}
PATHS = {}  # node id -> file path of the collected test


def test_id(nodeid, path):
    """The node id with its file path made relative to the Odoo module holding it."""
    path = Path(path)
    module = next((p for p in path.parents if (p / "__manifest__.py").is_file()), None)
    rel = path.relative_to(module.parent).as_posix() if module else path.as_posix()
    return "::".join([rel, *nodeid.split("::")[1:]])


def pytest_collection_modifyitems(items):
    PATHS.update((item.nodeid, item.path) for item in items)


def pytest_configure(config):
    PATHS["<rootdir>"] = config.rootpath


def pytest_collectreport(report):
    if report.failed:  # a test file that cannot even be imported
        path = PATHS["<rootdir>"] / report.nodeid.split("::")[0]
        OUTCOMES[test_id(report.nodeid, path.resolve())] = "failed"


def pytest_runtest_logreport(report):
    key = test_id(report.nodeid, PATHS.get(report.nodeid, report.fspath))
    previous = OUTCOMES.get(key)
    if report.failed:
        OUTCOMES[key] = "failed"
    elif report.skipped and previous != "failed":
        OUTCOMES[key] = "skipped"
    elif report.when == "call" and previous is None:
        OUTCOMES[key] = "passed"


def pytest_sessionfinish(session, exitstatus):
    out = os.environ.get("CRM_RM_COMPAT_OUT")
    if out:
        Path(out).write_text(json.dumps(dict(sorted(OUTCOMES.items())), indent=1) + "\n")
