#!/usr/bin/env python3
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Drive an installed Odoo 18 for this addon: ``demo``, ``test``, ``lint``,
``compat-baseline`` and ``pip-install``.

This script assumes Odoo 18.0 is already installed (``import odoo`` works) and a
PostgreSQL server is reachable; it installs neither. It is what ``make demo`` and
``make test`` run.
"""
import argparse
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import compat

ADDON = "crm_relationship_manager"
ROOT = Path(__file__).resolve().parent.parent
TOOLS = ROOT / "tools"


def log(msg):
    print(msg, flush=True)


def odoo_status():
    """Return (True, version) when Odoo 18 is importable, else (False, reason)."""
    code = "import odoo.release as r; print(r.version_info[0], r.version)"
    try:
        out = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
            cwd=tempfile.gettempdir(),
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return False, f"python could not be run ({exc})"
    if out.returncode != 0:
        last = (out.stderr.strip().splitlines() or ["import failed"])[-1]
        return False, f"'import odoo' failed: {last}"
    major, version = out.stdout.split()
    if major != "18":
        return False, f"Odoo {version} is installed, this addon needs 18.0"
    return True, version


def addons_dir():
    """A folder holding the addon under its technical name (the checkout may be named otherwise)."""
    if ROOT.name == ADDON:
        return ROOT.parent
    base = Path(tempfile.gettempdir()) / f"{ADDON}-addons-{uuid.uuid5(uuid.NAMESPACE_URL, str(ROOT)).hex[:8]}"
    base.mkdir(exist_ok=True)
    link = base / ADDON
    if link.is_symlink() and link.resolve() != ROOT:
        link.unlink()
    if not link.exists():
        link.symlink_to(ROOT, target_is_directory=True)
    return base


def addons_path():
    import odoo  # noqa: F401  (only called once Odoo is known importable)
    paths = [str(addons_dir())]
    return ",".join(paths)


def db_args(args):
    return [f"--db_host={args.db_host}", f"--db_port={args.db_port}", f"--db_user={args.db_user}"]


def ensure_db_role(args):
    """Odoo refuses the 'postgres' role: make sure ours exists and may create databases."""
    import psycopg2

    try:
        psycopg2.connect(host=args.db_host, port=args.db_port, user=args.db_user,
                         dbname="postgres").close()
        return
    except psycopg2.OperationalError as exc:
        if "does not exist" not in str(exc):
            raise SystemExit(
                f"PostgreSQL is not reachable at {args.db_host}:{args.db_port}: {exc}") from exc
    log(f"Creating PostgreSQL role {args.db_user!r} (needs a superuser connection as 'postgres')")
    conn = psycopg2.connect(host=args.db_host, port=args.db_port, user="postgres", dbname="postgres")
    conn.autocommit = True
    with conn.cursor() as cr:
        cr.execute(f'CREATE ROLE "{args.db_user}" LOGIN CREATEDB')
    conn.close()


def odoo_cmd(args, *extra):
    return [sys.executable, "-m", "odoo", *db_args(args), f"--addons-path={addons_path()}", *extra]


def db_exists(args, name):
    import psycopg2

    conn = psycopg2.connect(host=args.db_host, port=args.db_port, user=args.db_user, dbname="postgres")
    try:
        with conn.cursor() as cr:
            cr.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
            return bool(cr.fetchone())
    finally:
        conn.close()


def drop_db(args, name):
    import psycopg2

    conn = psycopg2.connect(host=args.db_host, port=args.db_port, user=args.db_user, dbname="postgres")
    conn.autocommit = True
    try:
        with conn.cursor() as cr:
            cr.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        conn.close()
    shutil.rmtree(Path.home() / ".local/share/Odoo/filestore" / name, ignore_errors=True)


def install(args, database, demo=True, extra_modules=(), addon=True):
    modules = ",".join([*([ADDON] if addon else []), *extra_modules])
    cmd = odoo_cmd(args, "-d", database, "-i", modules, "--stop-after-init", "--log-level=warn",
                   "--http-port=0", "--no-http")
    if not demo:
        cmd.append("--without-demo=all")
    log(f"Installing {modules} into database {database} ...")
    subprocess.run(cmd, check=True)


def cmd_demo(args):
    ok, why = odoo_status()
    if not ok:
        raise SystemExit(f"make demo needs Odoo 18: {why}")
    ensure_db_role(args)
    if db_exists(args, args.database):
        log(f"Reusing database {args.database} (drop it to start afresh)")
        subprocess.run(odoo_cmd(args, "-d", args.database, "-u", ADDON, "--stop-after-init",
                                "--log-level=warn", "--no-http"), check=True)
    else:
        install(args, args.database, demo=True)
    args.http_port = args.http_port or "8069"
    url = f"http://localhost:{args.http_port}"
    log("")
    log(f"Odoo with {ADDON} and its demo data: {url}/odoo/crm")
    log("Log in as one of (password = login):")
    log("  admin / admin                 Settings administrator (both companies)")
    log("  demo.manager / demo.manager   Relationship Manager, Sales Administrator (EU)")
    log("  demo.anna / demo.anna         Relationship Associate, Sales User (EU)")
    log("  demo.manager.us / demo.manager.us  Relationship Manager (US)")
    log("Stop the server with Ctrl+C.")
    os.execv(sys.executable, odoo_cmd(args, "-d", args.database, f"--http-port={args.http_port}",
                                      f"--db-filter=^{args.database}$"))


def run_pytest(paths, extra=(), env=None, cwd=None):
    cmd = [sys.executable, "-m", "pytest", "-p", "crm_rm_pytest_plugin", "-o",
           "console_output_style=classic", *extra, *paths]
    full_env = dict(os.environ, **(env or {}))
    full_env["PYTHONPATH"] = os.pathsep.join(
        p for p in [str(TOOLS), full_env.get("PYTHONPATH", "")] if p
    )
    return subprocess.run(cmd, env=full_env, cwd=cwd or ROOT).returncode


def odoo_pytest_args(args, database):
    """pytest-odoo options for a run on ``database`` (HttpCase and tours included)."""
    return [
        f"--odoo-database={database}",
        f"--odoo-addons-path={addons_path()}",
        "--odoo-http",
        f"--odoo-extra=http-port={args.http_port}",
        "--odoo-log-level=warn",
        # pytest-odoo imports odoo.tests before it turns test mode on,
        # which makes Odoo log a spurious "Importing test framework" error
        "--odoo-extra=log-handler=odoo.tests.common:CRITICAL",
        f"--odoo-extra=db_host={args.db_host}",
        f"--odoo-extra=db_port={args.db_port}",
        f"--odoo-extra=db_user={args.db_user}",
    ]


def check_test_prerequisites(args):
    """None when Odoo's tests can run in full here, else the reason (tours would be skipped)."""
    if not (shutil.which("chromium") or shutil.which("google-chrome") or shutil.which("chromium-browser")):
        return ("Chromium is missing: Odoo would silently skip the tours. "
                "Install Debian's 'chromium' package (apt-get install chromium).")
    probe = subprocess.run([sys.executable, "-c", "import websocket"], capture_output=True,
                           cwd=tempfile.gettempdir())
    if probe.returncode != 0:
        return ("The Python package websocket-client is missing: Odoo would silently skip the "
                "tours. Install it (pip install websocket-client).")
    if not args.http_port:
        # a free port, so that a running `make demo` does not get in the way
        import socket
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            args.http_port = str(sock.getsockname()[1])
    ensure_db_role(args)
    return None


