#!/usr/bin/env python3
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Lead creation over XML-RPC with and without rotation pools, and 8 parallel clients.

Starts its own Odoo server (a subprocess on a scratch database, created with the
addon installed and no demo data when missing) and talks to it over real
XML-RPC, so every create is a real request in its own committed transaction.

1. Sequential: N leads created through the team's rotation pool (no
   salesperson given) and, interleaved one by one, N leads created the naive
   way: the client picks the rep itself (round robin) and passes ``user_id``
   with the pools switched off (context ``crm_rotation_skip``). Both get Odoo's
   standard "you have been assigned" notification; the pool adds the lock, the
   turn, the decision log, the chatter note and the pool's e-mail. Prints the
   median per-lead time of each, the difference and the ratio.
   Goal: the rotation adds at most 5 ms per lead at the median.
2. Parallel: 8 clients (threads, one XML-RPC connection each) create leads at
   the same time through a second pool; prints the per-member counts, the turn
   numbers check, the serialization retries the server logged and the errors.

    python3 benchmarks/bench_rotation.py --database crm_rm_bench_rotation --port 8149

With ``--mode capacity`` it measures member capacities instead (pool option
*Capacity*, ``--capacity-mode open`` or ``month``):

1. Sequential: N leads through a pool whose members have capacities (high
   enough never to be reached, so that both pools rotate) and, interleaved one
   by one, N leads through the same pool without capacities (another team of
   the same size). Prints both medians side by side, the difference and the
   ratio. Goal: capacities add at most 2 ms per lead at the median.
2. Parallel: 8 clients create leads at the same time through a pool whose
   members' capacities add up to less than the leads created; prints each
   member's load against their capacity (none may be over), the leads that went
   to the fallback owner because everyone was full, the turn numbers check,
   the serialization retries and the errors.

    python3 benchmarks/bench_rotation.py --database crm_rm_bench_capacity --port 8151 \\
        --mode capacity
