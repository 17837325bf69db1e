#!/usr/bin/env python3
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""A leaving rep's whole book moved to one successor: our batch against the OCA
module ``salesperson_transfer_portfolio`` (Sygel), side by side, in one run.

The book (built set-wise in SQL, so its tables are fresh as after an import): one
rep with N customers (companies), each with a contact, N/2 open opportunities (on
the contacts), 2N open activities (one on each customer, one on its opportunity
or else on its contact), the rep as Salesperson of the customers and contacts.

- ours: a batch "this rep's relationships -> the successor" with open leads
  moved, the company's task-follow policy ``all``: Start Update (a request), the
  cron's chunks (one transaction each), then the handover e-mails cron;
- the peer: its wizard as a user drives it (current and new salesperson, activity
  transfer on, *Review*, then *Transfer*), in one request.

Each side works on a scratch copy (``CREATE DATABASE ... TEMPLATE``) of its own
database and commits as production does; the copies are dropped at the end.
``--database`` must have crm_relationship_manager installed. The peer database
(``--peer-database``, default ``<database>_peer``) is created once with the peer
module from PyPI (``pip install --no-deps --target``, into a cache folder: the
Odoo installation is not touched) and kept for the next runs.

    python3 benchmarks/bench_vs_portfolio.py --database crm_relationship_demo \\
        [--customers 3000,20000] [--peer-customers 3000,20000] [--ours-only] [--explain]

At each size it prints both times and the ratio, then our time per customer at
each size against the smallest (the growth goal: within 1.5x).

