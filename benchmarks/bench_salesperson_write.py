#!/usr/bin/env python3
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Write a new Salesperson on N customers in one ORM write, with and without the addon.

The addon turns the write into relationship changes (ends N relationships, creates
N, syncs the per-company Salesperson); the baseline is the same write with the
addon's logic switched off (the context key the addon itself uses for its sync).
Goal: ratio <= 3.

    python3 benchmarks/bench_salesperson_write.py --database crm_relationship_demo
"""
from _odoo import median, odoo_env, parser, timed


def main():
    p = parser(__doc__)
    p.add_argument("--count", type=int, default=10_000)
    p.add_argument("--rounds", type=int, default=3)
    args = p.parse_args()
    with odoo_env(args) as env:
        company = env.company
        users = env["res.users"].create([
            {"name": f"Bench Rep {i}", "login": f"bench.rep.{i}",
             "company_id": company.id, "company_ids": [(6, 0, company.ids)]}
            for i in range(2 * args.rounds + 1)
        ])
        partners = env["res.partner"].with_context(tracking_disable=True).create([
            {"name": f"Bench Customer {i}", "is_company": True, "company_id": company.id}
            for i in range(args.count)
        ])
        partners.write({"user_id": users[0].id})  # every customer starts with a rep
        plain, addon = [], []
        for r in range(args.rounds):
            baseline_user, addon_user = users[2 * r + 1], users[2 * r + 2]
            plain.append(timed(env, lambda u=baseline_user: partners.with_context(
                crm_rel_no_sync=True).write({"user_id": u.id})))
            addon.append(timed(env, lambda u=addon_user: partners.write({"user_id": u.id})))
        current = env["crm.relationship"].search_count([
            ("partner_id", "in", partners.ids), ("is_current", "=", True),
            ("user_id", "=", users[-1].id)])
        assert current == args.count, current
        t_plain, t_addon = median(plain), median(addon)
        print(f"customers: {args.count}, rounds: {args.rounds} (median)")
        print(f"plain Salesperson write (no addon logic): {t_plain:8.3f} s")
        print(f"with relationships + history + sync:      {t_addon:8.3f} s")
        print(f"ratio: {t_addon / t_plain:.2f} (goal <= 3)")


if __name__ == "__main__":
    main()
