# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import random
from collections import Counter

from odoo.exceptions import UserError
from odoo.tests import BaseCase, tagged

from ..models.crm_relationship_batch_line import balance
from .common import BatchMixin, RelationshipCase


def final_loads(loads, weights, picks):
    result = list(loads)
    for weight, k in zip(weights, picks):
        result[k] += weight
    return result


@tagged("post_install", "-at_install")
class TestBalanceFunction(BaseCase):
    """The pure balancing function: no database."""

    def test_water_filling_on_customers(self):
        picks = balance([5, 0, 2], [1] * 7)
        self.assertEqual(final_loads([5, 0, 2], [1] * 7, picks), [5, 4, 5])
        self.assertEqual(Counter(picks), {1: 4, 2: 3})
        self.assertEqual(picks, [1, 1, 2, 1, 2, 1, 2], "lowest first, then round")
        # equal loads: round robin, first target first
        self.assertEqual(balance([0, 0, 0], [1] * 5), [0, 1, 2, 0, 1])
        # not enough items to reach the heavy target: it gets none
        self.assertEqual(Counter(balance([100, 0, 0], [1] * 10)), {1: 5, 2: 5})
        self.assertEqual(balance([1, 2], []), [])
        self.assertEqual(balance([], [1, 1]), [])

    def test_levels_differ_by_at_most_one(self):
        rng = random.Random(42)
        for __ in range(200):
            loads = [rng.randrange(50) for __ in range(rng.randrange(1, 8))]
            count = rng.randrange(200)
            picks = balance(loads, [1] * count)
            after = final_loads(loads, [1] * count, picks)
            self.assertEqual(sum(after), sum(loads) + count)
            for k in set(picks):
                self.assertLessEqual(after[k], min(after) + 1, (loads, count, after))
            # a target above the final level got nothing
            for k, load in enumerate(loads):
                if load > min(after) + 1:
                    self.assertNotIn(k, picks)
            self.assertEqual(picks, balance(loads, [1] * count), "deterministic")

    def test_open_leads_heaviest_first(self):
        weights = [1, 3, 1, 1, 2]
        picks = balance([0, 0], weights)
        # 3 first (to the first target), then 2, 1, 1, 1 to the lightest
        self.assertEqual(picks, [1, 0, 0, 1, 1])
        self.assertEqual(final_loads([0, 0], weights, picks), [4, 4])
        picks = balance([4, 0, 1], [2, 2, 2, 1, 1])
        self.assertEqual(picks, [1, 2, 1, 2, 0])
        self.assertEqual(final_loads([4, 0, 1], [2, 2, 2, 1, 1], picks), [5, 4, 4])

    def test_weightless_items_spread_by_customers(self):
        # customers without open leads change no lead load: they even out the
        # customers held (third argument), in order
        picks = balance([0, 10], [0, 0, 0, 0, 0], counts=[3, 0])
        self.assertEqual(picks, [1, 1, 1, 0, 1])
        picks = balance([0, 0], [1, 0, 0, 1], counts=[0, 0])
        self.assertEqual(picks, [0, 0, 1, 1])


