# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The Odoo compatibility suite's comparison logic and files (tools/compat.py)."""
import importlib.util
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("crm_rm_compat", ROOT / "tools/compat.py")
compat = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(compat)

LEAD = "crm/tests/test_crm_lead.py::TestCRMLead::"
ARCHIVE = "test_mail/tests/test_mail_activity.py::TestActivityMixin::test_activity_mixin_archive_user"


def test_regression_is_passing_before_and_not_after():
    baseline = {LEAD + "a": "passed", LEAD + "b": "passed", LEAD + "c": "passed",
                LEAD + "d": "failed", LEAD + "e": "skipped", LEAD + "f": "passed"}
    current = {LEAD + "a": "passed", LEAD + "b": "failed", LEAD + "c": "skipped",
               LEAD + "d": "failed", LEAD + "e": "failed", LEAD + "new": "failed"}
    result = compat.compare(baseline, current, {})
    # b fails, c is skipped and f is missing with the addon: all three regressed;
    # d and e did not pass without the addon, a new test has no baseline
    assert result["regressions"] == [LEAD + "b", LEAD + "c", LEAD + "f"]
    counts = result["suites"]["crm"]
    assert counts["without"] == {"passed": 4, "failed": 1, "skipped": 1}
    assert counts["with"] == {"passed": 1, "failed": 4, "skipped": 1}
    assert counts["regressions"] == 3


def test_allow_list_excuses_only_its_tests():
    baseline = {ARCHIVE: "passed", LEAD + "a": "passed", "base/tests/test_res_users.py::T::t": "passed"}
    current = {ARCHIVE: "failed", LEAD + "a": "failed", "base/tests/test_res_users.py::T::t": "passed"}
    stale = "mail/tests/test_x.py::T::still_fine"
    result = compat.compare(baseline, current, {ARCHIVE: "kept on purpose", stale: "old"})
    assert result["regressions"] == [LEAD + "a"]
    assert result["allowed"] == [ARCHIVE]
    assert result["stale"] == [stale]
    assert result["suites"]["test_mail"]["regressions"] == 0
    assert result["suites"]["crm"]["regressions"] == 1
    assert result["suites"]["base"]["regressions"] == 0


def test_failures_that_pass_when_run_again_are_flaky():
    baseline = {LEAD + "a": "passed", LEAD + "b": "passed", LEAD + "c": "passed"}
    current = {LEAD + "a": "failed", LEAD + "b": "failed", LEAD + "c": "passed"}
    result = compat.compare(baseline, current, {}, rerun={LEAD + "a": "passed", LEAD + "b": "failed"})
    assert result["regressions"] == [LEAD + "b"]
    assert result["flaky"] == [LEAD + "a"]
    assert result["suites"]["crm"]["regressions"] == 1
    assert any("flaky" in line and line.endswith(LEAD + "a")
               for line in compat.summary_lines(result))


def test_rerun_runs_whole_classes():
    # some of Odoo's tests only fail after their class-mates: run the class again
    assert compat.rerun_selection([LEAD + "a", LEAD + "b", ARCHIVE]) == [
        "crm/tests/test_crm_lead.py::TestCRMLead",
        "test_mail/tests/test_mail_activity.py::TestActivityMixin"]


def test_paths_of_selected_tests(tmp_path):
    (tmp_path / "crm/tests").mkdir(parents=True)
    (tmp_path / "crm/__manifest__.py").write_text("{}")
    assert compat.test_paths(["/nowhere", str(tmp_path)], only=[LEAD + "a"]) == [
        f"{tmp_path}/{LEAD}a"]
    with pytest.raises(SystemExit, match="module test_mail not found"):
        compat.test_paths([str(tmp_path)], only=[ARCHIVE])


def test_no_regression_when_identical():
    runs = {LEAD + "a": "passed", LEAD + "b": "failed"}
    result = compat.compare(runs, dict(runs), {})
    assert result["regressions"] == result["allowed"] == result["flaky"] == result["stale"] == []


def test_summary_has_one_line_per_suite_then_each_regression():
    baseline = {LEAD + "a": "passed", ARCHIVE: "passed", "calendar/tests/test_c.py::T::t": "passed"}
    current = {LEAD + "a": "failed", ARCHIVE: "failed", "calendar/tests/test_c.py::T::t": "passed"}
    lines = compat.summary_lines(compat.compare(baseline, current, {ARCHIVE: "why"}))
    assert lines[0].split()[0] == "crm" and lines[0].endswith("regressions: 1")
    assert "without addon: 1 passed, 0 failed | with addon: 0 passed, 1 failed" in lines[0]
    assert lines[1].split()[0] == "calendar" and lines[1].endswith("regressions: 0")
    assert lines[2].split()[0] == "test_mail" and lines[2].endswith("regressions: 0")
    assert lines[3] == f"  REGRESSION {LEAD}a"
    assert ARCHIVE in lines[4] and "allowed deviation" in lines[4]
    assert len(lines) == 5


def test_parse_allowlist():
    text = "# comment\n\na/tests/t.py::C::t\n    first line\n    second line\nb/tests/t.py::C::u\n  why\n"
    assert compat.parse_allowlist(text) == {"a/tests/t.py::C::t": "first line second line",
                                            "b/tests/t.py::C::u": "why"}
    with pytest.raises(ValueError, match="without a reason"):
        compat.parse_allowlist("a/tests/t.py::C::t\nb/tests/t.py::C::u\n  why\n")
    with pytest.raises(ValueError, match="listed twice"):
        compat.parse_allowlist("a::t\n  why\na::t\n  why\n")
    with pytest.raises(ValueError, match="without a test id"):
        compat.parse_allowlist("  why\n")


def test_committed_allowlist_holds_only_the_documented_deviations():
    """Every allowed deviation is listed, with its test, in the README too."""
    allowed = compat.load_allowlist()
    assert ARCHIVE in allowed
    readme = (compat.TOOLS.parent / "README.md").read_text()
    for test in allowed:
        assert test.rsplit("::", 1)[1] in readme, f"{test} is not documented in README.md"


def test_committed_baselines_are_complete():
    """Each committed baseline covers every suite and allow-listed tests pass in it."""
    files = sorted(compat.COMPAT_DIR.glob("baseline-*.json"))
    assert files, "no committed baseline: run `make compat-baseline` and commit the file"
    for path in files:
        data = json.loads(path.read_text())
        assert path.name == f"baseline-{data['odoo_version']}.json"
        assert data["modules"] == compat.MODULES
        tests = data["tests"]
        assert {compat.suite_of(t) for t in tests} >= set(compat.SUITES), path.name
        assert set(tests.values()) <= {"passed", "failed", "skipped"}
        for test in compat.load_allowlist():
            assert tests.get(test) == "passed", f"{test} does not pass in {path.name}"
