#!/usr/bin/env python3
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Change the owner of N accounts with K open activities each, in one Salesperson
write, under task-follow policy 'all' against policy 'none', in one process.

Policy 'none' only changes account ownership (relationships, history, the
per-company Salesperson). Policy 'all' also moves the N*K activities of the
previous owner, subscribes the new owner to the records, looks for future
meetings and queues the handover e-mails; the cron job that writes them (one
per account) runs after the change is committed and is timed separately.
Goal: ratio <= 2.

By default the script works on a scratch copy of ``--database`` (dropped at the
end) and commits the data set and each change, as production does;
``--single-transaction`` runs everything in one rolled-back transaction on
``--database`` itself. In that mode PostgreSQL re-checks every foreign key of a
row updated in the transaction that inserted it (the set-up's activities,
customers and relationships), which production never does (see
docs/mass_reassignment.md).

    python3 benchmarks/bench_task_follow.py --database crm_relationship_demo
"""
from _odoo import odoo_env, parser, timed


def main():
    p = parser(__doc__)
    p.add_argument("--count", type=int, default=10_000, help="accounts")
    p.add_argument("--activities", type=int, default=5, help="open activities per account")
    p.add_argument("--single-transaction", action="store_true",
                   help="work in one rolled-back transaction on --database itself "
                   "instead of committing on a scratch copy")
    args = p.parse_args()
    commit = not args.single_transaction
    print("mode: " + ("scratch copy, each step committed like production" if commit
                      else "one transaction, rolled back"))
    with odoo_env(args, scratch_copy=commit) as env:
        def done():  # end of the request (not timed)
            if commit:
                env.cr.commit()

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
        done()
        mails_before = env["mail.mail"].search_count([])
        # the policy override is a server-side context value (a client cannot send it)
        from odoo.addons.crm_relationship_manager.context_keys import ServerFlag
        # 'all' first: the N*K activities move to users[1] ...
        t_all = timed(env, lambda: partners.with_context(
            crm_task_follow_policy=ServerFlag("all")).write({"user_id": users[1].id}))
        done()
        moved = env["mail.activity"].search_count([("user_id", "=", users[1].id)])
        t_mails = timed(env, lambda: env["crm.task.follow.handover"]._cron_send_mails())
        done()
        mails = env["mail.mail"].search_count([]) - mails_before
        # ... then 'none' from users[1] (who now has them) to users[2]: nothing moves
        t_none = timed(env, lambda: partners.with_context(
            crm_task_follow_policy=ServerFlag("none")).write({"user_id": users[2].id}))
        done()
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