Exit status: non-zero only when our batch fails; a peer that cannot be installed
is reported and skipped.
"""
import contextlib
import os
import subprocess
import sys
import time
from pathlib import Path
from unittest.mock import patch

from _odoo import _create_copy, _drop_copy, insert_current_relationships, parser

PEER_PACKAGE = "odoo-addon-salesperson-transfer-portfolio==18.0.*"
PEER_MODULE = "salesperson_transfer_portfolio"
PEER_CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / \
    "crm_relationship_manager_bench" / "peer"


# ----------------------------------------------------------------------
# Environment
# ----------------------------------------------------------------------
def peer_addons_dir():
    """The peer module from PyPI, unpacked in a cache folder (its only dependency,
    crm, is part of Odoo). Returns the folder to put in the addons path, or raises
    RuntimeError saying why it is missing."""
    target = PEER_CACHE
    addons = target / "odoo" / "addons"
    if (addons / PEER_MODULE / "__manifest__.py").exists():
        return addons
    target.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--upgrade",
         "--target", str(target), PEER_PACKAGE],
        capture_output=True, text=True, check=False)
    if proc.returncode or not (addons / PEER_MODULE / "__manifest__.py").exists():
        raise RuntimeError(f"pip install {PEER_PACKAGE} failed: "
                           f"{(proc.stderr or proc.stdout).strip()[-500:]}")
    return addons


def configure(args, extra_addons=()):
    import odoo_env as driver

    import odoo

    paths = [driver.addons_path(), *map(str, extra_addons)]
    odoo.tools.config.parse_config([
        f"--db_host={args.db_host}", f"--db_port={args.db_port}", f"--db_user={args.db_user}",
        f"--addons-path={','.join(paths)}", "--log-level=warn",
    ])


def database_exists(args, name):
    from _odoo import _admin_connection

    conn = _admin_connection(args)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
            return bool(cur.fetchone())
    finally:
        conn.close()


def create_peer_database(args, name, addons):
    """A fresh database with crm and the peer module (no demo data)."""
    import odoo_env as driver

    print(f"creating the peer database {name} (crm + {PEER_MODULE}, no demo data) ...")
    proc = subprocess.run(
        [sys.executable, "-m", "odoo", f"--db_host={args.db_host}",
         f"--db_port={args.db_port}", f"--db_user={args.db_user}",
         f"--addons-path={driver.addons_path()},{addons}", "-d", name,
         "-i", PEER_MODULE, "--without-demo=all", "--stop-after-init", "--log-level=warn"],
        capture_output=True, text=True, check=False)
    if proc.returncode:
        raise RuntimeError(f"installing {PEER_MODULE} failed: {proc.stderr.strip()[-800:]}")


@contextlib.contextmanager
def scratch_env(args, template):
    """A superuser environment on a scratch copy of ``template`` (dropped at the end)."""
    import odoo
    from odoo import api

    ns = type(args)(**vars(args))
    ns.database = template
    database = _create_copy(ns)
    try:
        registry = odoo.modules.registry.Registry(database)
        with registry.cursor() as cr:
            yield api.Environment(cr, odoo.SUPERUSER_ID, {})
    finally:
        odoo.modules.registry.Registry.delete(database)
        odoo.sql_db.close_db(database)
        _drop_copy(ns, database)


# ----------------------------------------------------------------------
# The book
# ----------------------------------------------------------------------
def build_book(env, count, ours):
    """Create the leaving rep, the successor and the book; commit. Returns (rep,
    successor, timings)."""
    cr = env.cr
    company = env.company
    users = env["res.users"].with_context(no_reset_password=True).create([
        {"name": name, "login": f"bench.{name.lower().replace(' ', '.')}.{time.time_ns()}",
         "email": f"{name.lower().replace(' ', '.')}@example.com",
         "company_id": company.id, "company_ids": [(6, 0, company.ids)],
         "groups_id": [(6, 0, env.ref("sales_team.group_sale_salesman").ids)]}
        for name in ("Leaving Rep", "Successor")
    ])
    rep, successor = users
    team = env["crm.team"].create({"name": "Book team", "company_id": company.id,
                                   "member_ids": [(6, 0, users.ids)]})
    stage = env["crm.stage"].search([("is_won", "=", False)], limit=1)
    if ours:
        company.task_follow_policy = "all"
        # the addon's per-company Salesperson, and Odoo's plain column in step
        user_cols, user_sql = "user_id, crm_rm_user_id", \
            "%(rep)s, jsonb_build_object(%(company)s::text, %(rep)s)"
    else:
        company.transfer_activities = True  # the peer's "Transfer Salesperson Activities"
        user_cols, user_sql = "user_id", "%(rep)s"
    env.flush_all()
    t0 = time.perf_counter()
    params = {"company": company.id, "rep": rep.id, "count": count}
    cr.execute(f"""
        INSERT INTO res_partner (name, complete_name, is_company, company_id, active, type,
                                 {user_cols}, create_date, write_date, create_uid, write_uid)
        SELECT 'Book Customer ' || g, 'Book Customer ' || g, true, %(company)s, true,
               'contact', {user_sql}, now() at time zone 'UTC', now() at time zone 'UTC', 1, 1
          FROM generate_series(1, %(count)s) g
        RETURNING id
        """, params)
    customers = [r[0] for r in cr.fetchall()]
    cr.execute("UPDATE res_partner SET commercial_partner_id = id WHERE id = ANY(%s)",
               (customers,))
    cr.execute(f"""
        INSERT INTO res_partner (name, complete_name, is_company, company_id, active, type,
                                 parent_id, commercial_partner_id, {user_cols},
                                 create_date, write_date, create_uid, write_uid)
        SELECT 'Contact ' || c, 'Book Customer, Contact ' || c, false, %(company)s, true,
               'contact', c, c, {user_sql}, now() at time zone 'UTC',
               now() at time zone 'UTC', 1, 1
          FROM unnest(%(customers)s::int[]) c
        RETURNING id, parent_id
        """, dict(params, customers=customers))
    contact_of = {parent: contact for contact, parent in cr.fetchall()}
    if ours:
        role = company._get_relationship_primary_role()
        insert_current_relationships(cr, customers, rep.id, company.id, role.id)
    with_lead = customers[::2]
    cr.execute("""
        INSERT INTO crm_lead (name, type, partner_id, user_id, company_id, team_id, stage_id,
                              active, probability, create_date, write_date, create_uid,
                              write_uid)
        SELECT 'Book deal ' || c, 'opportunity', p, %s, %s, %s, %s, true, 10,
               now() at time zone 'UTC', now() at time zone 'UTC', 1, 1
          FROM unnest(%s::int[], %s::int[]) AS x(c, p)
        RETURNING id, partner_id
        """, (rep.id, company.id, team.id, stage.id, with_lead,
              [contact_of[c] for c in with_lead]))
    lead_of_contact = {p: lead for lead, p in cr.fetchall()}
    cr.execute("""
        INSERT INTO mail_activity (res_model_id, res_model, res_id, res_name,
                                   activity_type_id, user_id, date_deadline, summary,
                                   automated, active, create_date, write_date,
                                   create_uid, write_uid)
        SELECT CASE WHEN x.lead IS NULL THEN %(pm)s ELSE %(lm)s END,
               CASE WHEN x.lead IS NULL THEN 'res.partner' ELSE 'crm.lead' END,
               COALESCE(x.lead, x.res_id), 'Book', %(call)s, %(rep)s,
               (now() + interval '7 days')::date, 'Follow up', false, true,
               now() at time zone 'UTC', now() at time zone 'UTC', 1, 1
          FROM (SELECT c AS res_id, NULL::int AS lead FROM unnest(%(customers)s::int[]) c
                UNION ALL
                SELECT k, l FROM unnest(%(contacts)s::int[], %(leads)s::int[]) AS y(k, l)) x
        """, {"pm": env.ref("base.model_res_partner").id, "lm": env.ref("crm.model_crm_lead").id,
              "call": env.ref("mail.mail_activity_data_call").id, "rep": rep.id,
              "customers": customers, "contacts": [contact_of[c] for c in customers],
              "leads": [lead_of_contact.get(contact_of[c]) for c in customers]})
    env.invalidate_all()
    cr.commit()
    cr.execute("SELECT count(*) FROM mail_activity WHERE user_id = %s AND active", (rep.id,))
    activities = cr.fetchone()[0]
    print(f"  book: {count} customers, {len(contact_of)} contacts, {len(lead_of_contact)} open "
          f"opportunities, {activities} open activities ({time.perf_counter() - t0:.1f} s)")
    return rep, successor


def moved(env, rep, successor):
    cr = env.cr
    env.invalidate_all()
    counts = {}
    for table in ("crm_lead", "mail_activity"):
        cr.execute(f"SELECT count(*) FILTER (WHERE user_id = %s), "  # noqa: S608
                   f"count(*) FILTER (WHERE user_id = %s) FROM {table} WHERE active",
                   (rep.id, successor.id))
        counts[table] = cr.fetchone()
    return counts


# ----------------------------------------------------------------------
# The two runs
# ----------------------------------------------------------------------
def run_ours(env, rep, successor, chunk_size, explain=False):
    Batch = env["crm.relationship.batch"]
    batch = Batch.create({"chunk_size": chunk_size, "move_leads": True, "line_ids": [(0, 0, {
        "kind": "rep", "source_user_id": rep.id,
        "target_ids": [(0, 0, {"user_id": successor.id})]})]})
    env.cr.commit()  # the draft batch, saved by the form
    mails_before = count_mails(env)
    if explain:
        explain_open_leads(env, batch)
    t0 = time.perf_counter()
    batch.action_start()
    env.cr.commit()  # end of the request
    t_start = time.perf_counter() - t0
    t0 = time.perf_counter()
    while batch.state in ("queued", "running"):
        Batch._cron_process_batches(time_budget=3600)  # one commit per chunk
    env.cr.commit()
    t_chunks = time.perf_counter() - t0
    if batch.state != "done":
        raise RuntimeError(f"our batch ended {batch.state}: {batch.error}")
    t0 = time.perf_counter()
    Handover = env["crm.task.follow.handover"]
    while Handover.sudo().search_count([]):
        Handover._cron_send_mails()
        env.cr.commit()
    t_mails = time.perf_counter() - t0
    mails = count_mails(env) - mails_before
    print(f"  ours: start {t_start:.1f} s + chunks {t_chunks:.1f} s + handover e-mails "
          f"{t_mails:.1f} s ({mails} e-mails queued); leads moved {batch.leads_moved}")
    return t_start + t_chunks + t_mails


def count_mails(env):
    """Outgoing e-mails other than the batch's own summary."""
    env.flush_all()
    env.cr.execute("""
        SELECT count(*) FROM mail_mail mm JOIN mail_message m ON m.id = mm.mail_message_id
         WHERE m.model IS DISTINCT FROM 'crm.relationship.batch'
        """)
    return env.cr.fetchone()[0]


