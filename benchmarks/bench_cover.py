#!/usr/bin/env python3
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Start and end a temporary cover of a rep with many customers, activities and
leads, against the floor: plain SQL UPDATEs of the same activity rows.

The rep owns ``--customers`` customers (current relationships), ``--leads`` open
leads on them and ``--activities`` open activities due during the cover, spread
over the customers and the leads. Starting the cover hands every activity to
the covering user (one UPDATE through crm.task.follow, one statement marking
them and writing the items, the handover e-mails queued, the summary e-mails);
ending it by hand gives them back (one UPDATE joining the items, their states,
the followers). The floor is the bare ``UPDATE mail_activity SET user_id``
of the same rows, to the cover and back. Goal: each <= 10 s and <= 3x the floor.

The data set is written set-wise (ORM batches for customers and leads, one SQL
INSERT for the activities) on a scratch copy of ``--database`` (dropped at the
end); each step is committed, as production does.

    python3 benchmarks/bench_cover.py --database crm_relationship_demo
    python3 benchmarks/bench_cover.py --database crm_relationship_demo --customers 500
"""
import time
from datetime import timedelta

from _odoo import median, odoo_env, parser, timed


def main():
    p = parser(__doc__)
    p.add_argument("--customers", type=int, default=5_000)
    p.add_argument("--activities", type=int, default=None,
                   help="open activities of the rep (default: 4 per customer)")
    p.add_argument("--leads", type=int, default=None,
                   help="open leads of the rep (default: 2 per 5 customers)")
    p.add_argument("--profile", action="store_true",
                   help="print where the start spends its time (cProfile, top 30)")
    args = p.parse_args()
    n_customers = args.customers
    n_activities = args.activities or 4 * n_customers
    n_leads = args.leads if args.leads is not None else 2 * n_customers // 5

    with odoo_env(args, scratch_copy=True) as env:
        from odoo import fields

        from odoo.addons.crm_relationship_manager.context_keys import SERVER

        cr = env.cr
        company = env.company
        company.task_follow_policy = "none"  # building the data set moves nothing
        rep, cover_user = env["res.users"].create([
            {"name": f"Bench Rep {i}", "login": f"bench.cover.{i}", "email": f"bench{i}@example.com",
             "company_id": company.id, "company_ids": [(6, 0, company.ids)]}
            for i in range(2)
        ])
        t0 = time.perf_counter()
        partners = env["res.partner"].with_context(tracking_disable=True).create([
            {"name": f"Bench Customer {i}", "is_company": True, "company_id": company.id}
            for i in range(n_customers)
        ])
        partners.write({"user_id": rep.id})  # current relationships, set-wise
        leads = env["crm.lead"].with_context(
            tracking_disable=True, mail_create_nolog=True, crm_rotation_skip=SERVER,
        ).create([
            {"name": f"Bench Lead {i}", "partner_id": partners[i % n_customers].id,
             "user_id": rep.id, "company_id": company.id, "type": "opportunity"}
            for i in range(n_leads)
        ])
        env.flush_all()
        today = fields.Date.context_today(rep)
        # the activities, in one INSERT: one in ten on a lead, the others on customers
        cr.execute(
            """
            INSERT INTO mail_activity (res_model_id, res_model, res_id, res_name,
                                       activity_type_id, summary, user_id, date_deadline,
                                       automated, active, create_uid, create_date,
                                       write_uid, write_date)
            SELECT CASE WHEN n %% 10 = 0 AND %(nleads)s > 0 THEN %(lead_model)s
                        ELSE %(partner_model)s END,
                   CASE WHEN n %% 10 = 0 AND %(nleads)s > 0 THEN 'crm.lead'
                        ELSE 'res.partner' END,
                   CASE WHEN n %% 10 = 0 AND %(nleads)s > 0
                        THEN (%(leads)s::int[])[1 + (n / 10) %% GREATEST(%(nleads)s, 1)]
                        ELSE (%(partners)s::int[])[1 + n %% %(ncust)s] END,
                   'Bench', %(type)s, 'Follow-up ' || n, %(rep)s,
                   %(today)s::date + (n %% 7), true, true, 1, now(), 1, now()
              FROM generate_series(0, %(count)s - 1) AS n
            """,
            {"lead_model": env["ir.model"]._get_id("crm.lead"),
             "partner_model": env["ir.model"]._get_id("res.partner"),
             "leads": leads.ids, "nleads": len(leads), "partners": partners.ids,
             "ncust": n_customers, "type": env.ref("mail.mail_activity_data_call").id,
             "rep": rep.id, "today": today, "count": n_activities},
        )
        env.invalidate_all()
        company.task_follow_policy = "automated"
        cover = env["crm.rep.cover"].create({
            "user_id": rep.id, "company_id": company.id, "cover_user_id": cover_user.id,
            "date_from": today, "date_to": today + timedelta(days=10),
        })
        cr.commit()
        print(f"data set: {n_customers} customers, {n_leads} leads, {n_activities} activities "
              f"({time.perf_counter() - t0:.1f} s to build)")

        if args.profile:
            import cProfile
            import pstats
            profiler = cProfile.Profile()
            t_start = timed(env, lambda: profiler.runcall(cover.action_confirm))
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(30)
        else:
            t_start = timed(env, cover.action_confirm)
        cr.commit()
        t_mails = timed(env, lambda: env["crm.task.follow.handover"]._cron_send_mails())
        cr.commit()
        mails = env["mail.mail"].search_count([("subject", "ilike", "handed over to you")])
        given = cover.item_ids.filtered(lambda i: i.kind == "activity")
        assert cover.state == "active" and len(given) == n_activities, (cover.state, len(given))
        assert env["mail.activity"].search_count([("user_id", "=", cover_user.id)]) == n_activities
        t_end = timed(env, cover.action_end_now)
        cr.commit()
        assert cover.state == "ended" and cover.returned_count == n_activities
        assert env["mail.activity"].search_count([("user_id", "=", rep.id)]) == n_activities

        ids = given.mapped("res_id")

        def floor(user):
            cr.execute("UPDATE mail_activity SET user_id = %s WHERE id = ANY(%s)", [user.id, ids])

        # the floor, three times each way (the median): the same rows to the cover and back
        f_start, f_end = [], []
        for _i in range(3):
            f_start.append(timed(env, lambda: floor(cover_user)))
            cr.commit()
            f_end.append(timed(env, lambda: floor(rep)))
            cr.commit()
        f_start, f_end = median(f_start), median(f_end)
        print(f"start (hand over {n_activities} activities): {t_start:8.3f} s   "
              f"floor {f_start:6.3f} s   ratio {t_start / f_start:5.2f}")
        print(f"end   (give them back):              {t_end:8.3f} s   "
              f"floor {f_end:6.3f} s   ratio {t_end / f_end:5.2f}")
        print("goal: each <= 10 s and <= 3x the floor")
        print(f"after the start, cron writing the {mails} handover e-mails "
              f"(one per customer): {t_mails:8.3f} s")


if __name__ == "__main__":
    main()