@tagged("post_install", "-at_install")
class TestBalanceBatch(BatchMixin, RelationshipCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.setup_batch_data()
        Partner = cls.env["res.partner"].with_context(tracking_disable=True)
        a = cls.company_a
        # current books: Assoc A2 10 customers, Rep C 3, Rep D none
        cls.book_a2 = Partner.create([{"name": f"A2 Customer {i}", "is_company": True,
                                       "company_id": a.id} for i in range(10)])
        cls.book_c = Partner.create([{"name": f"C Customer {i}", "is_company": True,
                                      "company_id": a.id} for i in range(3)])
        Rel = cls.env["crm.relationship"].with_company(a)
        Rel._assign(cls.book_a2, cls.associate_a2, company=a, reason="setup")
        Rel._assign(cls.book_c, cls.rep_c, company=a, reason="setup")
        # a relationship in company B and one of another role do not count
        Rel.with_company(cls.company_b)._assign(cls.customer_b, cls.associate_b,
                                                company=cls.company_b)
        Rel._assign(cls.book_a2[:2], cls.rep_d, company=a, role=cls.role_cs)

    def balance_batch(self, balance_on="customers", targets=None, user=None, **vals):
        targets = targets or [self.associate_a2, self.rep_c, self.rep_d]
        line = self.rep_line(distribution="balance", balance_on=balance_on,
                             role_id=self.role_am.id)
        return self.new_batch([(line, [(u, 0) for u in targets])], user=user, **vals)

    def loads(self, batch):
        return {t.user_id.name: (t.preview_before, t.preview_after)
                for t in batch.line_ids.target_ids}

    def customer_counts(self, users):
        rels = self.env["crm.relationship"].search([
            ("user_id", "in", users.ids), ("is_current", "=", True),
            ("company_id", "=", self.company_a.id), ("role_id", "=", self.role_am.id)])
        return {user.name: len(rels.filtered(lambda r: r.user_id == user)) for user in users}

    def open_lead_counts(self, users):
        leads = self.env["crm.lead"].search([("user_id", "in", users.ids)])
        leads = leads.filtered(lambda lead: not lead.stage_id.is_won)
        return {user.name: len(leads.filtered(lambda lead: lead.user_id == user))
                for user in users}

    def test_balance_customers_preview_equals_result(self):
        targets = self.associate_a2 | self.rep_c | self.rep_d
        batch = self.balance_batch()
        batch.with_user(self.manager_a).action_preview()
        self.assertFalse(batch.problems)
        # 10 + 3 + 0 + 20 = 33: everyone ends at 11
        self.assertEqual(self.preview_counts(batch),
                         {"Rm Assoc A2": 1, "Rm Rep C": 8, "Rm Rep D": 11})
        self.assertEqual(self.loads(batch), {"Rm Assoc A2": (10, 11), "Rm Rep C": (3, 11),
                                             "Rm Rep D": (0, 11)})
        html = str(batch.preview_html)
        self.assertIn("Customers before", html)
        self.assertIn('<td class="text-end o_crm_rm_before">3</td>', html)
        self.assertIn('<td class="text-end o_crm_rm_after">11</td>', html)
        self.assertEqual(self.customer_counts(targets),
                         {"Rm Assoc A2": 10, "Rm Rep C": 3, "Rm Rep D": 0})
        batch.with_user(self.manager_a).action_view_items()
        planned = {(i.partner_id, i.new_user_id) for i in batch.item_ids}
        batch.with_user(self.manager_a).action_start()
        self.assertEqual({(i.partner_id, i.new_user_id) for i in batch.item_ids}, planned,
                         "Start computes exactly the previewed distribution")
        self.run_cron()
        self.assertEqual(batch.state, "done")
        self.assertEqual(self.result_counts(batch), self.preview_counts(batch))
        self.assertEqual(self.customer_counts(targets),
                         {name: after for name, (__, after) in self.loads(batch).items()},
                         "the loads after are the loads once the batch is done")

    def test_balance_deterministic_in_customer_order(self):
        batch = self.balance_batch(targets=[self.rep_c, self.rep_d])
        batch.action_view_items()
        # Rep D (0) first takes 3 customers up to Rep C's 3, then they alternate
        items = batch.item_ids.sorted(lambda i: i.partner_id.id)
        self.assertEqual([i.new_user_id for i in items[:5]],
                         [self.rep_d] * 3 + [self.rep_c, self.rep_d])
        self.assertEqual(self.loads(batch), {"Rm Rep C": (3, 12), "Rm Rep D": (0, 11)})
        batch.action_view_items()
        self.assertEqual([i.new_user_id for i in batch.item_ids.sorted(lambda i: i.partner_id.id)],
                         [i.new_user_id for i in items], "the same on every preview")

    def test_balance_on_open_leads_preview_equals_result(self):
        targets = self.associate_a2 | self.rep_c | self.rep_d
        Lead = self.env["crm.lead"].with_context(tracking_disable=True)
        contact = self.env["res.partner"].create({"name": "Book contact",
                                                   "parent_id": self.book[1].id})
        won = self.env["crm.stage"].search([("is_won", "=", True)], limit=1)

        def leads(partner, user, count, **vals):
            return Lead.create([dict({
                "name": f"Deal {partner.name} {i}", "type": "opportunity",
                "partner_id": partner.id, "user_id": user.id, "team_id": self.team_a.id,
                "company_id": self.company_a.id}, **vals) for i in range(count)])

        # current loads: Assoc A2 4 open leads (and a won one), Rep C 1, Rep D 0
        leads(self.book_a2[0], self.associate_a2, 4)
        leads(self.book_a2[1], self.associate_a2, 1, stage_id=won.id)
        leads(self.book_c[0], self.rep_c, 1)
        # the book: 4 leads on customer 0, 2 on customer 1 (one on its contact),
        # 1 on customers 2 and 3, a won lead on customer 4, none on the others
        leads(self.book[0], self.associate_a, 4)
        leads(self.book[1], self.associate_a, 1)
        leads(contact, self.associate_a, 1)
        leads(self.book[2], self.associate_a, 1)
        leads(self.book[3], self.associate_a, 1)
        leads(self.book[4], self.associate_a, 1, stage_id=won.id)
        batch = self.balance_batch(balance_on="leads")
        batch.action_preview()
        self.assertFalse(batch.problems)
        # 4 + 1 + 0 + 8 moving = 13, heaviest first: Rep D takes 4 and 1, Rep C 2
        # and 1, Assoc A2 none
        self.assertEqual(self.loads(batch), {"Rm Assoc A2": (4, 4), "Rm Rep C": (1, 4),
                                             "Rm Rep D": (0, 5)})
        self.assertEqual(sum(self.preview_counts(batch).values()), 20, "every customer")
        self.assertEqual(batch.preview_leads, 8)
        self.assertIn("Open leads after", str(batch.preview_html))
        batch.action_start()
        self.run_cron()
        self.assertEqual(batch.state, "done")
        self.assertEqual(batch.leads_moved, 8)
        self.assertEqual(self.open_lead_counts(targets),
                         {name: after for name, (__, after) in self.loads(batch).items()})
        self.assertEqual(self.result_counts(batch), self.preview_counts(batch))
        # the lead-less customers even out the customer counts (10, 3, 0 before)
        self.assertEqual(self.customer_counts(targets),
                         {"Rm Assoc A2": 11, "Rm Rep C": 11, "Rm Rep D": 11})

    def test_balance_on_leads_needs_moving_leads(self):
        batch = self.balance_batch(balance_on="leads", move_leads=False)
        batch.action_preview()
        self.assertIn("needs Move Open Leads", batch.problems)
        with self.assertRaisesRegex(UserError, "needs Move Open Leads"):
            batch.action_start()

    def test_audience_customer_held_by_a_target(self):
        """A target's own customers in the audience are part of the balance: its
        load without them is what it keeps."""
        line = {"kind": "audience", "audience_domain": "[('name', 'like', 'C Customer')]",
                "distribution": "balance"}
        batch = self.new_batch([(line, [(self.rep_c, 0), (self.rep_d, 0)])])
        batch.action_preview()
        # Rep C keeps 0 of its 3, Rep D has 0: 2 and 1 (Rep C first on ties)
        self.assertEqual(self.loads(batch), {"Rm Rep C": (3, 2), "Rm Rep D": (0, 1)})
        self.assertEqual(batch.line_ids.preview_unchanged, 2)
        self.assertEqual(self.preview_counts(batch), {"Rm Rep D": 1})
        batch.action_start()
        self.run_cron()
        self.assertEqual(self.customer_counts(self.rep_c | self.rep_d),
                         {"Rm Rep C": 2, "Rm Rep D": 1})

    def test_audience_balanced_on_open_leads(self):
        """An audience's customers weigh their open leads held by their current rep."""
        Lead = self.env["crm.lead"].with_context(tracking_disable=True)
        for partner, count in ((self.book_c[0], 2), (self.book_c[1], 1)):
            Lead.create([{"name": f"Deal {partner.name} {i}", "type": "opportunity",
                          "partner_id": partner.id, "user_id": self.rep_c.id,
                          "team_id": self.team_a.id, "company_id": self.company_a.id}
                         for i in range(count)])
        line = {"kind": "audience", "audience_domain": "[('name', 'like', 'C Customer')]",
                "distribution": "balance", "balance_on": "leads"}
        batch = self.new_batch([(line, [(self.rep_c, 0), (self.rep_d, 0)])])
        batch.action_preview()
        # 2 leads to Rep C (first on ties), 1 to Rep D; the customer without leads
        # evens out the customers (Rep D: 1 against 1, with the lighter load)
        self.assertEqual(self.loads(batch), {"Rm Rep C": (3, 2), "Rm Rep D": (0, 1)})
        self.assertEqual(self.preview_counts(batch), {"Rm Rep D": 2})
        self.assertEqual(batch.line_ids.preview_unchanged, 1)
        batch.action_start()
        self.run_cron()
        self.assertEqual(self.open_lead_counts(self.rep_c | self.rep_d),
                         {"Rm Rep C": 2, "Rm Rep D": 1})
        self.assertEqual(self.current_user(self.book_c[0]), self.rep_c)
        self.assertEqual((self.current_user(self.book_c[1]), self.current_user(self.book_c[2])),
                         (self.rep_d, self.rep_d))