def explain_open_leads(env, batch):
    """EXPLAIN ANALYZE of the planner's open-lead query on the freshly planned items."""
    batch._plan_items()
    env.flush_all()
    item_ids = batch._pending_item_ids()
    cr = env.cr
    cr.execute("SELECT DISTINCT company_id FROM crm_relationship_batch_item WHERE batch_id = %s",
               (batch.id,))
    company_ids = [row[0] for row in cr.fetchall()]
    real_execute = type(cr).execute
    plans = []

    def execute(self, query, params=None, log_exceptions=True):
        text = query.code if hasattr(query, "code") else str(query)
        if "FROM contacts c" in text:
            real_execute(self, "EXPLAIN (ANALYZE, COSTS OFF) " + text, params)
            plans.append("\n".join(row[0] for row in self.fetchall()))
        return real_execute(self, query, params, log_exceptions)

    with patch.object(type(cr), "execute", execute):
        t0 = time.perf_counter()
        rows = batch._open_lead_rows(batch._items_relation(item_ids), company_ids)
        elapsed = time.perf_counter() - t0
    print(f"  _open_lead_rows on {len(item_ids)} items: {len(rows)} leads in "
          f"{elapsed * 1000:.0f} ms (with EXPLAIN ANALYZE); plan:")
    for line in (plans[0] if plans else "?").splitlines():
        print("    " + (line if len(line) < 120 else line[:117] + "..."))
    env.flush_all()
    cr.rollback()
    env.invalidate_all()


