#!/usr/bin/env python3
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Install the addon into a populated database, uninstall it, install it again,
and check that every Salesperson survives each way.

The script builds a scratch database (dropped at the end): Odoo with
``contacts`` and no demo data, two companies, 20 reps (8 in each company, 4 in
both) and ``--partners`` partners written in SQL: 4/5 commercial partners (a
quarter shared, i.e. ``company_id`` empty, the others split between the two
companies; 9 in 10 with a Salesperson) and 1/5 contacts, one for each of a
quarter of the commercial partners (the parent's company and, 7 in 8, its
Salesperson). Then, each step a real ``odoo`` command whose log is captured:

1. ``-i crm`` (the reference: what any addon of this size costs on this data),
   then ``--leads`` leads written in SQL (not timed; crm creates their table);
2. ``-i crm_relationship_manager``; each company must then see, through the
   ORM (``with_company``), the rep of its own partners and, on a shared
   partner, the rep if the rep works in that company; each of these is a
   current relationship; every lead's Colleague is its Salesperson; Odoo's
   plain ``res_partner.user_id`` column is untouched (int4, same values);
3. uninstall (``button_immediate_uninstall``, as the Apps menu does):
   ``res_partner.user_id`` (Odoo's plain column, never converted: the
   per-company values are in the addon's ``crm_rm_user_id``, dropped here) must
   hold exactly the values it had before step 2;
4. ``-i crm_relationship_manager`` again, checked as in step 2.

Any mismatch, any ERROR or CRITICAL line in a log, or a missed goal exits
non-zero. Goals: install <= 3x the install of ``crm``; uninstall
<= 60 s.

    python3 benchmarks/bench_install_uninstall.py            # 200,000 partners
    python3 benchmarks/bench_install_uninstall.py --partners 20000 --database crm_rm_bench_small
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))

import odoo_env as driver  # noqa: E402

ADDON = driver.ADDON
INSTALL_GOAL = 3.0
UNINSTALL_GOAL = 60.0
ERROR_RE = re.compile(r"^\S+ \S+ \d+ (ERROR|CRITICAL) ", re.MULTILINE)


def parse_args():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--database", default="crm_rm_install_bench",
                   help="name of the scratch database the script creates and drops "
                   "(it must not exist)")
    p.add_argument("--partners", type=int, default=200_000)
    p.add_argument("--leads", type=int, default=50_000,
                   help="leads written once crm is installed, before the addon")
    p.add_argument("--keep", action="store_true", help="do not drop the database at the end")
    p.add_argument("--db-host", default="127.0.0.1")
    p.add_argument("--db-port", default="5432")
    p.add_argument("--db-user", default="odoo")
    p.add_argument("--step", help=argparse.SUPPRESS)  # internal: one step in a child process
    return p.parse_args()


# ---------------------------------------------------------------- parent process

class Run:
    def __init__(self, args):
        self.args = args
        self.logdir = Path(tempfile.mkdtemp(prefix="crm_rm_install_bench_"))
        self.failures = []

    def run(self, label, cmd):
        """Run ``cmd``, log to a file, fail on ERROR lines; return (wall seconds, stdout)."""
        logfile = self.logdir / f"{label}.log"
        start = time.perf_counter()
        with open(logfile, "w") as log:
            proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=log, text=True,
                                  cwd=tempfile.gettempdir())
        elapsed = time.perf_counter() - start
        text = logfile.read_text()
        errors = [line for line in text.splitlines() if ERROR_RE.match(line + " ")]
        if proc.returncode:
            self.failures.append(f"{label}: exit code {proc.returncode} (log: {logfile})")
        if errors:
            self.failures.append(f"{label}: {len(errors)} ERROR line(s) in the log "
                                 f"({logfile}), first: {errors[0][:300]}")
        if proc.returncode or errors:
            print(f"!! {label} failed, log: {logfile}", flush=True)
            print(text[-3000:])
        return elapsed, proc.stdout

    def odoo(self, label, *extra):
        cmd = driver.odoo_cmd(self.args, "-d", self.args.database, *extra, "--stop-after-init",
                              "--no-http", "--log-level=info")
        return self.run(label, cmd)

    def step(self, name):
        """Run one step of this script in a child process; return its JSON answer."""
        a = self.args
        cmd = [sys.executable, __file__, "--step", name, "--database", a.database,
               "--partners", str(a.partners), "--leads", str(a.leads), "--db-host", a.db_host, "--db-port", a.db_port,
               "--db-user", a.db_user]
        _elapsed, out = self.run(name, cmd)
        lines = [line for line in out.splitlines() if line.startswith("{")]
        answer = json.loads(lines[-1]) if lines else {}
        for problem in answer.get("problems", []):
            self.failures.append(f"{name}: {problem}")
        return answer