def lint_tools():
    """The linters OCA runs (ruff, pylint with pylint-odoo) that are installed: {name: ok}."""
    found = {}
    for name, module in (("ruff", "ruff"), ("pylint-odoo", "pylint_odoo")):
        probe = subprocess.run([sys.executable, "-c", f"import {module}"], capture_output=True,
                               cwd=tempfile.gettempdir())
        found[name] = probe.returncode == 0
    return found


def run_lint(required=False):
    """ruff and pylint-odoo (OCA's mandatory checks, .pylintrc) on the addon; 0 when clean.

    A linter that is not installed is skipped with a notice, unless ``required``."""
    found = lint_tools()
    missing = [name for name, ok in found.items() if not ok]
    if missing:
        log(f"Lint: {', '.join(missing)} not installed (pip install ruff pylint-odoo)"
            + ("." if required else "; skipped."))
        if required:
            return 1
    rc = 0
    if found["ruff"]:
        log("Lint: ruff check")
        rc |= subprocess.run([sys.executable, "-m", "ruff", "check", "--no-fix", "."],
                             cwd=ROOT).returncode
    if found["pylint-odoo"]:
        # pylint-odoo checks the addon under its technical name (manifest, imports)
        log("Lint: pylint --load-plugins=pylint_odoo (mandatory checks)")
        rc |= subprocess.run([sys.executable, "-m", "pylint", f"--rcfile={ROOT / '.pylintrc'}",
                              ADDON], cwd=addons_dir()).returncode
    if rc:
        log("Lint failed: fix the findings above (`make lint`).")
    return rc


