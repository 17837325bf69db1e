# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Reassign resources to a rotation pool: a departing rep's customers and open
leads are shared among the pool's members in turn, never back to the rep."""
from odoo.exceptions import UserError

from .common import RelationshipCase, RotationMixin


class TestReassignToPool(RotationMixin, RelationshipCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.setup_rotation_data()
        env = cls.env
        # rep1 leaves: 4 customers and 2 open leads without customer
        cls.customers = env["res.partner"].create([
            {"name": f"Pool customer {i}", "is_company": True, "company_id": cls.company_a.id}
            for i in range(4)
        ])
        env["crm.relationship"]._assign(cls.customers, cls.rep1, company=cls.company_a,
                                        check_rights=False)
        cls.customer_leads = env["crm.lead"].create([
            {"name": f"Customer lead {i}", "partner_id": partner.id, "user_id": cls.rep1.id,
             "team_id": cls.team_r.id, "company_id": cls.company_a.id}
            for i, partner in enumerate(cls.customers[:2])
        ])
        cls.orphan_leads = env["crm.lead"].create([
            {"name": f"Orphan lead {i}", "user_id": cls.rep1.id, "team_id": cls.team_r.id,
             "company_id": cls.company_a.id}
            for i in range(2)
        ])

    def wizard(self, **vals):
        return self.env["res.users.reassign"].with_user(self.manager_a).create(
            dict(user_id=self.rep1.id, target="pool", pool_id=self.pool.id, **vals))

    def rep_of(self, partner):
        return self.env["crm.relationship"].search([
            ("partner_id", "=", partner.id), ("is_current", "=", True),
            ("company_id", "=", self.company_a.id)]).user_id

    def test_customers_and_leads_shared_in_turn_without_the_departing_rep(self):
        self.wizard(reason="left").action_apply()
        reps = [self.rep_of(partner) for partner in self.customers]
        # strict turn order over rep2, rep3 (rep1 skipped)
        self.assertEqual(reps, [self.rep2, self.rep3, self.rep2, self.rep3])
        rels = self.env["crm.relationship"].search([
            ("partner_id", "in", self.customers.ids), ("is_current", "=", True)])
        self.assertEqual(set(rels.mapped("source")), {"rotation"})
        self.assertEqual(set(rels.mapped("reason")), {"left"})
        # a customer's open lead follows the customer's new rep
        self.assertEqual([lead.user_id for lead in self.customer_leads], [self.rep2, self.rep3])
        # the other open leads continue the turn order
        self.assertEqual([lead.user_id for lead in self.orphan_leads], [self.rep2, self.rep3])
        self.assertFalse(self.env["crm.relationship"].search_count(
            [("user_id", "=", self.rep1.id), ("is_current", "=", True)]))

    def test_bad_pool_choices_change_nothing(self):
        before = [self.rep_of(partner) for partner in self.customers]
        with self.assertRaisesRegex(UserError, "Choose the rotation pool"):
            self.env["res.users.reassign"].with_user(self.manager_a).create(
                {"user_id": self.rep1.id, "target": "pool"}).action_apply()
        self.pool.fallback_user_id = self.rep1
        with self.assertRaisesRegex(UserError, "fallback owner of rotation pool Team pool"):
            self.wizard().action_apply()
        self.pool.fallback_user_id = self.manager_a
        self.pool.active = False
        with self.assertRaisesRegex(UserError, "is archived"):
            self.wizard().action_apply()
        self.assertEqual([self.rep_of(partner) for partner in self.customers], before)
        self.assertEqual(self.orphan_leads.user_id, self.rep1)
        self.assertTrue(self.rep1.active)
