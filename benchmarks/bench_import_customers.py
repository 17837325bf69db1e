#!/usr/bin/env python3
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Import N customer rows in ONE XML-RPC call of res.partner.import_customers,
half of them transfers from another rep, and compare in the same run with

- the same work done by per-row XML-RPC calls (search by customer number, then
  write or create: what an integrator does without the API);
- Odoo's own ``load()`` (one XML-RPC call) of the same rows, given the ids.

Each way gets its own, identical set of customers: N/2 customers of another rep
(transferred: moved to the importing rep, with a new city), N/4 customers of the
importing rep (updated: new city) and N/4 new customers (created). Every row has a
different city, so no two rows can share a write.

All calls go through a real XML-RPC server started in this process; it shares
the script's transaction (Odoo's test mode), which is rolled back at the end:
nothing is committed. Goals: import <= 60 s for 10,000 rows,
>= 5x faster than per-row calls, <= 2x load().

    python3 benchmarks/bench_import_customers.py --database crm_relationship_demo
"""
import socket
import time
import xmlrpc.client

from _odoo import odoo_env, parser

PASSWORD = "bench-import-pw"


def start_server(registry, cr):
    """Serve XML-RPC on a free port, sharing ``cr`` (test mode)."""
    import odoo
    from odoo.service import server

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    odoo.tools.config["http_port"] = port
    registry.enter_test_mode(cr, test_readonly_enabled=False)
    server.load_server_wide_modules()
    threaded = server.ThreadedServer(odoo.http.root)
    threaded.http_spawn()
    return port


def make_data(env, prefix, count, rep_in, rep_out):
    """Customers for one way of importing; return the rows."""
    company = env.company
    Partner = env["res.partner"].with_context(tracking_disable=True, mail_create_nolog=True)
    n_transfer, n_update = count // 2, count // 4
    n_create = count - n_transfer - n_update
    transfer = Partner.create([
        {"name": f"{prefix} T {i}", "is_company": True, "company_id": company.id,
         "external_ref": f"{prefix}-T-{i}", "city": "Old"} for i in range(n_transfer)])
    update = Partner.create([
        {"name": f"{prefix} U {i}", "is_company": True, "company_id": company.id,
         "external_ref": f"{prefix}-U-{i}", "city": "Old"} for i in range(n_update)])
    Rel = env["crm.relationship"].with_context(tracking_disable=True,
                                               mail_auto_subscribe_no_notify=True)
    Rel._assign(transfer, rep_out, company=company)
    Rel._assign(update, rep_in, company=company)
    env.flush_all()
    # every row a different new city: no two rows share a write
    rows = [{"external_ref": p.external_ref, "name": p.name, "city": f"New {i}"}
            for i, p in enumerate(transfer | update)]
    rows += [{"external_ref": f"{prefix}-N-{i}", "name": f"{prefix} N {i}",
              "city": f"New {n_transfer + n_update + i}"} for i in range(n_create)]
    return rows, transfer, update


def main():
    p = parser(__doc__)
    p.add_argument("--count", type=int, default=10_000)
    p.add_argument("--per-row-count", type=int, default=None,
                   help="rows for the per-row way (default: --count); with fewer rows "
                   "its time is extrapolated linearly to --count and marked so")
    args = p.parse_args()
    per_row_count = args.per_row_count or args.count
    with odoo_env(args) as env:
        import odoo

        registry = odoo.modules.registry.Registry(env.cr.dbname)
        company = env.company
        Users = env["res.users"].with_context(no_reset_password=True)
        importer = Users.create({
            "name": "Bench Import Manager", "login": "bench.import.manager",
            "password": PASSWORD, "email": "bench.import@example.com", "company_id": company.id,
            "company_ids": [(6, 0, company.ids)],
            "groups_id": [(6, 0, [env.ref("sales_team.group_sale_manager").id,
                                  env.ref("base.group_partner_manager").id])]})
        rep_in, rep_out = Users.create([
            {"name": f"Bench Import Rep {i}", "login": f"bench.import.rep.{i}", "email": f"rep{i}@example.com",
             "company_id": company.id, "company_ids": [(6, 0, company.ids)],
             "groups_id": [(6, 0, [env.ref("sales_team.group_sale_salesman").id])]}
            for i in range(2)])
        t0 = time.perf_counter()
        rows_api, t_api, u_api = make_data(env, "BAPI", args.count, rep_in, rep_out)
        rows_row, t_row, u_row = make_data(env, "BROW", per_row_count, rep_in, rep_out)
        rows_load, t_load, u_load = make_data(env, "BLOAD", args.count, rep_in, rep_out)
        print(f"setup: {time.perf_counter() - t0:.1f} s", flush=True)
        env.cr.flush()
        port = start_server(registry, env.cr)
        url = f"http://127.0.0.1:{port}/xmlrpc/2/object"
        proxy = xmlrpc.client.ServerProxy(url, allow_none=True)
        db, uid = env.cr.dbname, importer.id

        def call(model, method, *a, **kw):
            return proxy.execute_kw(db, uid, PASSWORD, model, method, list(a), kw)

        try:
            # 1. one import_customers call
            start = time.perf_counter()
            result = call("res.partner", "import_customers", rows_api,
                          transfer_mode=True, mode="update", rep_id=rep_in.id)
            t_import = time.perf_counter() - start
            expected = {"transferred": len(t_api), "updated": len(u_api),
                        "created": len(rows_api) - len(t_api) - len(u_api)}
            got = {k: v for k, v in result["counts"].items() if v}
            assert got == expected, (got, expected)

            # 2. per-row search + write/create
            start = time.perf_counter()
            for row in rows_row:
                ids = call("res.partner", "search", [("external_ref", "=", row["external_ref"])])
                vals = {"name": row["name"], "city": row["city"], "user_id": rep_in.id}
                if ids:
                    call("res.partner", "write", ids, vals)
                else:
                    call("res.partner", "create", [dict(vals, external_ref=row["external_ref"],
                                                        is_company=True,
                                                        company_id=company.id)])
            t_per_row = (time.perf_counter() - start) * args.count / len(rows_row)

            # 3. Odoo's load() of the same rows (the ids of existing customers given)
            ids_by_ref = {p.external_ref: p.id for p in t_load | u_load}
            fields = [".id", "external_ref", "name", "city", "is_company", "company_id/.id",
                      "user_id/.id"]
            data = [[str(ids_by_ref.get(r["external_ref"], "")), r["external_ref"], r["name"],
                     r["city"], "1", str(company.id), str(rep_in.id)] for r in rows_load]
            start = time.perf_counter()
            loaded = call("res.partner", "load", fields, data)
            t_odoo_load = time.perf_counter() - start
            assert not [m for m in loaded["messages"] if m.get("type") == "error"], \
                loaded["messages"][:3]
        finally:
            registry.leave_test_mode()
        env.invalidate_all()
        moved = env["crm.relationship"].search_count([
            ("partner_id", "in", t_api.ids), ("is_current", "=", True),
            ("user_id", "=", rep_in.id), ("source", "=", "transfer")])
        assert moved == len(t_api), moved
        note = "" if per_row_count == args.count else \
            f" (measured on {per_row_count} rows, extrapolated)"
        print(f"rows: {args.count} ({len(t_api)} transfers, {len(u_api)} updates, "
              f"{expected['created']} creates), one process, real XML-RPC")
        print(f"import_customers, one call:          {t_import:8.2f} s   (goal <= 60 s)")
        print(f"per-row search + write/create calls: {t_per_row:8.2f} s{note}")
        print(f"Odoo load(), one call:               {t_odoo_load:8.2f} s")
        print(f"per-row / import_customers: {t_per_row / t_import:6.1f}x faster (goal >= 5x)")
        print(f"import_customers / load():  {t_import / t_odoo_load:6.2f} (goal <= 2)")


if __name__ == "__main__":
    main()