def cmd_lint(args):
    return run_lint(required=True)


def cmd_test(args):
    if not (args.paths or args.k):  # the whole suite lints first; the dev loop does not
        rc = run_lint()
        if rc:
            return rc
    ok, info = odoo_status()
    if not ok:
        # confcutdir: keep pytest from importing the addon package (the repo root)
        rc = run_pytest(["tests_static"], ["-q", "--confcutdir=tests_static", "-p", "no:odoo"],
                        env={"CRM_RM_ODOO": "0"})
        if rc not in (0,):
            return rc
        log(f"Odoo suite skipped: Odoo 18 is not importable ({info}).")
        return 0
    problem = check_test_prerequisites(args)
    if problem:
        log(problem)
        return 1
    rc = 0 if args.compat_only else run_addon_tests(args)
    if args.no_compat or ((args.k or args.paths) and not args.compat_only):
        log("Odoo compatibility suite not run (" + ("--no-compat" if args.no_compat else
            "tests selected with -k/paths; --compat-only runs it") + ").")
        return rc
    return run_compat(args, version=info) or rc


def run_addon_tests(args):
    database = args.database if args.reuse_db else f"crm_rm_test_{os.getpid()}"
    try:
        if args.reuse_db and db_exists(args, database):
            log(f"Updating {ADDON} in database {database} ...")
            subprocess.run(odoo_cmd(args, "-d", database, "-u", ADDON, "--stop-after-init",
                                    "--log-level=warn", "--no-http"), check=True)
        else:
            install(args, database, demo=True)
        addon = addons_dir() / ADDON
        return run_pytest(
            [str(addon / p) for p in (args.paths or ["tests_static", "tests"])],
            [*(["-k", args.k] if args.k else []), "-q", "-rfEs",
             *odoo_pytest_args(args, database), f"--rootdir={addon}"],
            env={
                "CRM_RM_ODOO": "1",
                "CRM_RM_DB_HOST": args.db_host,
                "CRM_RM_DB_PORT": str(args.db_port),
                "CRM_RM_DB_USER": args.db_user,
                "CRM_RM_ADDONS_PATH": addons_path(),
            },
            cwd=addon,
        )
    finally:
        if not (args.keep_db or args.reuse_db):
            drop_db(args, database)