def module_load_line(run, label, module):
    """Odoo's own line 'Module X loaded in N s, Q queries' of the install log."""
    text = (run.logdir / f"{label}.log").read_text()
    found = re.findall(rf"Module {module} loaded in ([\d.]+)s, (\d+) queries", text)
    return found[-1] if found else None


def say(label, seconds, note=""):
    print(f"{label + ':':42s}{seconds:8.1f} s {note}".rstrip(), flush=True)


def main_parent(args):
    driver.ensure_db_role(args)
    if driver.db_exists(args, args.database):
        raise SystemExit(f"database {args.database!r} exists: the script creates its own "
                         "scratch database; pass another --database or drop it")
    run = Run(args)
    print(f"scratch database {args.database} (dropped at the end), logs in {run.logdir}",
          flush=True)
    try:
        t, _ = run.odoo("base", "-i", "contacts", "--without-demo=all")
        say("Odoo with contacts, no demo data", t, "(set-up, not measured)")
        info = run.step("populate")
        print(f"data: {info.get('partners', 0):,} partners ({info.get('commercial', 0):,} "
              f"commercial, {info.get('shared', 0):,} of them shared; "
              f"{info.get('contacts', 0):,} contacts), {info.get('with_rep', 0):,} with a "
              f"Salesperson, 2 companies, 20 reps; written in {info.get('seconds', 0):.1f} s",
              flush=True)

        t_crm, _ = run.odoo("install_crm", "-i", "crm")
        say("install crm (reference)", t_crm)
        info = run.step("populate_leads")
        print(f"data: {info.get('leads', 0):,} leads, {info.get('with_rep', 0):,} with a "
              f"Salesperson", flush=True)
        t_install, _ = run.odoo("install_addon", "-i", ADDON)
        say(f"install {ADDON}", t_install)
        check = run.step("check_installed")
        print(f"  after install: {check.get('summary', 'not checked')}", flush=True)

        res = run.step("uninstall")
        t_uninstall = res.get("seconds", float("nan"))
        say(f"uninstall {ADDON}", t_uninstall,
            "(button_immediate_uninstall, registry reload included)")
        check = run.step("check_uninstalled")
        print(f"  after uninstall: {check.get('summary', 'not checked')}", flush=True)

        t_reinstall, _ = run.odoo("reinstall_addon", "-i", ADDON)
        say(f"install {ADDON} again", t_reinstall)
        check = run.step("check_installed")
        print(f"  after the second install: {check.get('summary', 'not checked')}", flush=True)

        ratio = t_install / t_crm
        print()
        print(f"partners: {args.partners:,}, leads: {args.leads:,}; each install is the wall time of "
              "'odoo -i <module> --stop-after-init'")
        for label, name in (("install_crm", "crm"), ("install_addon", ADDON)):
            line = module_load_line(run, label, name)
            if line:
                print(f"  Odoo's log: Module {name} loaded in {line[0]} s, {line[1]} queries")
        print(f"install crm (reference):   {t_crm:8.1f} s")
        print(f"install the addon:         {t_install:8.1f} s   {ratio:5.2f}x crm "
              f"(goal <= {INSTALL_GOAL:g}x: {ratio / INSTALL_GOAL:4.2f} of the goal)")
        print(f"uninstall the addon:       {t_uninstall:8.1f} s   "
              f"(goal <= {UNINSTALL_GOAL:g} s: {t_uninstall / UNINSTALL_GOAL:4.2f} of the goal)")
        print(f"install again:             {t_reinstall:8.1f} s   {t_reinstall / t_crm:5.2f}x crm")
        if ratio > INSTALL_GOAL:
            run.failures.append(f"install goal missed: {ratio:.2f}x crm > {INSTALL_GOAL:g}x")
        if not t_uninstall <= UNINSTALL_GOAL:
            run.failures.append(f"uninstall goal missed: {t_uninstall:.1f} s")
    finally:
        if args.keep:
            print(f"database {args.database} kept (--keep)")
        else:
            driver.drop_db(args, args.database)
    if run.failures:
        print("\nFAILED:")
        for failure in run.failures:
            print(f"  - {failure}")
        sys.exit(1)
    print("\nOK: every Salesperson kept through install, uninstall and install again; "
          "no ERROR in any log")