"""
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import xmlrpc.client
from collections import Counter
from pathlib import Path

from _odoo import parser

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))


def wait_for_port(port, proc, timeout=180):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"the Odoo server stopped (exit code {proc.returncode})")
        with socket.socket() as sock:
            sock.settimeout(0.5)
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.5)
    raise SystemExit(f"the Odoo server did not listen on port {port} within {timeout} s")


class Client:
    def __init__(self, port, db, uid, password):
        self.db, self.uid, self.password = db, uid, password
        self.proxy = xmlrpc.client.ServerProxy(
            f"http://127.0.0.1:{port}/xmlrpc/2/object", allow_none=True)

    def __call__(self, model, method, *args, **kwargs):
        return self.proxy.execute_kw(self.db, self.uid, self.password, model, method,
                                     list(args), kwargs)


def main():
    sys.stdout.reconfigure(line_buffering=True)
    p = parser(__doc__)
    p.add_argument("--port", type=int, default=8149, help="HTTP port of the server started")
    p.add_argument("--count", type=int, default=1000, help="leads per variant")
    p.add_argument("--parallel-count", type=int, default=50, help="leads per parallel client")
    p.add_argument("--clients", type=int, default=8)
    p.add_argument("--workers", type=int, default=0,
                   help="Odoo --workers (0: threaded server, every request in its own thread)")
    p.add_argument("--mode", choices=("pool", "capacity"), default="pool",
                   help="pool: rotation pool vs naive; capacity: pool with vs without capacities")
    p.add_argument("--capacity-mode", choices=("open", "month"), default="open",
                   help="the pools' Capacity option in --mode capacity")
    args = p.parse_args()

    import odoo_env as driver

    args.http_port = args.port
    if not driver.db_exists(args, args.database):
        driver.install(args, args.database, demo=False)
    log_file = tempfile.NamedTemporaryFile(prefix="bench_rotation_", suffix=".log", delete=False)
    cmd = driver.odoo_cmd(args, "-d", args.database, f"--http-port={args.port}",
                          f"--db-filter=^{args.database}$", f"--workers={args.workers}",
                          "--max-cron-threads=0", "--log-level=info",
                          f"--logfile={log_file.name}")
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            cwd=tempfile.gettempdir())
    try:
        wait_for_port(args.port, proc)
        (run_capacity if args.mode == "capacity" else run)(args, log_file.name)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
        os.unlink(log_file.name)


def run(args, log_path):
    common = xmlrpc.client.ServerProxy(f"http://127.0.0.1:{args.port}/xmlrpc/2/common")
    uid = common.authenticate(args.database, "admin", "admin", {})
    if not uid:
        raise SystemExit("cannot log in as admin/admin on the scratch database")
    admin = Client(args.port, args.database, uid, "admin")
    stamp = str(int(time.time()))
    company_id = admin("res.users", "read", [uid], ["company_id"])[0]["company_id"][0]
    salesman = admin("ir.model.data", "check_object_reference", "sales_team",
                     "group_sale_salesman")[1]

    def make_team(name, size):
        users = [admin("res.users", "create", {
            "name": f"{name} Rep {i}", "login": f"bench.{stamp}.{name.lower()}.{i}",
            "email": f"bench.{stamp}.{name.lower()}.{i}@example.com",
            "company_id": company_id, "company_ids": [(6, 0, [company_id])],
            "groups_id": [(6, 0, [salesman])],
        }) for i in range(size)]
        team = admin("crm.team", "create", {
            "name": f"Bench {name} {stamp}", "company_id": company_id, "user_id": uid,
            "member_ids": [(6, 0, users)]})
        pool = admin("crm.rotation.pool", "create", {
            "name": f"Bench {name} {stamp}", "company_id": company_id, "team_id": team,
            "notify_emails": "lead.desk@example.com"})
        return users, team, pool

    # --- 1. sequential, interleaved ------------------------------------------
    users, team, pool = make_team("Seq", 4)
    with_pool, naive = [], []
    for i in range(args.count):
        start = time.perf_counter()
        admin("crm.lead", "create", {"name": f"Bench pool {i}", "team_id": team})
        with_pool.append(time.perf_counter() - start)
        start = time.perf_counter()
        admin("crm.lead", "create", {"name": f"Bench naive {i}", "team_id": team,
                                     "user_id": users[i % len(users)]},
              context={"crm_rotation_skip": True})
        naive.append(time.perf_counter() - start)
    counts = Counter(lead["user_id"][0] for lead in admin(
        "crm.lead", "search_read", [("rotation_pool_id", "=", pool)], ["user_id"]))
    t_pool, t_naive = statistics.median(with_pool), statistics.median(naive)
    print(f"sequential XML-RPC create, {args.count} leads each (median per lead)")
    print(f"  naive (client picks the rep, pools off): {t_naive * 1000:7.2f} ms")
    print(f"  rotation pool (sticky check, lock, turn, log, chatter, e-mail): "
          f"{t_pool * 1000:7.2f} ms")
    print(f"  difference: {(t_pool - t_naive) * 1000:+.2f} ms per lead (goal <= 5 ms), "
          f"ratio: {t_pool / t_naive:.2f}")
    print(f"  per-member counts: {sorted(counts.values())}")

    # --- 2. parallel clients ----------------------------------------------------
    users, team, pool = make_team("Par", 4)
    created, errors, elapsed, retries = parallel_creates(args, log_path, uid, team, "parallel")
    logs = admin("crm.rotation.log", "search_read", [("pool_id", "=", pool)],
                 ["turn", "user_id", "lead_id"])
    turns = sorted(log["turn"] for log in logs)
    per_member = Counter(log["user_id"][1] for log in logs)
    total = args.clients * args.parallel_count
    print(f"\n{args.clients} parallel XML-RPC clients x {args.parallel_count} leads "
          f"(server: {'threaded' if not args.workers else f'{args.workers} workers'}), "
          f"{elapsed:.1f} s")
    print(f"  leads created: {len(created)} of {total}; errors: {len(errors)}")
    for error in errors[:5]:
        print(f"    {error}")
    print("  per-member counts: "
          + ", ".join(f"{name}: {n}" for name, n in sorted(per_member.items())))
    print(f"  max - min: {max(per_member.values()) - min(per_member.values())} (goal <= 1)")
    print(f"  turns 1..{total} each exactly once: {turns == list(range(1, total + 1))}")
    print(f"  serialization failures retried by the server: {retries}")



def parallel_creates(args, log_path, uid, team, label):
    """``args.clients`` XML-RPC clients creating ``args.parallel_count`` leads each
    in ``team`` at once. Returns (created lead ids, errors, seconds, serialization
    retries logged by the server meanwhile)."""
    log_before = Path(log_path).read_text(errors="replace")
    errors, created = [], []
    lock = threading.Lock()

    def work(index):
        client = Client(args.port, args.database, uid, "admin")
        for i in range(args.parallel_count):
            try:
                lead_id = client("crm.lead", "create",
                                 {"name": f"Bench {label} {index}.{i}", "team_id": team})
                with lock:
                    created.append(lead_id)
            except Exception as exc:  # noqa: BLE001 - every error is reported
                text = getattr(exc, "faultString", None) or repr(exc)
                with lock:
                    errors.append(text.strip().splitlines()[-1][:300])

    start = time.perf_counter()
    threads = [threading.Thread(target=work, args=(i,)) for i in range(args.clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - start
    retries = len(re.findall(r"SERIALIZATION_FAILURE, \d+ tries left",
                             Path(log_path).read_text(errors="replace")[len(log_before):]))
    return created, errors, elapsed, retries


def connect(args):
    common = xmlrpc.client.ServerProxy(f"http://127.0.0.1:{args.port}/xmlrpc/2/common")
    uid = common.authenticate(args.database, "admin", "admin", {})
    if not uid:
        raise SystemExit("cannot log in as admin/admin on the scratch database")
    return uid, Client(args.port, args.database, uid, "admin")


def run_capacity(args, log_path):
    uid, admin = connect(args)
    stamp = str(int(time.time()))
    company_id = admin("res.users", "read", [uid], ["company_id"])[0]["company_id"][0]
    salesman = admin("ir.model.data", "check_object_reference", "sales_team",
                     "group_sale_salesman")[1]

    def make_team(name, capacities=None):
        """A team of len(capacities) reps and its pool; with capacities, the pool
        limits them (the reps' assignment_max in the team, Odoo's own field)."""
        users = [admin("res.users", "create", {
            "name": f"{name} Rep {i}", "login": f"bench.{stamp}.{name.lower()}.{i}",
            "email": f"bench.{stamp}.{name.lower()}.{i}@example.com",
            "company_id": company_id, "company_ids": [(6, 0, [company_id])],
            "groups_id": [(6, 0, [salesman])],
        }) for i in range(len(capacities))]
        team = admin("crm.team", "create", {
            "name": f"Bench {name} {stamp}", "company_id": company_id, "user_id": uid,
            "member_ids": [(6, 0, users)]})
        mode = "none"
        if any(capacity is not None for capacity in capacities):
            mode = args.capacity_mode
            for user, capacity in zip(users, capacities):
                membership = admin("crm.team.member", "search",
                                   [("crm_team_id", "=", team), ("user_id", "=", user)])
                admin("crm.team.member", "write", membership, {"assignment_max": capacity})
        pool = admin("crm.rotation.pool", "create", {
            "name": f"Bench {name} {stamp}", "company_id": company_id, "team_id": team,
            "notify_emails": "lead.desk@example.com", "capacity_mode": mode})
        return users, team, pool

    def loads(team, users):
        """The members' loads, counted by the client (what the pool must respect)."""
        domain, context = [("team_id", "=", team), ("user_id", "in", users)], {}
        if args.capacity_mode == "open":
            domain.append(("stage_id.is_won", "=", False))
        else:  # received in the last 30 days, lost leads included
            cutoff = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(time.time() - 30 * 86400))
            domain.append(("date_open", ">=", cutoff))
            context = {"active_test": False}
        counts = Counter(lead["user_id"][0] for lead in admin(
            "crm.lead", "search_read", domain, ["user_id"], context=context))
        return [counts.get(user, 0) for user in users]

    # --- 1. sequential, interleaved ------------------------------------------
    high = args.count  # never reached: both pools rotate
    cap_users, cap_team, cap_pool = make_team("Cap", [high] * 4)
    _users, free_team, free_pool = make_team("Free", [None] * 4)
    with_capacity, without = [], []
    variants = [(with_capacity, cap_team, "capacity"), (without, free_team, "no capacity")]
    for i in range(args.count):
        # interleaved, each variant first every other time (no order bias)
        for times, team, label in variants if i % 2 else variants[::-1]:
            start = time.perf_counter()
            admin("crm.lead", "create", {"name": f"Bench {label} {i}", "team_id": team})
            times.append(time.perf_counter() - start)
    reasons = Counter(log["reason"] for log in admin(
        "crm.rotation.log", "search_read", [("pool_id", "in", [cap_pool, free_pool])],
        ["reason"]))
    t_cap, t_free = statistics.median(with_capacity), statistics.median(without)
    print(f"sequential XML-RPC create through a rotation pool, {args.count} leads each "
          f"(median per lead), capacity: {args.capacity_mode}")
    print(f"  without capacities: {t_free * 1000:.2f} ms | with capacities: {t_cap * 1000:.2f} ms"
          f" | difference: {(t_cap - t_free) * 1000:+.2f} ms per lead (goal <= 2 ms), "
          f"ratio {t_cap / t_free:.2f}")
    print(f"  decisions: {dict(reasons)}; loads of the capacity pool's members: "
          f"{loads(cap_team, cap_users)} (capacity {high} each)")

    # --- 2. parallel clients, members filling up -----------------------------------
    total = args.clients * args.parallel_count
    capacities = [total * share // 20 for share in (1, 2, 3, 4)]  # half the leads fit
    users, team, pool = make_team("Full", capacities)
    created, errors, elapsed, retries = parallel_creates(args, log_path, uid, team, "full")
    logs = admin("crm.rotation.log", "search_read", [("pool_id", "=", pool)],
                 ["turn", "reason"])
    reasons = Counter(log["reason"] for log in logs)
    turns = sorted(log["turn"] for log in logs if log["reason"] == "rotation")
    member_loads = loads(team, users)
    over = [i for i, (load, cap) in enumerate(zip(member_loads, capacities)) if load > cap]
    print(f"\n{args.clients} parallel XML-RPC clients x {args.parallel_count} leads "
          f"(server: {'threaded' if not args.workers else f'{args.workers} workers'}), "
          f"{elapsed:.1f} s, capacities adding up to {sum(capacities)} of {total} leads")
    print(f"  leads created: {len(created)} of {total}; errors: {len(errors)}")
    for error in errors[:5]:
        print(f"    {error}")
    print("  load / capacity per member: "
          + ", ".join(f"{load} / {cap}" for load, cap in zip(member_loads, capacities)))
    print(f"  members over capacity: {len(over)} (goal 0)")
    rotated, full = reasons.get("rotation", 0), reasons.get("full", 0)
    print(f"  decisions: rotation {rotated}, everyone at capacity -> fallback owner {full}, "
          f"other {len(logs) - rotated - full}")
    print(f"  rotation turns 1..{len(turns)} each exactly once: "
          f"{turns == list(range(1, len(turns) + 1))}")
    print(f"  serialization failures retried by the server: {retries}")


if __name__ == "__main__":
    main()
