# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The Salesperson and relationships as real users see them over XML-RPC and the
web client's JSON routes: users working in several companies, Odoo's ORM
contract of ``create``, history set by the server, contacts inheriting their
company's Salesperson, and deleting a user with history."""
from odoo.tests import tagged

from .common import RelationshipHttpCase


@tagged("post_install", "-at_install")
class TestMultiCompanyRpc(RelationshipHttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.ab = {"allowed_company_ids": [cls.company_a.id, cls.company_b.id]}
        cls.rel_a = cls.assign(cls, cls.customer_a, cls.associate_a2)

    def rpc(self, *args, **kwargs):
        # the server reads the database: what the test wrote through the ORM first
        self.env.flush_all()
        result = super().rpc(*args, **kwargs)
        self.env.invalidate_all()
        return result

    def call_kw(self, model, method, *args, **kwargs):
        self.env.flush_all()
        result = self.make_jsonrpc_request("/web/dataset/call_kw", {
            "model": model, "method": method, "args": list(args), "kwargs": kwargs})
        self.env.invalidate_all()
        return result

    def stored(self, partner):
        """The raw per-company Salesperson column of ``partner``."""
        self.env.flush_all()
        self.env.cr.execute("SELECT crm_rm_user_id FROM res_partner WHERE id = %s", [partner.id])
        return {int(k): v for k, v in (self.env.cr.fetchone()[0] or {}).items() if v}

    def plain(self, partner):
        """Odoo's own ``res_partner.user_id`` column of ``partner`` (an int4)."""
        self.env.flush_all()
        self.env.cr.execute("SELECT user_id FROM res_partner WHERE id = %s", [partner.id])
        return self.env.cr.fetchone()[0]

    def test_salesperson_cache_per_company_and_plain_column(self):
        """``user_id`` read in A then in B in one transaction gives each company's
        rep (its cache depends on the company); Odoo's plain column holds the
        value Odoo would have: the partner's own company's rep, else the lowest
        company's."""
        self.assign(self.shared, self.associate_a, company=self.company_a)
        self.assign(self.shared, self.associate_b, company=self.company_b)
        partner = self.env["res.partner"].browse(self.shared.id)
        self.env.invalidate_all()
        self.assertEqual(partner.with_company(self.company_a).user_id, self.associate_a)
        self.assertEqual(partner.with_company(self.company_b).user_id, self.associate_b)
        self.assertEqual(partner.with_company(self.company_a).user_id, self.associate_a)
        self.assertEqual(
            self.env["res.partner"].with_company(self.company_b).search(
                [("id", "=", partner.id), ("user_id", "=", self.associate_b.id)]), partner)
        lowest = min(self.company_a, self.company_b, key=lambda c: c.id)
        self.assertEqual(self.plain(self.shared),
                         (self.associate_a if lowest == self.company_a else self.associate_b).id)
        self.assign(self.customer_b, self.associate_b, company=self.company_b)
        self.assertEqual(self.plain(self.customer_b), self.associate_b.id)
        self.assertEqual(self.stored(self.customer_b), {self.company_b.id: self.associate_b.id})
        # a contact created under the B customer inherits its rep, in both columns
        contact = self.env["res.partner"].create({"name": "B Person",
                                                  "parent_id": self.customer_b.id,
                                                  "company_id": self.company_b.id})
        self.assertEqual(self.plain(contact), self.associate_b.id)
        self.assertEqual(contact.with_company(self.company_a).user_id, self.associate_b)

    # ------------------------------------------------------------------
    # Users of several companies (A current, B ticked in the switcher)
    # ------------------------------------------------------------------
    def test_salesperson_of_a_b_customer_while_a_is_current(self):
        self.rpc(self.user_ab, "res.partner", "write", [self.customer_b.id],
                 {"user_id": self.associate_b.id}, context=self.ab)
        self.assertEqual(self.current(self.customer_b, self.company_b).user_id, self.associate_b)
        self.assertFalse(self.current(self.customer_b, self.company_a))
        self.assertEqual(self.stored(self.customer_b), {self.company_b.id: self.associate_b.id},
                         "stored under the customer's own company")
        # what the user then reads, A still current: B's rep of the B customer
        [read] = self.rpc(self.user_ab, "res.partner", "read", [self.customer_b.id],
                          ["user_id"], context=self.ab)
        self.assertEqual(read["user_id"][0], self.associate_b.id)
        found = self.rpc(self.user_ab, "res.partner", "search",
                         [("user_id", "=", self.associate_b.id)], context=self.ab)
        self.assertIn(self.customer_b.id, found)

    def test_multi_edit_of_customers_of_a_and_b(self):
        """A list multi-edit writes the customers of both companies at once."""
        self.rpc(self.user_ab, "res.partner", "write", [self.customer_a.id, self.customer_b.id],
                 {"user_id": self.user_ab.id}, context=self.ab)
        self.assertEqual(self.current(self.customer_a, self.company_a).user_id, self.user_ab)
        self.assertEqual(self.current(self.customer_b, self.company_b).user_id, self.user_ab)
        self.assertFalse(self.current(self.customer_b, self.company_a))
        self.assertEqual(self.stored(self.customer_a), {self.company_a.id: self.user_ab.id})
        self.assertEqual(self.stored(self.customer_b), {self.company_b.id: self.user_ab.id})

    def test_web_client_routes(self):
        """web_save and write through /web/dataset/call_kw, then web_read."""
        self.authenticate(self.user_ab.login, self.user_ab.login)
        spec = {"user_id": {"fields": {"display_name": {}}}}
        res = self.call_kw("res.partner", "web_save", [self.customer_b.id],
                           {"user_id": self.associate_b.id}, spec, context=self.ab)
        self.assertEqual(res[0]["user_id"]["id"], self.associate_b.id)
        self.assertEqual(self.current(self.customer_b, self.company_b).user_id, self.associate_b)
        self.call_kw("res.partner", "write", [self.customer_a.id, self.customer_b.id],
                     {"user_id": self.user_ab.id}, context=self.ab)
        self.assertEqual(self.current(self.customer_b, self.company_b).user_id, self.user_ab)
        self.assertEqual(self.current(self.customer_a, self.company_a).user_id, self.user_ab)
        self.assign(self.shared, self.associate_a, company=self.company_a)
        self.assign(self.shared, self.associate_b, company=self.company_b)
        records = self.call_kw("res.partner", "web_read",
                               [self.customer_b.id, self.shared.id], spec, context=self.ab)
        reps = {rec["id"]: rec["user_id"]["id"] for rec in records}
        self.assertEqual(reps, {self.customer_b.id: self.user_ab.id,
                                self.shared.id: self.associate_a.id},
                         "a B customer shows B's rep; a shared one the current company's")
        ba = {"allowed_company_ids": [self.company_b.id, self.company_a.id]}
        records = self.call_kw("res.partner", "web_read", [self.shared.id], spec, context=ba)
        self.assertEqual(records[0]["user_id"]["id"], self.associate_b.id)

    def test_update_relationship_wizard_on_a_b_customer(self):
        """The wizard opened on a B customer works in B, A being current."""
        action = self.rpc(self.user_ab, "res.partner", "action_open_update_relationship",
                          [self.customer_b.id], context=self.ab)
        context = dict(self.ab, **action["context"])
        wizard_id = self.rpc(self.user_ab, "crm.relationship.update", "create",
                             {"user_id": self.associate_b.id}, context=context)
        self.rpc(self.user_ab, "crm.relationship.update", "action_apply", [wizard_id],
                 context=context)
        self.assertEqual(self.current(self.customer_b, self.company_b).user_id, self.associate_b)

    def test_shared_customer_gets_the_current_company_rep(self):
        self.rpc(self.user_ab, "res.partner", "write", [self.shared.id],
                 {"user_id": self.user_ab.id}, context=self.ab)
        self.assertEqual(self.current(self.shared, self.company_a).user_id, self.user_ab)
        self.assertFalse(self.current(self.shared, self.company_b))
        ba = {"allowed_company_ids": [self.company_b.id, self.company_a.id]}
        self.rpc(self.user_ab, "res.partner", "write", [self.shared.id],
                 {"user_id": self.associate_b.id}, context=ba)
        self.assertEqual(self.current(self.shared, self.company_b).user_id, self.associate_b)
        self.assertEqual(self.current(self.shared, self.company_a).user_id, self.user_ab)
        self.assertEqual(self.stored(self.shared), {self.company_a.id: self.user_ab.id,
                                                    self.company_b.id: self.associate_b.id})
        self.assertEqual(self.shared_contact.with_company(self.company_b).user_id,
                         self.associate_b, "contacts follow per company")

    def test_relationship_create_follows_the_customer_company(self):
        ids = self.rpc(self.user_ab, "crm.relationship", "create",
                       [{"partner_id": self.customer_b.id, "user_id": self.associate_b.id},
                        {"partner_id": self.shared.id, "user_id": self.associate_a.id}],
                       context=self.ab)
        rels = self.env["crm.relationship"].browse(ids)
        self.assertEqual(rels.mapped("company_id"), self.company_b | self.company_a)
        self.assertEqual(rels[0], self.current(self.customer_b, self.company_b))
        self.assertEqual(rels[1], self.current(self.shared, self.company_a))
        self.assertEqual(self.customer_b.with_company(self.company_b).user_id, self.associate_b)

    # ------------------------------------------------------------------
    # create: one record per vals, in order
    # ------------------------------------------------------------------
    def test_create_returns_one_record_per_vals_in_order(self):
        unchanged = {"partner_id": self.customer_a.id, "user_id": self.associate_a2.id}
        new = {"partner_id": self.customer_a2.id, "user_id": self.associate_a.id}
        ids = self.rpc(self.manager_a, "crm.relationship", "create", [unchanged, new])
        self.assertEqual(len(ids), 2)
        self.assertEqual(ids[0], self.rel_a.id, "unchanged: the current relationship")
        self.assertEqual(ids[1], self.current(self.customer_a2).id)
        ids = self.rpc(self.manager_a, "crm.relationship", "create",
                       [{"partner_id": self.customer_a2.id, "user_id": self.associate_a2.id},
                        unchanged, {"partner_id": self.shared_contact.id,
                                    "user_id": self.associate_a.id}])
        self.assertEqual(ids, [self.current(self.customer_a2).id, self.rel_a.id,
                               self.current(self.shared).id])
        self.assertEqual(self.current(self.customer_a2).user_id, self.associate_a2)
        # base_import's load() pairs the ids with its rows by position
        result = self.rpc(self.manager_a, "crm.relationship", "load",
                          ["partner_id/.id", "user_id/.id"],
                          [[str(self.customer_a.id), str(self.associate_a2.id)],
                           [str(self.customer_a2.id), str(self.associate_a.id)]])
        self.assertFalse(result["messages"], result["messages"])
        self.assertEqual(result["ids"], [self.rel_a.id, self.current(self.customer_a2).id])

    # ------------------------------------------------------------------
    # History is set by the server path that made the change
    # ------------------------------------------------------------------
    def test_client_cannot_forge_history(self):
        forged = {"crm_rel_source": "forged-by-rep", "crm_rel_reason": "forged reason"}
        self.rpc(self.associate_a2, "crm.relationship", "write", [self.rel_a.id],
                 {"user_id": self.associate_a.id}, context=forged)
        rel = self.current(self.customer_a)
        self.assertEqual((rel.user_id, rel.source, rel.reason), (self.associate_a, "odoo", False))
        self.rpc(self.manager_a, "res.partner", "write", [self.customer_a.id],
                 {"user_id": self.associate_a2.id}, context=dict(forged, crm_rel_source="mass"))
        rel = self.current(self.customer_a)
        self.assertEqual((rel.user_id, rel.source, rel.reason),
                         (self.associate_a2, "odoo", False))
        self.assertRpcFault("UserError", self.manager_a, "crm.relationship", "create",
                            [{"partner_id": self.customer_a2.id, "user_id": self.associate_a.id,
                              "source": "mass"}], message="source")
        self.assertFalse(self.current(self.customer_a2))
        # a reason typed as data is the client's to give
        self.rpc(self.manager_a, "crm.relationship", "create",
                 [{"partner_id": self.customer_a2.id, "user_id": self.associate_a.id,
                   "reason": "Met at the fair"}], context=forged)
        rel = self.current(self.customer_a2)
        self.assertEqual((rel.source, rel.reason), ("odoo", "Met at the fair"))

    # ------------------------------------------------------------------
    # Contacts take their company's Salesperson, per company
    # ------------------------------------------------------------------
    def test_contact_added_to_a_company_takes_its_salesperson(self):
        self.assign(self.shared, self.associate_a, company=self.company_a)
        self.assign(self.shared, self.associate_b, company=self.company_b)
        contact_id = self.rpc(self.manager_a, "res.partner", "create", [{"name": "Later"}])[0]
        self.rpc(self.manager_a, "res.partner", "write", [contact_id],
                 {"parent_id": self.shared.id})
        contact = self.env["res.partner"].browse(contact_id)
        self.assertEqual(contact.with_company(self.company_a).user_id, self.associate_a)
        self.assertEqual(contact.with_company(self.company_b).user_id, self.associate_b)
        [read] = self.rpc(self.manager_b, "res.partner", "read", [contact_id], ["user_id"])
        self.assertEqual(read["user_id"][0], self.associate_b.id, "B's user reads B's rep")
        # created with its parent: the same, in every company
        new_id = self.rpc(self.manager_a, "res.partner", "create",
                          [{"name": "At once", "parent_id": self.shared.id}])[0]
        new = self.env["res.partner"].browse(new_id)
        self.assertEqual(new.with_company(self.company_a).user_id, self.associate_a)
        self.assertEqual(new.with_company(self.company_b).user_id, self.associate_b)

    # ------------------------------------------------------------------
    # Deleting a user with relationship history
    # ------------------------------------------------------------------
    def test_delete_user_with_history(self):
        newcomer = self.env["res.users"].create({"name": "Newcomer", "login": "rm_newcomer"})
        fault = self.assertRpcFault("UserError", self.admin, "res.users", "unlink",
                                    [self.associate_a2.id, newcomer.id])
        self.assertIn("Reassign resources", fault)
        self.assertIn("Archive", fault)
        self.assertIn(self.associate_a2.name, fault)
        self.assertNotIn("fkey", fault)
        self.assertTrue(self.associate_a2.exists() and newcomer.exists())
        self.rpc(self.admin, "res.users", "unlink", [newcomer.id])
        self.assertFalse(newcomer.exists())