# ---------------------------------------------------------------- child steps

def open_registry(args):
    import odoo

    odoo.tools.config.parse_config([
        f"--db_host={args.db_host}", f"--db_port={args.db_port}", f"--db_user={args.db_user}",
        f"--addons-path={driver.addons_path()}", "-d", args.database, "--log-level=info",
    ], setup_logging=True)
    return odoo.modules.registry.Registry(args.database)


def step_populate(args, env):
    """Companies, reps and partners; the expected Salespersons are kept in a table."""
    start = time.perf_counter()
    cr = env.cr
    company_a = env.company
    company_b = env["res.company"].create({"name": "Bench Company B"})
    user_vals = []
    for i in range(20):
        companies = company_a if i < 8 else company_b if i < 16 else company_a | company_b
        user_vals.append({"name": f"Bench Rep {i}", "login": f"bench.rep.{i}",
                          "company_id": companies[0].id, "company_ids": [(6, 0, companies.ids)]})
    users = env["res.users"].with_context(no_reset_password=True).create(user_vals)
    reps_a = (users[:8] | users[16:]).ids
    reps_b = users[8:].ids
    reps_all = users.ids
    env.flush_all()
    contacts = args.partners // 5
    commercial = args.partners - contacts
    cr.execute(
        """
        INSERT INTO res_partner (name, complete_name, ref, company_id, user_id, is_company,
                                 active, type, lang, email, partner_share,
                                 commercial_company_name, create_uid, write_uid,
                                 create_date, write_date)
        SELECT 'Bench Customer ' || i, 'Bench Customer ' || i, 'bench-' || i, c.company,
               CASE WHEN i %% 10 = 9 THEN NULL
                    WHEN c.company IS NULL THEN (%(all)s::int[])[1 + i %% %(n_all)s]
                    WHEN c.company = %(a)s THEN (%(ra)s::int[])[1 + i %% %(n_a)s]
                    ELSE (%(rb)s::int[])[1 + i %% %(n_b)s] END,
               i %% 2 = 0, true, 'contact', 'en_US', 'customer' || i || '@example.com', true,
               CASE WHEN i %% 2 = 0 THEN 'Bench Customer ' || i END, 1, 1,
               now() at time zone 'UTC', now() at time zone 'UTC'
          FROM generate_series(1, %(n)s) i,
               LATERAL (SELECT CASE WHEN i %% 4 = 0 THEN NULL
                                    WHEN i %% 2 = 1 THEN %(a)s ELSE %(b)s END AS company) c
        """,
        {"n": commercial, "a": company_a.id, "b": company_b.id, "all": reps_all,
         "ra": reps_a, "rb": reps_b, "n_all": len(reps_all), "n_a": len(reps_a),
         "n_b": len(reps_b)},
    )
    cr.execute("UPDATE res_partner SET commercial_partner_id = id "
               "WHERE commercial_partner_id IS NULL AND ref LIKE 'bench-%%'")
    # one contact for each of the first quarter of the commercial partners
    cr.execute(
        """
        INSERT INTO res_partner (name, complete_name, parent_id, commercial_partner_id,
                                 company_id, user_id, is_company, active, type, lang, email,
                                 partner_share, commercial_company_name, create_uid,
                                 write_uid, create_date, write_date)
        SELECT 'Contact ' || p.id, p.name || ', Contact ' || p.id, p.id, p.id, p.company_id,
               CASE WHEN p.id %% 8 = 0 THEN NULL ELSE p.user_id END, false, true, 'contact',
               'en_US', 'contact' || p.id || '@example.com', true, p.commercial_company_name,
               1, 1, now() at time zone 'UTC', now() at time zone 'UTC'
          FROM res_partner p
         WHERE p.ref LIKE 'bench-%%'
         ORDER BY p.id
         LIMIT %s
        """,
        (contacts,),
    )
    # what Odoo has before the addon: checked after the uninstall
    cr.execute("CREATE TABLE bench_salesperson_before AS "
               "SELECT id, company_id, user_id, commercial_partner_id = id AS commercial "
               "FROM res_partner")
    cr.execute("ALTER TABLE bench_salesperson_before ADD PRIMARY KEY (id)")
    cr.execute("SELECT count(*), count(*) FILTER (WHERE parent_id IS NULL), "
               "count(*) FILTER (WHERE parent_id IS NULL AND company_id IS NULL), "
               "count(*) FILTER (WHERE parent_id IS NOT NULL), count(user_id) "
               "FROM res_partner WHERE ref LIKE 'bench-%%' OR parent_id IN "
               "(SELECT id FROM res_partner WHERE ref LIKE 'bench-%%')")
    partners, n_commercial, shared, n_contacts, with_rep = cr.fetchone()
    env.cr.commit()
    cr.execute("ANALYZE res_partner")
    return {"partners": partners, "commercial": n_commercial, "shared": shared,
            "contacts": n_contacts, "with_rep": with_rep,
            "seconds": time.perf_counter() - start}


