#!/usr/bin/env python3
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Mass reassignment, workload-balanced: planning a rep's book of N customers
across 10 reps.

Builds (set-wise SQL) one rep holding N customers, half of them with open leads
(one to four each), and 10 target reps already carrying uneven books (rep k:
k x N/100 customers and k x N/200 open leads). Then times, for the same line,
the plan (``_plan``: customers, loads, distribution, in memory), the whole
Preview request (plan, problems, leads, activities and meetings that move, QWeb
preview; no item is written) and, for comparison, the plan written as items as
Start does it (``_plan_items``) with

- Evenly (the existing round robin, the comparison),
- Balance workload on customers,
- Balance workload on open leads,

each the median of ``--repeat`` runs, and prints the loads before/after of the
balanced plans (their spread: the highest minus the lowest load after).

Besides the wall time, the CPU time of this process and of its PostgreSQL
backend (read from /proc when the server is local) is printed: on a shared
machine it shows what the plan costs whatever the other processes do.

Goal: the plan of 100,000 customers to 10 reps balanced <= 5 s on 2 cores.
The script works on a scratch copy of ``--database`` (dropped at the end) and
commits as production does: the data set, the draft batch, then each plan and
each preview (a web request each). In one transaction, PostgreSQL would check
the items' foreign keys against rows the same transaction inserted, which makes
the plan several times slower than in production.

    python3 benchmarks/bench_balance.py --database crm_relationship_demo
        [--customers 100000] [--repeat 3]
"""
import os
import time

from _odoo import create_reps, median, odoo_env, parser

TARGETS = 10


def build(env, count):
    cr = env.cr
    company = env.company
    role = company._get_relationship_primary_role()
    users = create_reps(env, "Balance", TARGETS + 1)
    source, targets = users[0], users[1:]
    team = env["crm.team"].create({"name": "Balance team", "company_id": company.id,
                                   "member_ids": [(6, 0, users.ids)]})
    stage = env["crm.stage"].search([("is_won", "=", False)], limit=1)
    env.flush_all()
    t0 = time.perf_counter()
    # the book (N customers of the source) and the targets' current books:
    # target k holds k * N / 100 customers
    owners = [source.id] * count
    for k, user in enumerate(targets, start=1):
        owners += [user.id] * (k * count // 100)
    cr.execute(
        """
        INSERT INTO res_partner (name, complete_name, is_company, company_id, active, type,
                                 user_id, crm_rm_user_id,
                                 create_date, write_date, create_uid, write_uid)
        SELECT 'Balance Customer ' || o.n, 'Balance Customer ' || o.n, true, %(company)s, true,
               'contact', o.user_id, jsonb_build_object(%(company)s::text, o.user_id),
               now() at time zone 'UTC', now() at time zone 'UTC', 1, 1
          FROM unnest(%(owners)s::int[]) WITH ORDINALITY AS o(user_id, n)
         ORDER BY o.n
        RETURNING id, user_id
        """, {"company": company.id, "owners": owners})
    rows = cr.fetchall()
    cr.execute("UPDATE res_partner SET commercial_partner_id = id WHERE id = ANY(%s)",
               ([r[0] for r in rows],))
    cr.execute(
        """
        INSERT INTO crm_relationship (partner_id, user_id, company_id, role_id, source,
                                      date_start, is_current, changed_by_id,
                                      create_date, write_date, create_uid, write_uid)
        SELECT p, u, %s, %s, 'odoo', now() at time zone 'UTC', true, 1,
               now() at time zone 'UTC', now() at time zone 'UTC', 1, 1
          FROM unnest(%s::int[], %s::int[]) AS x(p, u)
        """, (company.id, role.id, [r[0] for r in rows], [r[1] for r in rows]))
    # open leads: half of the book's customers carry 1 to 4; target k holds
    # k * N / 200 (on its first customers)
    lead_partners, lead_users = [], []
    book = [pid for pid, uid in rows if uid == source.id]
    for i, pid in enumerate(book[::2]):
        lead_partners += [pid] * (1 + i % 4)
        lead_users += [source.id] * (1 + i % 4)
    for k, user in enumerate(targets, start=1):
        own = [pid for pid, uid in rows if uid == user.id][:k * count // 200]
        lead_partners += own
        lead_users += [user.id] * len(own)
    cr.execute(
        """
        INSERT INTO crm_lead (name, type, partner_id, user_id, company_id, team_id, stage_id,
                              active, probability, create_date, write_date, create_uid,
                              write_uid)
        SELECT 'Balance deal ' || p, 'opportunity', p, u, %s, %s, %s, true, 10,
               now() at time zone 'UTC', now() at time zone 'UTC', 1, 1
          FROM unnest(%s::int[], %s::int[]) AS x(p, u)
        """, (company.id, team.id, stage.id, lead_partners, lead_users))
    cr.execute("ANALYZE res_partner; ANALYZE crm_relationship; ANALYZE crm_lead")
    env.invalidate_all()
    print(f"setup: {count} customers of the rep, {len(rows) - count} customers and "
          f"{len(lead_partners)} open leads in all, {TARGETS} target reps, "
          f"in {time.perf_counter() - t0:.1f} s")
    return source, targets


def backend_cpu(pid):
    """CPU seconds used so far by the PostgreSQL backend ``pid`` (None when its
    /proc entry cannot be read: server on another machine)."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def timed_cpu(env, fn):
    """(wall seconds, CPU seconds of this process and of its database backend or
    None) of ``fn`` and its flush."""
    env.flush_all()
    env.invalidate_all()
    env.cr.execute("SELECT pg_backend_pid()")
    pid = env.cr.fetchone()[0]
    server, client, start = backend_cpu(pid), time.process_time(), time.perf_counter()
    fn()
    env.flush_all()
    wall = time.perf_counter() - start
    server_after = backend_cpu(pid)
    cpu = None if server is None or server_after is None else (
        time.process_time() - client + server_after - server)
    return wall, cpu


