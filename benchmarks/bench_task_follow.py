#!/usr/bin/env python3
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Change the owner of N accounts with K open activities each, in one Salesperson
write, under task-follow policy 'all' against policy 'none', in one process.

Policy 'none' only changes account ownership (relationships, history, the
per-company Salesperson). Policy 'all' also moves the N*K activities of the
previous owner, subscribes the new owner to the records, looks for future
meetings and queues the handover e-mails; the cron job that writes them (one
per account) runs after the change is committed and is timed separately.
Goal (issue 6): ratio <= 2.

    python3 benchmarks/bench_task_follow.py --database crm_relationship_demo
"""
from _odoo import odoo_env, parser, timed


def main():
    p = parser(__doc__)
    p.add_argument("--count", type=int, default=10_000, help="accounts")
    p.add_argument("--activities", type=int, default=5, help="open activities per account")
    args = p.parse_args()
    with odoo_env(args) as env:
        company = env.company
        users = env["res.users"].create([
            {"name": f"Bench Owner {i}", "login": f"bench.owner.{i}",
             "company_id": company.id, "company_ids": [(6, 0, company.ids)]}
            for i in range(3)
        ])
        partners = env["res.partner"].with_context(tracking_disable=True).create([
            {"name": f"Bench Account {i}", "is_company": True, "company_id": company.id}
            for i in range(args.count)
        ])
        partners.write({"user_id": users[0].id})
        model_id = env["ir.model"]._get_id("res.partner")
        type_id = env.ref("mail.mail_activity_data_call").id
        for k in range(args.activities):  # one batch per round: no duplicate follower
            env["mail.activity"].with_context(mail_activity_quick_update=True).create([
                {"res_model_id": model_id, "res_id": partner.id, "activity_type_id": type_id,
                 "summary": f"Follow-up {k}", "user_id": users[0].id}
                for partner in partners
            ])
        env.flush_all()
        mails_before = env["mail.mail"].search_count([])
        # the policy override is a server-side context value (a client cannot send it)
        from odoo.addons.crm_relationship_manager.server_context import ServerFlag
        # 'all' first: the N*K activities move to users[1] ...
        t_all = timed(env, lambda: partners.with_context(
            crm_task_follow_policy=ServerFlag("all")).write({"user_id": users[1].id}))
        moved = env["mail.activity"].search_count([("user_id", "=", users[1].id)])
        t_mails = timed(env, lambda: env["crm.task.follow.handover"]._cron_send_mails())
        mails = env["mail.mail"].search_count([]) - mails_before
        # ... then 'none' from users[1] (who now has them) to users[2]: nothing moves
        t_none = timed(env, lambda: partners.with_context(
            crm_task_follow_policy=ServerFlag("none")).write({"user_id": users[2].id}))
        kept = env["mail.activity"].search_count([("user_id", "=", users[1].id)])
        assert moved == kept == args.count * args.activities, (moved, kept)
        assert mails == args.count, mails
        print(f"accounts: {args.count}, open activities: {args.count * args.activities}")
        print(f"policy 'none' (ownership only):           {t_none:8.3f} s")
        print(f"policy 'all'  (+ {moved} activities moved):  {t_all:8.3f} s")
        print(f"ratio: {t_all / t_none:.2f} (goal <= 2)")
        print(f"after the commit, cron writing {mails} handover e-mails: {t_mails:8.3f} s "
              f"(ratio including it: {(t_all + t_mails) / t_none:.2f})")


if __name__ == "__main__":
    main()