def step_populate_leads(args, env):
    cr = env.cr
    cr.execute("SELECT array_agg(id ORDER BY id) FROM res_users WHERE login LIKE 'bench.rep.%%'")
    reps = cr.fetchone()[0]
    cr.execute(
        """
        INSERT INTO crm_lead (name, type, active, user_id, company_id, partner_id, stage_id,
                              team_id, probability, create_uid, write_uid, create_date,
                              write_date)
        SELECT 'Bench Lead ' || i, 'opportunity', true,
               CASE WHEN i %% 10 = 9 THEN NULL ELSE (%(reps)s::int[])[1 + i %% %(n)s] END,
               p.company_id, p.id, (SELECT min(id) FROM crm_stage),
               (SELECT min(id) FROM crm_team), 10, 1, 1,
               now() at time zone 'UTC', now() at time zone 'UTC'
          FROM generate_series(1, %(leads)s) i
          JOIN (SELECT id, company_id, row_number() OVER (ORDER BY id) AS n
                  FROM res_partner WHERE ref LIKE 'bench-%%') p
            ON p.n = 1 + i %% 1000
        """,
        {"reps": reps, "n": len(reps), "leads": args.leads},
    )
    cr.execute("CREATE TABLE bench_lead_before AS SELECT id, user_id FROM crm_lead")
    cr.execute("SELECT count(*), count(user_id) FROM crm_lead")
    leads, with_rep = cr.fetchone()
    cr.commit()
    cr.execute("ANALYZE crm_lead")
    return {"leads": leads, "with_rep": with_rep}