def new_batch(env, source, targets, distribution, balance_on="customers"):
    return env["crm.relationship.batch"].create({"line_ids": [(0, 0, {
        "kind": "rep", "source_user_id": source.id, "distribution": distribution,
        "balance_on": balance_on,
        "target_ids": [(0, 0, {"user_id": u.id, "sequence": i})
                       for i, u in enumerate(targets)]})]})


def measure(env, source, targets, repeat, distribution, balance_on="customers"):
    batch = new_batch(env, source, targets, distribution, balance_on)
    env.cr.commit()  # the draft batch, saved by the form
    plans, previews, writes = [], [], []
    for __ in range(repeat):
        plans.append(timed_cpu(env, batch._plan))
        env.cr.rollback()
        previews.append(timed_cpu(env, batch.action_preview))
        env.cr.commit()
        writes.append(timed_cpu(env, batch._plan_items))
        env.cr.commit()
    assert not batch.problems, batch.problems
    line = batch.line_ids
    assert line.preview_total == len(batch.item_ids)
    return batch, summary(plans), summary(previews), summary(writes)


def summary(runs):
    """(median wall, median CPU or None)"""
    cpus = [cpu for __, cpu in runs if cpu is not None]
    return median([wall for wall, __ in runs]), median(cpus) if cpus else None


def fmt(timing):
    wall, cpu = timing
    return f"{wall:.2f} s" + (f" (CPU {cpu:.2f} s)" if cpu is not None else "")


def main():
    p = parser(__doc__)
    p.add_argument("--customers", type=int, default=100_000)
    p.add_argument("--repeat", type=int, default=3)
    args = p.parse_args()
    with odoo_env(args, scratch_copy=True) as env:
        source, targets = build(env, args.customers)
        env.cr.commit()
        results = {}
        for label, distribution, balance_on in (
            ("evenly", "even", "customers"),
            ("balance on customers", "balance", "customers"),
            ("balance on open leads", "balance", "leads"),
        ):
            batch, plan, preview, write = measure(env, source, targets, args.repeat,
                                                  distribution, balance_on)
            results[label] = (plan, preview)
            print(f"{label:>22}: plan {fmt(plan)}, whole preview {fmt(preview)}, "
                  f"plan written as items (Start) {fmt(write)} "
                  f"({args.customers} customers to {TARGETS} reps, median of {args.repeat})")
            if distribution == "balance":
                line = batch.line_ids
                before = line.target_ids.mapped("preview_before")
                after = line.target_ids.mapped("preview_after")
                print(f"{'':>24}{balance_on} before {before}")
                print(f"{'':>24}{balance_on} after  {after} (spread {max(after) - min(after)})")
            else:
                print(f"{'':>24}customers per rep {batch.line_ids.target_ids.mapped('preview_count')}")
        even_plan, even_preview = results["evenly"]
        for label in ("balance on customers", "balance on open leads"):
            plan, preview = results[label]
            ratios = f"plan {plan[0] / even_plan[0]:.2f}x, preview {preview[0] / even_preview[0]:.2f}x"
            if plan[1] is not None and even_plan[1]:
                ratios += (f" (CPU: plan {plan[1] / even_plan[1]:.2f}x, "
                           f"preview {preview[1] / even_preview[1]:.2f}x)")
            print(f"{label} / evenly: {ratios}; plan {fmt(plan)}, whole preview "
                  f"{fmt(preview)} (goal <= 5 s)")


if __name__ == "__main__":
    main()
