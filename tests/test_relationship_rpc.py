# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Refusals and privacy over a real XML-RPC server, as each user."""
from odoo.tests import tagged

from .common import RelationshipHttpCase


@tagged("post_install", "-at_install")
class TestRelationshipRpc(RelationshipHttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        Rel = env["crm.relationship"]
        # the shared customer has a rep in each company
        cls.rel_shared_a = Rel.with_company(cls.company_a)._assign(
            cls.shared, cls.associate_a, company=cls.company_a)
        cls.rel_shared_b = Rel.with_company(cls.company_b)._assign(
            cls.shared, cls.associate_b, company=cls.company_b)
        cls.rel_a = Rel.with_company(cls.company_a)._assign(
            cls.customer_a, cls.associate_a2, company=cls.company_a)

    def test_associate_refusals_over_rpc(self):
        self.assertRpcFault("AccessError", self.associate_a, "res.partner", "write",
                            [self.customer_a.id], {"user_id": self.associate_a.id},
                            message="where you are the current rep")
        self.assertRpcFault("AccessError", self.associate_a, "crm.relationship", "create",
                            [{"partner_id": self.customer_a.id, "user_id": self.associate_a.id}])
        self.assertRpcFault("AccessError", self.associate_a, "crm.relationship", "write",
                            [self.rel_a.id], {"user_id": self.associate_a.id})
        self.assertRpcFault("AccessError", self.associate_a, "crm.relationship", "unlink",
                            [self.rel_a.id])
        self.assertEqual(self.current(self.customer_a), self.rel_a)
        self.assertTrue(self.rel_a.is_current)

    def test_client_context_cannot_bypass_rights(self):
        """Context keys of the addon's own code do nothing when a client sends them."""
        self.assertRpcFault("AccessError", self.associate_a, "crm.relationship", "write",
                            [self.rel_a.id], {"user_id": self.associate_a.id},
                            context={"crm_rel_internal": True})
        self.assertRpcFault("AccessError", self.associate_a, "res.partner", "write",
                            [self.customer_a.id], {"user_id": self.associate_a.id},
                            context={"crm_rel_no_sync": True},
                            message="where you are the current rep")
        self.env.invalidate_all()
        self.assertEqual(self.current(self.customer_a), self.rel_a)
        self.assertEqual(self.customer_a.with_company(self.company_a).user_id, self.associate_a2)

    def test_history_bookkeeping_cannot_be_written(self):
        """The rep may annotate their relationship, never rewrite its history."""
        for vals in ({"is_current": False}, {"batch_id": False},
                     {"previous_id": self.rel_shared_a.id},
                     {"ended_by_id": self.associate_a2.id}):
            self.assertRpcFault("UserError", self.associate_a2, "crm.relationship", "write",
                                [self.rel_a.id], vals, message="set by the system")
        self.rpc(self.associate_a2, "crm.relationship", "write", [self.rel_a.id],
                 {"reason": "Met at the fair"})
        self.assertRpcFault("UserError", self.manager_a, "crm.relationship", "create",
                            [{"partner_id": self.customer_a.id, "user_id": self.associate_a.id,
                              "date_start": "2010-01-01 00:00:00"}], message="date_start")
        self.env.invalidate_all()
        self.assertTrue(self.rel_a.is_current)
        self.assertEqual(self.rel_a.reason, "Met at the fair")
        self.assertEqual(self.current(self.customer_a), self.rel_a)

    def test_manager_other_company_refused_over_rpc(self):
        self.assertRpcFault("AccessError", self.manager_b, "crm.relationship", "write",
                            [self.rel_a.id], {"user_id": self.associate_a.id})
        self.assertEqual(self.current(self.customer_a), self.rel_a)

    def test_invalid_target_over_rpc(self):
        self.assertRpcFault("ValidationError", self.manager_a, "res.partner", "write",
                            [self.customer_a.id], {"user_id": self.archived.id},
                            message="archived")
        self.assertRpcFault("ValidationError", self.manager_a, "res.partner", "write",
                            [self.customer_a.id], {"user_id": self.associate_b.id},
                            message="does not work in company")
        self.assertEqual(self.current(self.customer_a), self.rel_a)

    def test_manager_allowed_over_rpc(self):
        self.rpc(self.manager_a, "res.partner", "write", [self.customer_a.id],
                 {"user_id": self.associate_a.id})
        self.assertEqual(self.current(self.customer_a).user_id, self.associate_a)
        self.assertFalse(self.rel_a.is_current)

    def test_privacy_salesperson_over_rpc(self):
        for user, own_rep in ((self.associate_b, self.associate_b),
                              (self.manager_b, self.associate_b),
                              (self.associate_a, self.associate_a)):
            [row] = self.rpc(user, "res.partner", "read", [self.shared.id], ["user_id"])
            self.assertEqual(row["user_id"][0], own_rep.id)
            found = self.rpc(user, "res.partner", "search",
                             [("id", "=", self.shared.id), ("user_id", "=", self.associate_a.id)])
            self.assertEqual(bool(found), own_rep == self.associate_a)
            groups = self.rpc(user, "res.partner", "read_group",
                              [("id", "=", self.shared.id)], ["user_id"], ["user_id"])
            self.assertEqual([g["user_id"][0] for g in groups], [own_rep.id])
            rels = self.rpc(user, "crm.relationship", "search_read",
                            [("partner_id", "=", self.shared.id)], ["user_id", "company_id"])
            self.assertEqual({r["user_id"][0] for r in rels}, {own_rep.id})
            exported = self.rpc(user, "res.partner", "export_data", [self.shared.id],
                                ["user_id/id", "user_id"])
            self.assertEqual(exported["datas"][0][1], own_rep.name)

    def test_privacy_relationship_read_refused(self):
        self.assertRpcFault("AccessError", self.associate_b, "crm.relationship", "read",
                            [self.rel_shared_a.id], ["user_id"])
        rows = self.rpc(self.associate_b, "crm.relationship", "read_group",
                        [], ["user_id"], ["user_id"])
        self.assertNotIn(self.associate_a.id, [g["user_id"][0] for g in rows])