def check_leads(cr, installed):
    """The leads keep their Salesperson; installed, each one's Colleague is it."""
    cr.execute("SELECT count(*) FROM bench_lead_before b LEFT JOIN crm_lead l ON l.id = b.id "
               "WHERE l.id IS NULL OR l.user_id IS DISTINCT FROM b.user_id")
    problems = []
    if changed := cr.fetchone()[0]:
        problems.append(f"{changed} lead(s) lost or changed their Salesperson")
    if installed:
        cr.execute("SELECT count(*) FROM crm_lead WHERE colleague_id IS DISTINCT FROM user_id")
        if differ := cr.fetchone()[0]:
            problems.append(f"{differ} lead(s) whose Colleague is not the Salesperson")
    return problems


def expected_per_company(env):
    """{company id: {partner id: user id or False}} from the rows saved before the install.

    The addon's rule: a partner of one company has its rep in that company only;
    a shared partner has it in every company the rep works in.
    """
    cr = env.cr
    cr.execute("SELECT id, company_id, user_id FROM bench_salesperson_before")
    rows = cr.fetchall()
    cr.execute("SELECT user_id, array_agg(cid) FROM res_company_users_rel GROUP BY user_id")
    works_in = {uid: set(cids) for uid, cids in cr.fetchall()}
    expected = {}
    for company in env["res.company"].search([]):
        expected[company.id] = {
            pid: (uid if uid and (cid == company.id or (not cid and company.id in
                                                        works_in.get(uid, ())))
                  else False)
            for pid, cid, uid in rows
        }
    return expected


def step_check_installed(args, env):
    problems = []
    cr = env.cr
    cr.execute("SELECT state FROM ir_module_module WHERE name = %s", (ADDON,))
    if cr.fetchone()[0] != "installed":
        return {"problems": [f"{ADDON} is not installed"]}
    expected = expected_per_company(env)
    cr.execute("SELECT id, company_id, user_id FROM bench_salesperson_before")
    rows = cr.fetchall()
    ids = [row[0] for row in rows]
    # what each company reads: a partner of one company shows that company's rep
    # whatever the current company; a shared one the current company's
    own = {pid: uid or False for pid, cid, uid in rows if cid}
    shown = {company_id: {pid: own[pid] if pid in own else uid
                          for pid, uid in wanted.items()}
             for company_id, wanted in expected.items()}
    seen = 0
    for company_id, wanted in shown.items():
        partners = env["res.partner"].with_company(company_id).with_context(active_test=False)
        bad = []
        for start in range(0, len(ids), 20_000):
            chunk = partners.browse(ids[start:start + 20_000])
            for partner in chunk:
                got = partner.user_id.id or False
                if got != wanted[partner.id]:
                    bad.append((partner.id, got, wanted[partner.id]))
                elif got:
                    seen += 1
            env.invalidate_all()
        if bad:
            problems.append(f"company {company_id}: {len(bad)} Salesperson(s) differ, "
                            f"first (partner, got, expected): {bad[:5]}")
    # each rep of a commercial partner is its current relationship in that company
    cr.execute("SELECT id FROM bench_salesperson_before WHERE commercial")
    commercial = {row[0] for row in cr.fetchall()}
    want_rel = {(pid, company_id, uid) for company_id, wanted in expected.items()
                for pid, uid in wanted.items() if uid and pid in commercial}
    cr.execute("SELECT partner_id, company_id, user_id FROM crm_relationship "
               "WHERE is_current AND partner_id IN "
               "(SELECT id FROM bench_salesperson_before WHERE commercial)")
    got_rel = set(cr.fetchall())
    if got_rel != want_rel:
        problems.append(f"current relationships: {len(want_rel - got_rel)} missing, "
                        f"{len(got_rel - want_rel)} unexpected, e.g. "
                        f"{sorted(want_rel - got_rel)[:3]} / {sorted(got_rel - want_rel)[:3]}")
    problems += check_plain_column(cr)
    problems += check_leads(cr, installed=True)
    summary = (f"{seen:,} (company, partner) Salespersons read through with_company() as "
               f"expected, {len(got_rel):,} current relationships, every lead's Colleague "
               "is its Salesperson"
               if not problems else "MISMATCH: " + "; ".join(problems))
    return {"problems": problems, "summary": summary}


