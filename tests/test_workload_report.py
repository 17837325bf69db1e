# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from datetime import timedelta

from odoo import fields
from odoo.tests import tagged

from .common import RelationshipHttpCase

MEASURES = ("customer_count", "open_lead_count", "activity_count", "overdue_activity_count",
            "cover_count", "capacity")


@tagged("post_install", "-at_install")
class TestWorkloadReport(RelationshipHttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env, a, b = cls.env, cls.company_a, cls.company_b
        Rel = env["crm.relationship"]
        Rel.with_company(a)._assign(cls.customer_a | cls.customer_a2, cls.associate_a, company=a)
        Rel.with_company(a)._assign(cls.shared, cls.associate_a, company=a, role=cls.role_cs)
        Rel.with_company(a)._assign(cls.shared, cls.associate_a2, company=a)
        Rel.with_company(b)._assign(cls.customer_b | cls.shared, cls.associate_b, company=b)
        Lead = env["crm.lead"].with_context(tracking_disable=True)
        won = env["crm.stage"].search([("is_won", "=", True)], limit=1)

        def lead(user, company, **vals):
            return Lead.create(dict({
                "name": f"Workload {user.name}", "type": "opportunity", "user_id": user.id,
                "company_id": company.id if company else False,
                "team_id": (cls.team_b if company == b else cls.team_a).id}, **vals))

        # associate A: 2 open leads in A, one without company (its main company A),
        # a won one and a lost (archived) one that do not count
        cls.lead_a = lead(cls.associate_a, a, partner_id=cls.customer_a.id)
        lead(cls.associate_a, a)
        lead(cls.associate_a, False, team_id=False)
        lead(cls.associate_a, a, stage_id=won.id)
        lead(cls.associate_a, a, active=False)
        lead(cls.associate_b, b)
        call = env.ref("mail.mail_activity_data_call")
        Activity = env["mail.activity"].with_context(mail_activity_quick_update=True)
        today = fields.Date.today()

        def activity(record, user, days):
            return Activity.create({
                "res_model_id": env["ir.model"]._get_id(record._name), "res_id": record.id,
                "activity_type_id": call.id, "user_id": user.id, "summary": "Workload",
                "date_deadline": today + timedelta(days=days)})

        # associate A: 3 open activities in A, 2 of them overdue; a done one
        activity(cls.customer_a, cls.associate_a, 3)
        activity(cls.customer_a2, cls.associate_a, -1)
        activity(cls.lead_a, cls.associate_a, -5)
        activity(cls.customer_a, cls.associate_a, -9).active = False
        activity(cls.customer_b, cls.associate_b, -1)
        env.flush_all()

    def rows(self, user=None, domain=None, **ctx):
        Report = self.env["crm.rep.workload"]
        if user:
            Report = Report.with_user(user)
        Report = Report.with_context(**ctx)
        # rows are numbered when read: values cached by an earlier read are stale
        Report.invalidate_model()
        report_users = self.associate_a | self.associate_a2 | self.associate_b
        records = Report.search((domain or []) + [("user_id", "in", report_users.ids)])
        return {(r.user_id.name, r.company_id.name, r.role_id.name):
                tuple(r[m] for m in MEASURES) for r in records}

    def test_figures_per_rep_company_and_role(self):
        self.assertEqual(self.rows(), {
            # customers, open leads, activities, overdue, covers, capacity
            ("Rm Assoc A", "Company A", "Account Manager"): (2, 3, 3, 2, 0, 0),
            ("Rm Assoc A", "Company A", "Support Lead"): (1, 0, 0, 0, 0, 0),
            ("Rm Assoc A2", "Company A", "Account Manager"): (1, 0, 0, 0, 0, 0),
            ("Rm Assoc B", "Company B", "Account Manager"): (2, 1, 1, 1, 0, 0),
        })
        # the report follows the data (the ORM flushes what it depends on)
        self.env["crm.relationship"].with_company(self.company_a)._assign(
            self.customer_a2, self.associate_a2, company=self.company_a)
        self.lead_a.user_id = self.associate_a2
        rows = self.rows()
        self.assertEqual(rows[("Rm Assoc A", "Company A", "Account Manager")], (1, 2, 3, 2, 0, 0))
        self.assertEqual(rows[("Rm Assoc A2", "Company A", "Account Manager")], (2, 1, 0, 0, 0, 0))

    def test_totals_by_rep_count_each_lead_once(self):
        groups = self.env["crm.rep.workload"]._read_group(
            [("user_id", "=", self.associate_a.id)], ["user_id"],
            ["customer_count:sum", "open_lead_count:sum", "activity_count:sum"])
        self.assertEqual(groups, [(self.associate_a, 3, 3, 3)])

    def test_rights_with_user(self):
        own = {("Rm Assoc A", "Company A", "Account Manager"),
               ("Rm Assoc A", "Company A", "Support Lead")}
        self.assertEqual(set(self.rows(self.associate_a)), own, "an associate: own rows only")
        self.assertEqual(set(self.rows(self.associate_b)),
                         {("Rm Assoc B", "Company B", "Account Manager")})
        self.assertEqual(set(self.rows(self.manager_a)), own | {
            ("Rm Assoc A2", "Company A", "Account Manager")}, "a manager: the company's reps")
        self.assertEqual(set(self.rows(self.manager_b)),
                         {("Rm Assoc B", "Company B", "Account Manager")})
        both = set(self.rows(self.user_ab, allowed_company_ids=[self.company_a.id,
                                                                self.company_b.id]))
        self.assertEqual(both, set(self.rows()))
        self.assertEqual(set(self.rows(self.user_ab, allowed_company_ids=[self.company_b.id])),
                         {("Rm Assoc B", "Company B", "Account Manager")})
        # a team leader (Relationship Manager without Sales Administrator) too
        self.assertIn(("Rm Assoc A2", "Company A", "Account Manager"),
                      set(self.rows(self.team_leader)))
        self.assertFalse(self.env["crm.rep.workload"].with_user(self.portal).has_access("read"))

    def call_kw(self, model, method, *args, **kwargs):
        self.env.flush_all()
        return self.make_jsonrpc_request("/web/dataset/call_kw", {
            "model": model, "method": method, "args": list(args), "kwargs": kwargs})

    def test_rights_over_call_kw(self):
        spec = {"user_id": {"fields": {"display_name": {}}}, "open_lead_count": {}}
        self.authenticate(self.associate_a.login, self.associate_a.login)
        res = self.call_kw("crm.rep.workload", "web_search_read", [], specification=spec)
        self.assertEqual({r["user_id"]["id"] for r in res["records"]}, {self.associate_a.id})
        self.assertEqual(sum(r["open_lead_count"] for r in res["records"]), 3)
        groups = self.call_kw("crm.rep.workload", "read_group", [],
                              ["open_lead_count:sum", "customer_count:sum"], ["user_id"])
        self.assertEqual([(g["user_id"][0], g["open_lead_count"], g["customer_count"])
                          for g in groups], [(self.associate_a.id, 3, 3)])
        # as a manager of company A: every rep of A, nobody of B
        self.authenticate(self.manager_a.login, self.manager_a.login)
        res = self.call_kw("crm.rep.workload", "web_read_group", [],
                           ["open_lead_count:sum", "customer_count:sum"], ["user_id"])
        users = {g["user_id"][0]: (g["open_lead_count"], g["customer_count"])
                 for g in res["groups"]}
        self.assertEqual(users[self.associate_a.id], (3, 3))
        self.assertEqual(users[self.associate_a2.id], (0, 1))
        self.assertNotIn(self.associate_b.id, users)
        res = self.call_kw("crm.rep.workload", "web_search_read",
                           [("user_id", "=", self.associate_b.id)], specification=spec)
        self.assertEqual(res["records"], [])

    def test_covers_of_the_rep(self):
        """Covers still to come or running count for the absent rep and for the
        colleague who covers; a cancelled one does not."""
        start = fields.Date.context_today(self.env["res.users"]) + timedelta(days=10)
        Cover = self.env["crm.rep.cover"]
        values = {"user_id": self.associate_a.id, "cover_user_id": self.associate_a2.id,
                  "company_id": self.company_a.id}
        Cover.create(dict(values, date_from=start, date_to=start + timedelta(days=3)))
        Cover.create(dict(values, date_from=start + timedelta(days=20),
                          date_to=start + timedelta(days=23))).action_cancel()
        self.env.flush_all()
        Report = self.env["crm.rep.workload"]
        Report.invalidate_model()  # rows are numbered when read
        rows = {(r.user_id, r.role_id): r for r in Report.search(
            [("company_id", "=", self.company_a.id),
             ("user_id", "in", (self.associate_a | self.associate_a2).ids)])}
        role = self.company_a._get_relationship_primary_role()
        self.assertEqual((rows[self.associate_a, role].cover_count,
                          rows[self.associate_a, role].covering_count), (1, 0))
        self.assertEqual((rows[self.associate_a2, role].cover_count,
                          rows[self.associate_a2, role].covering_count), (0, 1))
        self.assertEqual(rows[self.associate_a, self.role_cs].cover_count, 0,
                         "on the Salesperson role's row only")

    def test_capacity_use_in_the_fullest_pool(self):
        key = ("Rm Assoc A", "Company A", "Account Manager")
        self.assertEqual(self.rows()[key][5], 0)
        team = self.env["crm.team"].create({"name": "Workload team",
                                            "company_id": self.company_a.id})
        pool = self.env["crm.rotation.pool"].create({
            "name": "Workload pool", "company_id": self.company_a.id, "team_id": team.id,
            "fallback_user_id": self.manager_a.id, "capacity_mode": "open"})
        self.env["crm.rotation.pool.member"].create({
            "pool_id": pool.id, "user_id": self.associate_a.id, "own_capacity": 4})
        self.lead_a.team_id = team
        self.env.flush_all()
        Report = self.env["crm.rep.workload"]
        Report.invalidate_model()  # rows are numbered when read
        record = Report.search([
            ("user_id", "=", self.associate_a.id), ("company_id", "=", self.company_a.id),
            ("role_id", "=", self.company_a._get_relationship_primary_role().id)])
        self.assertEqual((record.capacity, record.capacity_load, record.capacity_use),
                         (4, 1, 25.0), "one open lead of the pool's team, of 4")
        pool.capacity_mode = "none"
        self.env.flush_all()
        self.assertEqual(self.rows()[key][5], 0, "a pool without capacity does not count")
