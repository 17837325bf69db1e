#!/usr/bin/env python3
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Cost of the colleague privacy and relays, side by side with Odoo alone.

1. An employee searches the followers of all leads: with the addon's record rule on
   mail.followers (a subquery on the leads of their companies) vs the same search with
   that rule switched off (Odoo alone).
2. The same for mail.notification of lead messages.
3. A manager moves N shared leads to another stage in one write: with the addon
   (notifies each colleague, relays a neutral note to the other company's lead) vs the
   same write with the addon's logic switched off (context crm_rm_relay, Odoo alone:
   tracking only).

    python3 benchmarks/bench_lead_colleague.py --database crm_relationship_demo
"""
from _odoo import median, odoo_env, parser, timed


def main():
    p = parser(__doc__)
    p.add_argument("--count", type=int, default=2_000, help="shared leads")
    p.add_argument("--rounds", type=int, default=3)
    args = p.parse_args()
    with odoo_env(args) as env:
        from odoo.addons.crm_relationship_manager.context_keys import RELAY, SERVER
        a = env.company
        b = env["res.company"].create({"name": "Bench Company B"})
        users = env["res.users"].with_context(no_reset_password=True)
        rep_a = users.create({"name": "Bench Rep A", "login": "bench.rep.a",
                              "company_id": a.id, "company_ids": [(6, 0, a.ids)],
                              "groups_id": [(6, 0, env.ref("sales_team.group_sale_manager").ids)],
                              "notification_type": "inbox"})
        rep_b = users.create({"name": "Bench Rep B", "login": "bench.rep.b",
                              "company_id": b.id, "company_ids": [(6, 0, b.ids)],
                              "groups_id": [(6, 0, env.ref("sales_team.group_sale_manager").ids)],
                              "notification_type": "inbox"})
        Lead = env["crm.lead"].with_context(tracking_disable=True, mail_create_nolog=True)
        leads_a = Lead.create([{"name": f"Bench lead {i}", "type": "opportunity",
                                "company_id": a.id, "user_id": rep_a.id}
                               for i in range(args.count)])
        leads_b = Lead.with_company(b).create([{"name": f"Bench lead {i}", "type": "opportunity",
                                                "company_id": b.id, "user_id": rep_b.id}
                                               for i in range(args.count)])
        env["crm.lead.offer"].create([{
            "name": la.name, "company_id": a.id, "to_company_id": b.id, "state": "accepted",
            "lead_id": la.id, "to_lead_id": lb.id} for la, lb in zip(leads_a, leads_b)])
        env["mail.followers"]._insert_followers("crm.lead", leads_a.ids, rep_a.partner_id.ids)
        env["mail.followers"]._insert_followers("crm.lead", leads_b.ids, rep_b.partner_id.ids)
        stages = env["crm.stage"].search([], limit=2 * args.rounds + 1)
        rules = env.ref("crm_relationship_manager.mail_followers_rule_crm_lead_company") | \
            env.ref("crm_relationship_manager.mail_notification_rule_crm_lead_company")

        Followers = env["mail.followers"].with_user(rep_b)
        Notifications = env["mail.notification"].with_user(rep_b)
        followers_domain = [("res_model", "=", "crm.lead")]
        notif_domain = [("mail_message_id.model", "=", "crm.lead")]

        def searches():
            found = {}
            found["followers"] = len(Followers.search(followers_domain))
            found["notifications"] = len(Notifications.search(notif_domain))
            return found

        res = {"followers": ([], []), "notifications": ([], []), "stage": ([], [])}
        write_user = env["crm.lead"].with_user(rep_a).browse(leads_a.ids)
        for r in range(args.rounds):
            rules.active = False
            plain_f = timed(env, lambda: Followers.search(followers_domain).ids)
            plain_n = timed(env, lambda: Notifications.search(notif_domain).ids)
            seen_plain = searches()
            rules.active = True
            addon_f = timed(env, lambda: Followers.search(followers_domain).ids)
            addon_n = timed(env, lambda: Notifications.search(notif_domain).ids)
            seen_addon = searches()
            assert seen_addon["followers"] < seen_plain["followers"], (seen_addon, seen_plain)
            res["followers"][0].append(plain_f)
            res["followers"][1].append(addon_f)
            res["notifications"][0].append(plain_n)
            res["notifications"][1].append(addon_n)
            s_plain, s_addon = stages[(2 * r + 1) % len(stages)], stages[(2 * r + 2) % len(stages)]
            # the relay to the linked leads switched off (a server-only context key)
            res["stage"][0].append(timed(env, lambda s=s_plain: write_user.with_context(
                {RELAY: SERVER}).write({"stage_id": s.id})))
            res["stage"][1].append(timed(env, lambda s=s_addon: write_user.write(
                {"stage_id": s.id})))
        relayed = env["mail.message"].search_count([
            ("model", "=", "crm.lead"), ("res_id", "in", leads_b.ids),
            ("author_id", "=", env.ref("base.partner_root").id)])
        assert relayed == args.count * args.rounds, relayed
        print(f"shared leads: {args.count}, rounds: {args.rounds} (median)")
        for key, label in (("followers", "search followers of leads (B user)"),
                           ("notifications", "search notifications of lead messages"),
                           ("stage", f"stage write on {args.count} shared leads")):
            plain, addon = median(res[key][0]), median(res[key][1])
            print(f"{label:45s} Odoo alone {plain:8.3f} s | with addon {addon:8.3f} s"
                  f" | ratio {addon / plain:6.2f}")


if __name__ == "__main__":
    main()
