# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Colleague privacy and lead offers over a real XML-RPC server, as each user."""
from odoo.tests import JsonRpcException, tagged

from .common import LeadColleagueMixin, RelationshipHttpCase


@tagged("post_install", "-at_install")
class TestLeadColleagueRpc(LeadColleagueMixin, RelationshipHttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.setup_shared_lead()

    def _ids(self, rows, field):
        out = set()
        for row in rows:
            value = row.get(field)
            if isinstance(value, list) and value:
                out.add(value[0])
            elif isinstance(value, dict) and value:
                out.add(value["id"])
            elif isinstance(value, int) and value:
                out.add(value)
        return out

    def _assert_b_never_learns_a_colleague(self, user):
        a_ids = set(self.a_users.ids)
        lead_a, lead_b = self.lead_a.id, self.lead_b.id
        self.assertRpcFault("AccessError", user, "crm.lead", "read", [lead_a], ["user_id"])
        self.assertRpcFault("AccessError", user, "crm.lead", "web_read", [lead_a],
                            {"colleague_id": {}, "user_id": {}})
        for field in ("user_id", "colleague_id"):
            domain = [(field, "in", sorted(a_ids))]
            self.assertEqual(self.rpc(user, "crm.lead", "search", domain), [])
            self.assertEqual(self.rpc(user, "crm.lead", "search_count", domain), 0)
            self.assertEqual(self.rpc(user, "crm.lead", "search_read", domain, [field]), [])
            rows = self.rpc(user, "crm.lead", "search_read", [], [field])
            self.assertFalse(self._ids(rows, field) & a_ids)
            self.assertNotIn(lead_a, [r["id"] for r in rows])
            res = self.rpc(user, "crm.lead", "web_search_read", [],
                           {field: {"fields": {"display_name": {}}}})
            self.assertFalse(self._ids(res["records"], field) & a_ids)
            rows = self.rpc(user, "crm.lead", "web_read", [lead_b], {field: {}})
            self.assertFalse(self._ids(rows, field) & a_ids)
        self.assertEqual(self.rpc(user, "crm.lead", "search",
                                  [("user_id", "=", self.associate_a.id)]), [])
        for field in ("user_id", "colleague_id"):
            groups = self.rpc(user, "crm.lead", "read_group", [], [field], [field])
            self.assertFalse(self._ids(groups, field) & a_ids)
            self.assertIn(self.associate_b.id, self._ids(groups, field))
            groups = self.rpc(user, "crm.lead", "web_read_group", [], [field], [field])
            self.assertFalse(self._ids(groups["groups"], field) & a_ids)
        ids = self.rpc(user, "crm.lead", "search", [])
        self.assertNotIn(lead_a, ids)
        export = self.rpc(user, "crm.lead", "export_data", ids,
                          ["name", "user_id/name", "colleague_id/name", "user_id/id"])
        flat = {str(v) for row in export["datas"] for v in row}
        self.assertFalse(set(self.a_names) & flat)
        # chatter: messages, tracking, followers, activities, notifications
        for lead_id in (lead_a, lead_b):
            on_lead = [("model", "=", "crm.lead"), ("res_id", "=", lead_id)]
            messages = self.rpc(user, "mail.message", "search_read", on_lead,
                                ["author_id", "partner_ids", "body", "create_uid"])
            for message in messages:
                self.assertNotIn(message["author_id"] and message["author_id"][0],
                                 self.a_users.partner_id.ids)
                self.assertNotIn(message["create_uid"][0], a_ids)
                self.assertFalse(set(message["partner_ids"]) & set(self.a_users.partner_id.ids))
                for name in self.a_names:
                    self.assertNotIn(name, message["body"])
            if lead_id == lead_a:
                self.assertEqual(messages, [])
            else:
                self.assertTrue(messages)
            followers = self.rpc(user, "mail.followers", "search_read",
                                 [("res_model", "=", "crm.lead"), ("res_id", "=", lead_id)],
                                 ["partner_id"])
            self.assertFalse(self._ids(followers, "partner_id") & set(self.a_users.partner_id.ids))
            activities = self.rpc(user, "mail.activity", "search_read",
                                  [("res_model", "=", "crm.lead"), ("res_id", "=", lead_id)],
                                  ["user_id", "create_uid"])
            self.assertFalse((self._ids(activities, "user_id")
                              | self._ids(activities, "create_uid")) & a_ids)
        lead_a_messages = self.lead_a.sudo().message_ids.ids
        self.assertEqual(self.rpc(user, "mail.notification", "search_read",
                                  [("mail_message_id", "in", lead_a_messages)],
                                  ["res_partner_id"]), [])
        self.assertEqual(self.rpc(user, "mail.followers", "search",
                                  [("partner_id", "in", self.a_users.partner_id.ids),
                                   ("res_model", "=", "crm.lead")]), [])
        self.assertRpcFault("AccessError", user, "mail.tracking.value", "search_read",
                            [], ["old_value_integer"])
        self.assertRpcFault("AccessError", user, "mail.message", "search_read",
                            [("model", "=", "crm.lead")], ["tracking_value_ids"])
        self.assertEqual(self.rpc(user, "calendar.event", "search_read",
                                  [("opportunity_id", "=", lead_a)], ["user_id"]), [])
        self.assertEqual(self.rpc(user, "calendar.event", "search",
                                  [("user_id", "in", sorted(a_ids))]), [])
        # the offer: neutral data only
        [offer] = self.rpc(user, "crm.lead.offer", "read", [self.offer.id])
        for field in ("lead_id", "offered_by_id", "decided_by_id", "to_lead_id"):
            self.assertNotIn(field, offer)
            self.assertRpcFault("AccessError", user, "crm.lead.offer", "read",
                                [self.offer.id], [field])
        self.assertEqual(offer["own_lead_id"][0], lead_b)
        self.assertNotIn(offer["create_uid"][0], a_ids)
        self.assertNotIn(offer["write_uid"][0], a_ids)
        for name in self.a_names:
            self.assertNotIn(name, str(offer))

    def test_b_only_users_over_rpc(self):
        for user in (self.associate_b, self.manager_b):
            with self.subTest(user=user.login):
                self._assert_b_never_learns_a_colleague(user)

    def test_user_in_both_companies_over_rpc(self):
        """Without a company context, XML-RPC works in all the user's companies;
        with allowed_company_ids only in those."""
        both = self.rpc(self.user_ab, "crm.lead", "search",
                        [("id", "in", [self.lead_a.id, self.lead_b.id])])
        self.assertEqual(sorted(both), sorted([self.lead_a.id, self.lead_b.id]))
        only_b = self.rpc(self.user_ab, "crm.lead", "search",
                          [("id", "in", [self.lead_a.id, self.lead_b.id])],
                          context={"allowed_company_ids": self.company_b.ids})
        self.assertEqual(only_b, [self.lead_b.id])
        self.assertRpcFault("AccessError", self.user_ab, "crm.lead", "read", [self.lead_a.id],
                            ["user_id"], context={"allowed_company_ids": self.company_b.ids})
        # company A's users never see company B's colleague either
        self.assertEqual(self.rpc(self.manager_a, "crm.lead", "search",
                                  [("user_id", "=", self.associate_b.id)]), [])
        self.assertRpcFault("AccessError", self.manager_a, "crm.lead", "read",
                            [self.lead_b.id], ["user_id"])

    def test_colleague_bad_input_over_rpc(self):
        for user, message in ((self.archived, "is archived"),
                              (self.portal, "not an internal user"),
                              (self.associate_b, "does not work in company")):
            self.assertRpcFault("ValidationError", self.manager_a, "crm.lead", "write",
                                [self.lead_a.id], {"colleague_id": user.id}, message=message)
        self.assertEqual(self.lead_a.user_id, self.associate_a)
        self.rpc(self.manager_a, "crm.lead", "write", [self.lead_a.id],
                 {"colleague_id": self.associate_a2.id})
        self.lead_a.invalidate_recordset()
        self.assertEqual(self.lead_a.user_id, self.associate_a2)
        [row] = self.rpc(self.manager_a, "crm.lead", "read", [self.lead_a.id],
                         ["colleague_id", "user_id"])
        self.assertEqual(row["colleague_id"], row["user_id"])

    def test_offer_flow_over_rpc(self):
        lead_id = self.rpc(self.associate_a, "crm.lead", "create", {"name": "RPC deal"})
        wizard_id = self.rpc(self.associate_a, "crm.lead.offer.wizard", "create",
                             {"lead_ids": [(6, 0, [lead_id])], "to_company": str(self.company_a.id)})
        self.assertRpcFault("UserError", self.associate_a, "crm.lead.offer.wizard",
                            "action_offer", [wizard_id], message="belongs to Company A already")
        wizard_id = self.rpc(self.associate_a, "crm.lead.offer.wizard", "create",
                             {"lead_ids": [(6, 0, [lead_id])], "to_company": str(self.company_b.id)})
        self.rpc(self.associate_a, "crm.lead.offer.wizard", "action_offer", [wizard_id])
        [offer_id] = self.rpc(self.associate_b, "crm.lead.offer", "search",
                              [("is_incoming", "=", True), ("state", "=", "offered")])
        self.assertRpcFault("AccessError", self.associate_a, "crm.lead.offer", "action_accept",
                            [offer_id])
        self.assertRpcFault("AccessError", self.associate_b, "crm.lead.offer", "write",
                            [offer_id], {"state": "accepted"})
        action = self.rpc(self.associate_b, "crm.lead.offer", "action_accept", [offer_id])
        [lead_b] = self.rpc(self.associate_b, "crm.lead", "read", [action["res_id"]],
                            ["colleague_id", "company_id", "name"])
        self.assertEqual(lead_b["colleague_id"][0], self.associate_b.id)
        self.assertEqual(lead_b["company_id"][0], self.company_b.id)
        self.assertRpcFault("UserError", self.associate_b, "crm.lead.offer", "action_accept",
                            [offer_id], message="is accepted; only a pending offer")
        self.assertEqual(self.env["crm.lead"].search_count([("name", "=", "RPC deal")]), 2)

    def test_b_user_over_json_rpc(self):
        """The web client's routes (JSON-RPC call_kw) as a B-only user."""
        self.authenticate(self.associate_b.login, self.associate_b.login)
        a_ids = set(self.a_users.ids)

        def call(model, method, *args, **kwargs):
            return self.make_jsonrpc_request("/web/dataset/call_kw", {
                "model": model, "method": method, "args": list(args), "kwargs": kwargs})

        res = call("crm.lead", "web_search_read", [],
                   {"user_id": {"fields": {"display_name": {}}},
                    "colleague_id": {"fields": {"display_name": {}}}})
        self.assertNotIn(self.lead_a.id, [r["id"] for r in res["records"]])
        self.assertIn(self.lead_b.id, [r["id"] for r in res["records"]])
        for field in ("user_id", "colleague_id"):
            self.assertFalse(self._ids(res["records"], field) & a_ids)
        groups = call("crm.lead", "web_read_group", [], ["user_id"], ["user_id"])
        self.assertFalse(self._ids(groups["groups"], "user_id") & a_ids)
        with self.assertRaises(JsonRpcException) as ctx:
            call("crm.lead", "web_read", [self.lead_a.id], {"user_id": {}})
        self.assertIn("AccessError", str(ctx.exception))
        followers = call("mail.followers", "search_read",
                         [("res_model", "=", "crm.lead"), ("res_id", "=", self.lead_a.id)],
                         ["partner_id"])
        self.assertEqual(followers, [])