def run_compat(args, version, refresh=False):
    """The Odoo compatibility suite (see tools/compat.py); 0 when nothing regressed.

    With a committed baseline for this Odoo version, one database gets Odoo's
    modules and the addon, and the suites run once. Without one (or with
    ``refresh``, which stops there), the database gets Odoo's modules alone,
    the suites run and the baseline file is written; then the addon is installed
    into the same database and the suites run again.
    """
    import odoo

    started = time.monotonic()
    log(f"Odoo compatibility suite: Odoo's own tests of {', '.join(compat.SUITES)} "
        f"with and without {ADDON} (Odoo {version})")
    allowed = compat.load_allowlist()
    path = compat.baseline_path(version)
    baseline = None if refresh or not path.exists() else compat.read_baseline(path, version)
    database = f"{args.database}_compat" if args.reuse_db else f"crm_rm_compat_{os.getpid()}"
    suites = lambda label, only=None: compat.run_suites(  # noqa: E731
        run_pytest, odoo_pytest_args(args, database), odoo.addons.__path__, label, only)
    reuse = args.reuse_db and db_exists(args, database)
    if reuse and baseline is None:
        raise SystemExit(f"No baseline for Odoo {version} and --reuse-db kept a database with "
                         f"the addon: drop {database} or run `make compat-baseline` first")
    try:
        if reuse:
            log(f"Updating {ADDON} in database {database} ...")
            subprocess.run(odoo_cmd(args, "-d", database, "-u", ADDON, "--stop-after-init",
                                    "--log-level=warn", "--no-http"), check=True)
        else:
            drop_db(args, database)
            if baseline is not None:
                install(args, database, demo=True, extra_modules=compat.MODULES)
            else:
                install(args, database, demo=True, extra_modules=compat.MODULES, addon=False)
                log(f"No baseline for Odoo {version}: running the suites without the addon ...")
                baseline = suites("without the addon")
                compat.write_baseline(path, version, baseline)
                log(f"Wrote {path.relative_to(ROOT)} (commit it) "
                    f"in {time.monotonic() - started:.0f} s")
                if refresh:
                    return 0
                install(args, database, demo=True)
        log("Running the suites with the addon ...")
        current = suites("with the addon")
        result = compat.compare(baseline, current, allowed)
        if result["regressions"]:
            log(f"Running the classes of the {len(result['regressions'])} regressed tests "
                "again (a test that passes then is only flaky) ...")
            rerun = suites("again with the addon",
                           only=compat.rerun_selection(result["regressions"]))
            result = compat.compare(baseline, current, allowed, rerun)
    finally:
        if not (args.keep_db or args.reuse_db):
            drop_db(args, database)
    log(f"Odoo compatibility suite ({time.monotonic() - started:.0f} s):")
    for line in compat.summary_lines(result):
        log(line)
    if result["regressions"]:
        log(f"FAILED: {len(result['regressions'])} of Odoo's tests pass without {ADDON} and "
            "fail with it (fix them, or list an intended deviation with its reason in "
            "tools/compat/allowlist.txt)")
        return 1
    log("Odoo compatibility suite: no regression.")
    return 0


def cmd_compat_baseline(args):
    """Recompute the committed baseline for the installed Odoo version (without the addon)."""
    ok, info = odoo_status()
    if not ok:
        raise SystemExit(f"compat-baseline needs Odoo 18: {info}")
    problem = check_test_prerequisites(args)
    if problem:
        raise SystemExit(problem)
    args.reuse_db = False
    return run_compat(args, version=info, refresh=True)


def export_tree(dest):
    """Copy the addon's files (tracked and untracked, not ignored) to ``dest``/ADDON."""
    target = Path(dest) / ADDON
    files = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=ROOT,
                           check=True, capture_output=True, text=True).stdout.split("\0")
    for name in filter(None, files):
        src = ROOT / name
        if src.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, target / name)
    return target


def cmd_pip_install(args):
    """pip install the addon. Its build backend (whool) names the package after the
    folder, so the files are exported to a folder named after the addon first."""
    with tempfile.TemporaryDirectory() as tmp:
        target = export_tree(tmp)
        return subprocess.run([sys.executable, "-m", "pip", *(args.pip_args or ["install"]),
                               str(target)]).returncode


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("command", choices=["demo", "test", "lint", "pip-install",
                                            "compat-baseline"])
    parser.add_argument("--db-host", default=os.environ.get("PGHOST", "127.0.0.1"))
    parser.add_argument("--db-port", default=os.environ.get("PGPORT", "5432"))
    parser.add_argument("--db-user", default="odoo")
    parser.add_argument("--database", default="crm_relationship_demo")
    parser.add_argument("--http-port", default=None,
                        help="demo: default 8069; test: default a free port")
    parser.add_argument("--keep-db", action="store_true", help="keep the test database")
    parser.add_argument("--reuse-db", action="store_true",
                        help="dev loop: update the addon in --database (create it if "
                        "missing) and keep it")
    compat_opts = parser.add_mutually_exclusive_group()
    compat_opts.add_argument("--no-compat", action="store_true",
                             help="test: skip the Odoo compatibility suite (dev loop)")
    compat_opts.add_argument("--compat-only", action="store_true",
                             help="test: run only the Odoo compatibility suite")
    parser.add_argument("--pip-args", type=shlex.split, help="pip command line (default: install)")
    parser.add_argument("-k", help="only the tests matching this pytest expression")
    parser.add_argument("paths", nargs="*", help="test paths relative to the addon "
                        "(default: tests_static tests)")
    args = parser.parse_intermixed_args()
    handler = {"demo": cmd_demo, "test": cmd_test, "lint": cmd_lint, "pip-install": cmd_pip_install,
               "compat-baseline": cmd_compat_baseline}[args.command]
    sys.exit(handler(args) or 0)


if __name__ == "__main__":
    main()
