# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Odoo compatibility suite: Odoo's own tests of the modules the addon touches.

The suites run with pytest-odoo on a database holding ``MODULES`` (demo data,
as Odoo's own runs), once without the addon (the baseline, committed per Odoo
version in ``tools/compat/baseline-<version>.json``) and once with it. A test
that passes in the baseline and does not pass with the addon is a regression,
unless ``tools/compat/allowlist.txt`` lists it with the reason of the deviation.
The test classes of the regressed tests run a second time: a test that passes
then is reported as flaky (a few of Odoo's tests depend on timing on a loaded
machine). Whole classes, because some tests only fail after their class-mates.

Both runs load every module first and then run the tests, so at_install and
post_install tests see the same registry in both: the comparison is fair.
This module holds the pure comparison logic (tested in tests_static) and the
pytest run; tools/odoo_env.py creates the databases.
"""
import json
import tempfile
from pathlib import Path

TOOLS = Path(__file__).resolve().parent
COMPAT_DIR = TOOLS / "compat"
ALLOWLIST = COMPAT_DIR / "allowlist.txt"

# Modules installed in both databases (the addon is added to the second one).
MODULES = ["crm", "sale_crm", "calendar", "contacts", "test_mail"]
# suite name -> (Odoo module, test paths inside it)
SUITES = {
    "crm": ("crm", ["tests"]),
    "sale_crm": ("sale_crm", ["tests"]),
    "calendar": ("calendar", ["tests"]),
    "mail": ("mail", ["tests"]),
    "test_mail": ("test_mail", ["tests"]),
    "base": ("base", ["tests/test_res_partner*.py", "tests/test_res_users.py"]),
}


def baseline_path(version):
    return COMPAT_DIR / f"baseline-{version}.json"


def suite_of(test_id):
    """Test ids start with the Odoo module: ``crm/tests/test_x.py::Class::test``."""
    return test_id.split("/", 1)[0]


def parse_allowlist(text):
    """``{test id: reason}`` from the allow-list's text.

    An entry is a test id at the start of a line followed by its reason on one or
    more indented lines; ``#`` starts a comment line. An entry without a reason
    is an error: every deviation from Odoo must say why.
    """
    entries, current = {}, None
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if line[0].isspace():
            if current is None:
                raise ValueError(f"allow-list line {number}: a reason without a test id")
            entries[current] = " ".join(filter(None, [entries[current], line.strip()]))
        else:
            current = line.strip()
            if current in entries:
                raise ValueError(f"allow-list line {number}: {current} is listed twice")
            entries[current] = ""
    missing = [test for test, reason in entries.items() if not reason]
    if missing:
        raise ValueError(f"allow-list entries without a reason: {', '.join(missing)}")
    return entries


def load_allowlist(path=ALLOWLIST):
    return parse_allowlist(Path(path).read_text())


def compare(baseline, current, allowed, rerun=None):
    """Compare two runs, each ``{test id: 'passed' | 'failed' | 'skipped'}``.

    Returns ``{'suites': {suite: counts}, 'regressions': [...], 'allowed': [...],
    'flaky': [...], 'stale': [...]}``: regressions are the tests passing in
    ``baseline`` that do not pass in ``current`` (failed, skipped or missing) and
    are not in ``allowed``; ``allowed`` lists the deviations that the allow-list
    excused, and ``stale`` the allow-list entries that no longer deviate.
    ``rerun`` holds the outcomes of a second run of the regressed tests' classes:
    those that pass then are ``flaky`` (timing under load), not regressions.
    """
    suites = {}
    for name, outcomes in (("without", baseline), ("with", current)):
        for test, outcome in outcomes.items():
            counts = suites.setdefault(suite_of(test), _empty_counts())
            counts[name][outcome] = counts[name].get(outcome, 0) + 1
    regressions, excused, flaky = [], [], []
    rerun = rerun or {}
    for test, outcome in sorted(baseline.items()):
        if outcome != "passed" or current.get(test) == "passed":
            continue
        if test in allowed:
            excused.append(test)
        elif rerun.get(test) == "passed":
            flaky.append(test)
        else:
            regressions.append(test)
            suites[suite_of(test)]["regressions"] += 1
    stale = sorted(set(allowed) - set(excused))
    return {"suites": suites, "regressions": regressions, "allowed": excused, "flaky": flaky,
            "stale": stale}


def rerun_selection(tests):
    """The test classes (``file::Class``) holding ``tests``, to run them again."""
    return sorted({test.rsplit("::", 1)[0] for test in tests})


def _empty_counts():
    return {"without": {}, "with": {}, "regressions": 0}


def summary_lines(result):
    """One line per suite, then the regressions, excused deviations and stale entries."""
    def fmt(counts):
        text = f"{counts.get('passed', 0)} passed, {counts.get('failed', 0)} failed"
        return text + (f", {counts['skipped']} skipped" if counts.get("skipped") else "")

    lines = []
    for suite in sorted(result["suites"], key=lambda s: (s not in SUITES, list(SUITES).index(s)
                                                          if s in SUITES else s)):
        counts = result["suites"][suite]
        lines.append(f"  {suite:<10} without addon: {fmt(counts['without'])} | "
                     f"with addon: {fmt(counts['with'])} | regressions: {counts['regressions']}")
    lines += [f"  REGRESSION {test}" for test in result["regressions"]]
    lines += [f"  allowed deviation (tools/compat/allowlist.txt): {test}"
              for test in result["allowed"]]
    lines += [f"  flaky: failed with the addon, passed when run again: {test}"
              for test in result["flaky"]]
    lines += [f"  note: allow-listed test no longer deviates, remove it from the list: {test}"
              for test in result["stale"]]
    return lines


def module_folder(module, addons_paths):
    folder = next((Path(p) / module for p in addons_paths
                   if (Path(p) / module / "__manifest__.py").is_file()), None)
    if folder is None:
        raise SystemExit(f"Odoo compatibility suite: module {module} not found in {addons_paths}")
    return folder


def test_paths(addons_paths, only=None):
    """pytest arguments for the suites' test files, found in Odoo's addons folders,
    or for the tests ``only`` (test ids)."""
    if only is not None:
        return [str(module_folder(suite_of(test), addons_paths).parent / test) for test in only]
    paths = []
    for module, patterns in SUITES.values():
        folder = module_folder(module, addons_paths)
        for pattern in patterns:
            found = sorted(folder.glob(pattern))
            if not found:
                raise SystemExit(f"Odoo compatibility suite: no {module}/{pattern}")
            paths += [str(p) for p in found]
    return paths


def run_suites(run_pytest, pytest_args, addons_paths, label, only=None):
    """Run every suite (or the tests ``only``) once on the database named in
    ``pytest_args``; return the outcomes.

    The run fails loudly (SystemExit) when pytest cannot run the suites at all: a
    compatibility suite that silently runs nothing would hide every regression.
    """
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "outcomes.json"
        rc = run_pytest(
            test_paths(addons_paths, only),
            ["-p", "crm_rm_compat_plugin", "-q", "--no-header",
             "-c", str(TOOLS.parent / "pyproject.toml"), f"--rootdir={TOOLS.parent}",
             "--tb=line", *pytest_args],
            env={"CRM_RM_COMPAT_OUT": str(out)},
        )
        outcomes = json.loads(out.read_text()) if out.exists() else {}
    # pytest: 0 all passed, 1 some failed; anything else means it could not run
    if rc not in (0, 1) or not outcomes:
        raise SystemExit(f"Odoo compatibility suite: pytest could not run the suites "
                         f"{label} (exit code {rc}, {len(outcomes)} outcomes)")
    return outcomes


def write_baseline(path, version, outcomes):
    data = {"odoo_version": version, "modules": MODULES, "tests": outcomes}
    path.parent.mkdir(exist_ok=True)
    path.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")


def read_baseline(path, version):
    data = json.loads(path.read_text())
    if data.get("odoo_version") != version or data.get("modules") != MODULES:
        return None
    return data["tests"]

