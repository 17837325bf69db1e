#!/usr/bin/env python3
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Usage of N users (where each is still named), set-wise against one user at a time.

``res.users._crm_rm_usage`` counts every kind for all the users with one query
per kind; the naive way asks the same for each user in turn. Each user holds
customers (built in SQL), open leads, activities, a filter and a team. Prints
the queries and times of both, and the ratio. Goal: the set-wise queries do not
grow with the number of users.

    python3 benchmarks/bench_user_usage.py --database crm_relationship_demo
"""
from _odoo import insert_current_relationships, median, odoo_env, parser, timed


def main():
    p = parser(__doc__)
    p.add_argument("--users", type=int, default=200)
    p.add_argument("--customers", type=int, default=200, help="customers per user")
    p.add_argument("--rounds", type=int, default=3)
    args = p.parse_args()
    with odoo_env(args) as env:
        company = env.company
        role = company._get_relationship_primary_role()
        users = env["res.users"].with_context(no_reset_password=True).create([
            {"name": f"Bench Usage {i}", "login": f"bench.usage.{i}",
             "company_id": company.id, "company_ids": [(6, 0, company.ids)]}
            for i in range(args.users)
        ])
        partners = env["res.partner"].with_context(tracking_disable=True).create([
            {"name": f"Bench Usage Customer {i}", "is_company": True,
             "company_id": company.id}
            for i in range(args.users * args.customers)
        ])
        for i, user in enumerate(users):
            chunk = partners[i * args.customers:(i + 1) * args.customers]
            insert_current_relationships(env.cr, chunk.ids, user.id, company.id, role.id)
        env["crm.lead"].with_context(tracking_disable=True, crm_rotation_skip=True).create([
            {"name": f"Bench Usage Lead {i}", "user_id": user.id, "company_id": company.id}
            for i, user in enumerate(users)
        ])
        env["ir.filters"].create([
            {"name": f"Bench filter {i}", "model_id": "crm.lead", "user_id": user.id}
            for i, user in enumerate(users)
        ])
        env["crm.team"].create([
            {"name": f"Bench team {i}", "user_id": user.id, "company_id": company.id}
            for i, user in enumerate(users[:20])
        ])
        env.flush_all()

        def set_wise():
            return users._crm_rm_usage()

        def naive():
            return {user: user._crm_rm_usage()[user] for user in users}

        assert set_wise() == naive()
        one = users[:1]
        results = {}
        for name, fn in (("set-wise", set_wise), ("one user at a time", naive)):
            times = []
            for _round in range(args.rounds):
                before = env.cr.sql_log_count
                times.append(timed(env, fn))
                queries = env.cr.sql_log_count - before
            results[name] = (median(times), queries)
        env.invalidate_all()
        before = env.cr.sql_log_count
        one._crm_rm_usage()
        one_queries = env.cr.sql_log_count - before
        print(f"users: {args.users}, customers per user: {args.customers}, "
              f"rounds: {args.rounds} (median)")
        for name, (seconds, queries) in results.items():
            print(f"{name:20s} {seconds:8.3f} s  {queries:6d} queries")
        print(f"queries for 1 user: {one_queries}")
        print(f"ratio (one at a time / set-wise): "
              f"{results['one user at a time'][0] / results['set-wise'][0]:.1f}")


if __name__ == "__main__":
    main()