def check_plain_column(cr):
    """Odoo's ``res_partner.user_id``: a plain int4 column with its foreign key,
    holding the values Odoo had before the install."""
    cr.execute("SELECT udt_name FROM information_schema.columns "
               "WHERE table_name = 'res_partner' AND column_name = 'user_id'")
    column_type = cr.fetchone()[0]
    if column_type != "int4":
        return [f"res_partner.user_id is {column_type}, not int4"]
    problems = []
    cr.execute("SELECT confdeltype FROM pg_constraint WHERE conname = 'res_partner_user_id_fkey'")
    fk = cr.fetchone()
    if not fk or fk[0] != "n":
        problems.append("res_partner.user_id has no ON DELETE SET NULL foreign key")
    cr.execute("SELECT b.id, p.user_id, b.user_id FROM bench_salesperson_before b "
               "LEFT JOIN res_partner p ON p.id = b.id "
               "WHERE p.id IS NULL OR p.user_id IS DISTINCT FROM b.user_id")
    bad = cr.fetchall()
    if bad:
        problems.append(f"{len(bad)} plain Salesperson(s) differ from before the install, "
                        f"first (partner, now, before): {bad[:5]}")
    return problems


def step_uninstall(args, env):
    module = env["ir.module.module"].search([("name", "=", ADDON)])
    start = time.perf_counter()
    module.button_immediate_uninstall()
    return {"seconds": time.perf_counter() - start}


def step_check_uninstalled(args, env):
    problems = []
    cr = env.cr
    cr.execute("SELECT state FROM ir_module_module WHERE name = %s", (ADDON,))
    if cr.fetchone()[0] != "uninstalled":
        problems.append(f"{ADDON} is not uninstalled")
    problems += check_plain_column(cr)
    cr.execute("SELECT count(*) FROM information_schema.columns "
               "WHERE table_name = 'res_partner' AND column_name = 'crm_rm_user_id'")
    if cr.fetchone()[0]:
        problems.append("the res_partner.crm_rm_user_id column is still there")
    if "crm.relationship" in env.registry or "crm_relationship" in [
            t for (t,) in _tables(cr)]:
        problems.append("the crm_relationship table is still there")
    problems += check_leads(cr, installed=False)
    cr.execute("SELECT count(*) FROM bench_salesperson_before WHERE user_id IS NOT NULL")
    count = cr.fetchone()[0]
    summary = (f"res_partner.user_id is Odoo's plain int4 column, the {count:,} "
               "Salespersons are those Odoo had before the install, and the leads' too"
               if not problems else "MISMATCH: " + "; ".join(problems))
    return {"problems": problems, "summary": summary}


def _tables(cr):
    cr.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
    return cr.fetchall()


STEPS = {
    "populate": step_populate,
    "populate_leads": step_populate_leads,
    "check_installed": step_check_installed,
    "uninstall": step_uninstall,
    "check_uninstalled": step_check_uninstalled,
}


def main_step(args):
    import odoo
    from odoo import api

    registry = open_registry(args)
    with registry.cursor() as cr:
        env = api.Environment(cr, odoo.SUPERUSER_ID, {})
        answer = STEPS[args.step](args, env)
        if args.step in ("check_installed", "check_uninstalled"):
            cr.rollback()
        else:
            cr.commit()
    print(json.dumps(answer, default=str), flush=True)


if __name__ == "__main__":
    arguments = parse_args()
    if arguments.step:
        main_step(arguments)
    else:
        os.environ.setdefault("PYTHONUNBUFFERED", "1")
        main_parent(arguments)
