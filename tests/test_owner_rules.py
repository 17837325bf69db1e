# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The one eligibility rule (who may own records of a company on a date) and
the one lead move (``crm.lead._crm_rm_move_owner``)."""
from datetime import timedelta

from odoo import fields
from odoo.exceptions import ValidationError
from odoo.tools import SQL

from .common import RelationshipCase


class TestOwnerEligibility(RelationshipCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.today = fields.Date.today()
        cls.away = cls.associate_a2
        cls.away.away_until = cls.today + timedelta(days=2)
        cls.candidates = (cls.associate_a | cls.away | cls.archived | cls.portal
                          | cls.associate_b)

    def test_problems(self):
        Users = self.env["res.users"]
        problems = self.candidates._crm_rm_owner_problems(self.company_a, self.today)
        self.assertEqual(set(problems), {self.away, self.archived, self.portal,
                                         self.associate_b})
        self.assertIn("is away until", problems[self.away])
        self.assertIn("is archived", problems[self.archived])
        self.assertIn("is not an internal user", problems[self.portal])
        self.assertIn("does not work in company Company A", problems[self.associate_b])
        # without a date, being away does not matter; after the away date neither
        self.assertNotIn(self.away, self.candidates._crm_rm_owner_problems(self.company_a))
        self.assertNotIn(self.away, self.candidates._crm_rm_owner_problems(
            self.company_a, self.today + timedelta(days=3)))
        self.assertEqual(Users._crm_rm_owner_problems(self.company_a), {})

    def test_check_names_the_problem_and_the_role(self):
        with self.assertRaisesRegex(ValidationError, "Rm Assoc A2 is away until .* and cannot "
                                                     "be the fallback owner of X"):
            self.away._crm_rm_check_owner(self.company_a, self.today,
                                          what="the fallback owner of X")
        with self.assertRaisesRegex(ValidationError, "Rm Assoc B does not work in company "
                                                     "Company A"):
            self.associate_b._crm_rm_check_owner(self.company_a)
        self.associate_a._crm_rm_check_owner(self.company_a, self.today)

    def test_sql_twin_agrees(self):
        """The SQL picks and the Python checks give the same answer."""
        for company in self.company_a | self.company_b:
            for on_date in (None, self.today):
                date_sql = None if on_date is None else SQL("%s::date", on_date)
                condition = self.env["res.users"]._crm_rm_eligible_sql(
                    "u", company.id, date_sql)
                self.env.cr.execute(SQL(
                    "SELECT u.id FROM res_users u WHERE u.id = ANY(%s) AND %s",
                    self.candidates.ids, condition))
                eligible = {row[0] for row in self.env.cr.fetchall()}
                problems = self.candidates._crm_rm_owner_problems(company, on_date)
                self.assertEqual(eligible, {user.id for user in self.candidates
                                            if user not in problems}, (company.name, on_date))

    def test_every_path_uses_the_rule(self):
        """The same wording whatever the path: relationship, lead, rotation pool."""
        lead = self.env["crm.lead"].create({
            "name": "Rule lead", "company_id": self.company_a.id, "team_id": self.team_a.id})
        message = "Rm Assoc B does not work in company Company A and cannot be"
        with self.assertRaisesRegex(ValidationError, message):
            self.assign(self.customer_a, self.associate_b)
        with self.assertRaisesRegex(ValidationError, message + " the colleague of lead"):
            lead.write({"user_id": self.associate_b.id})
        with self.assertRaisesRegex(ValidationError, "Rm Archived is archived and cannot be"):
            self.env["crm.rotation.pool"].create({
                "name": "Rule pool", "team_id": self.team_a.id,
                "fallback_user_id": self.archived.id})


class TestLeadMove(RelationshipCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Lead = cls.env["crm.lead"].with_context(tracking_disable=True)
        cls.other_team = cls.env["crm.team"].create({
            "name": "Other Team A", "company_id": cls.company_a.id,
            "member_ids": [(6, 0, cls.associate_a.ids)]})
        cls.lead_team_a = Lead.create({
            "name": "In Team A", "partner_id": cls.customer_a.id, "type": "opportunity",
            "user_id": cls.associate_a.id, "team_id": cls.team_a.id,
            "company_id": cls.company_a.id})
        cls.lead_other = Lead.create({
            "name": "In Other Team", "partner_id": cls.customer_a.id, "type": "opportunity",
            "user_id": cls.associate_a.id, "team_id": cls.other_team.id,
            "company_id": cls.company_a.id})
        cls.won = Lead.create({
            "name": "Won", "partner_id": cls.customer_a.id, "type": "opportunity",
            "user_id": cls.associate_a.id, "team_id": cls.team_a.id,
            "company_id": cls.company_a.id,
            "stage_id": cls.env["crm.stage"].search([("is_won", "=", True)], limit=1).id})

    def open_leads(self):
        Lead = self.env["crm.lead"]
        return Lead.search(Lead._crm_rm_open_leads_domain(
            self.customer_a, self.associate_a, self.company_a))

    def test_domain(self):
        self.assertEqual(self.open_leads(), self.lead_team_a | self.lead_other)

    def test_team_choice_and_no_tracking(self):
        """The team stays when the new owner is in it, else it is the new owner's
        team of the company; track=False logs no message."""
        stage = self.lead_team_a.stage_id
        messages = self.env["mail.message"].search_count([("model", "=", "crm.lead")])
        moved = self.open_leads()._crm_rm_move_owner(
            self.associate_a2, self.company_a, track=False)
        self.assertEqual(moved, self.lead_team_a | self.lead_other)
        self.assertEqual(moved.user_id, self.associate_a2)
        self.assertEqual(self.lead_team_a.team_id, self.team_a)
        self.assertEqual(self.lead_team_a.stage_id, stage)
        self.assertEqual(self.lead_other.team_id, self.team_a)
        self.assertEqual(moved.company_id, self.company_a)
        self.assertEqual(self.won.user_id, self.associate_a)
        self.assertEqual(
            self.env["mail.message"].search_count([("model", "=", "crm.lead")]), messages)

    def test_no_task_follow_policy(self):
        """The caller applies the policy: the lead's activities stay."""
        self.company_a.task_follow_policy = "all"
        activity = self.lead_team_a.activity_schedule(
            "mail.mail_activity_data_todo", user_id=self.associate_a.id)
        self.open_leads()._crm_rm_move_owner(self.associate_a2, self.company_a)
        self.assertEqual(activity.user_id, self.associate_a)