def run_peer(env, rep, successor):
    """The peer's wizard, driven as the administrator drives it from the menu."""
    Wizard = env["transfer.portfolio.wizard"]
    t0 = time.perf_counter()
    wizard = Wizard.create({"current_salesperson": rep.id, "new_salesperson": successor.id,
                            "transfer_activities": True, "update_salesperson_contact": True})
    wizard.review_transfer()  # the "Review" button
    env.cr.commit()
    t_review = time.perf_counter() - t0
    t0 = time.perf_counter()
    wizard.transfer_portfolio()  # the "Transfer" button
    env.cr.commit()
    t_transfer = time.perf_counter() - t0
    print(f"  peer: review {t_review:.1f} s + transfer {t_transfer:.1f} s")
    return t_review + t_transfer


def measure_ours(args, count):
    print(f"ours: crm_relationship_manager batch on a copy of {args.database}, N = {count}")
    with scratch_env(args, args.database) as env:
        rep, successor = build_book(env, count, ours=True)
        elapsed = run_ours(env, rep, successor, args.chunk_size, explain=args.explain)
        counts = moved(env, rep, successor)
        assert counts["crm_lead"][0] == 0 and counts["mail_activity"][0] == 0, counts
        print(f"  moved to the successor: {counts['crm_lead'][1]} leads, "
              f"{counts['mail_activity'][1]} activities")
    print(f"ours: {elapsed:.1f} s for {count} customers "
          f"({elapsed / count * 1000:.2f} ms per customer)")
    return elapsed


def measure_peer(args, peer_db, count):
    print(f"peer: {PEER_MODULE} wizard on a copy of {peer_db}, N = {count}")
    with scratch_env(args, peer_db) as env:
        rep, successor = build_book(env, count, ours=False)
        elapsed = run_peer(env, rep, successor)
        counts = moved(env, rep, successor)
        print(f"  moved to the successor: {counts['crm_lead'][1]} leads, "
              f"{counts['mail_activity'][1]} activities")
    print(f"peer: {elapsed:.1f} s for {count} customers")
    return elapsed


def sizes(text):
    return [int(n) for n in text.split(",") if n.strip()]


def main():
    p = parser(__doc__)
    p.add_argument("--customers", type=sizes, default=[3000, 20000],
                   help="comma-separated book sizes (default 3000,20000)")
    p.add_argument("--peer-customers", type=sizes, default=None,
                   help="sizes at which the peer runs too (default: every size)")
    p.add_argument("--chunk-size", type=int, default=5000)
    p.add_argument("--peer-database", help="database with the peer module (default: "
                   "<database>_peer, created when missing)")
    p.add_argument("--ours-only", action="store_true", help="skip the peer module")
    p.add_argument("--explain", action="store_true",
                   help="print the EXPLAIN ANALYZE plan of the open-lead query")
    args = p.parse_args()
    peer_sizes = [] if args.ours_only else (
        args.customers if args.peer_customers is None else args.peer_customers)
    peer_addons, peer_missing = None, None
    if peer_sizes:
        try:
            peer_addons = peer_addons_dir()
        except RuntimeError as exc:
            peer_missing = str(exc)
    configure(args, [peer_addons] if peer_addons else [])
    peer_db = args.peer_database or f"{args.database}_peer"
    if peer_addons and not peer_missing:
        try:
            if not database_exists(args, peer_db):
                create_peer_database(args, peer_db, peer_addons)
        except RuntimeError as exc:
            peer_missing = str(exc)
    if peer_sizes and peer_missing:
        print(f"peer {PEER_MODULE}: not measured: {peer_missing}")

    rows = []
    for count in args.customers:
        ours = measure_ours(args, count)
        peer = None
        if count in peer_sizes and not peer_missing:
            peer = measure_peer(args, peer_db, count)
        rows.append((count, ours, peer))

    base = rows[0][1] / rows[0][0]
    print()
    print("| customers | ours | ms per customer | growth | peer | peer / ours |")
    print("|---:|---:|---:|---:|---:|---:|")
    for count, ours, peer in rows:
        per = ours / count
        peer_txt = f"{peer:.1f} s" if peer is not None else "not run"
        ratio = f"{peer / ours:.1f}x" if peer is not None else "-"
        print(f"| {count} | {ours:.1f} s | {per * 1000:.2f} | {per / base:.2f}x | "
              f"{peer_txt} | {ratio} |")
    print("goals: peer / ours >= 30x at N = 3000; growth within 1.5x")


if __name__ == "__main__":
    main()
