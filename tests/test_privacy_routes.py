# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""A customer shared by companies A and B, and a lead shared through an offer:
what each company does on it stays private to that company, through every route
of the web client (chatter messages with their tracking values, activity panel
and systray, web_read/web_search_read, search_read, export), as the real users."""
import json

from odoo import http
from odoo.tests import tagged

from .common import LeadColleagueMixin, RelationshipHttpCase

EXPORT_FIELDS = ["user_id", "activity_ids/summary", "activity_ids/user_id",
                 "message_follower_ids/partner_id", "message_ids/body"]
READ_SPEC = {
    "user_id": {"fields": {"display_name": {}}},
    "activity_ids": {"fields": {"summary": {}, "user_id": {"fields": {"display_name": {}}}}},
    "activity_user_id": {"fields": {"display_name": {}}},
    "activity_summary": {},
    "message_follower_ids": {"fields": {"partner_id": {"fields": {"display_name": {}}}}},
    "message_partner_ids": {"fields": {"display_name": {}}},
}


@tagged("post_install", "-at_install")
class TestPrivacyRoutes(LeadColleagueMixin, RelationshipHttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        a, b = cls.company_a, cls.company_b

        def as_(user, company):
            return cls.shared.with_user(user).with_context(
                allowed_company_ids=company.ids, tracking_disable=False)

        # each company's manager sets its own Salesperson, schedules an activity
        # for its rep and writes an internal note; A also writes to the customer
        cls.flush_tracking()  # the fixtures' creations discard tracking until then
        as_(cls.manager_a, a).write({"user_id": cls.associate_a.id})
        cls.flush_tracking()
        as_(cls.manager_b, b).write({"user_id": cls.associate_b.id})
        cls.flush_tracking()
        as_(cls.manager_a, a).activity_schedule(
            "mail.mail_activity_data_call", user_id=cls.associate_a.id, summary="A calls")
        as_(cls.manager_b, b).activity_schedule(
            "mail.mail_activity_data_call", user_id=cls.associate_b.id, summary="B calls")
        as_(cls.manager_a, a).message_post(
            body="A internal note", message_type="comment", subtype_xmlid="mail.mt_note")
        as_(cls.manager_b, b).message_post(
            body="B internal note", message_type="comment", subtype_xmlid="mail.mt_note")
        as_(cls.manager_a, a).message_post(
            body="Quotation sent to the customer", message_type="comment",
            subtype_xmlid="mail.mt_comment")
        cls.flush_tracking()
        cls.setup_shared_lead()
        cls.flush_tracking()

    @classmethod
    def flush_tracking(cls):
        cls.env.flush_all()
        cls.env.cr.precommit.run()

    # -- routes ---------------------------------------------------------------
    def call(self, model, method, *args, **kwargs):
        return self.make_jsonrpc_request("/web/dataset/call_kw", {
            "model": model, "method": method, "args": list(args), "kwargs": kwargs})

    def chatter(self, model, record):
        """/mail/thread/messages and /mail/thread/data (activities, followers), as
        the chatter of the web client loads them."""
        messages = self.make_jsonrpc_request("/mail/thread/messages", {
            "thread_model": model, "thread_id": record.id, "limit": 100})
        data = self.make_jsonrpc_request("/mail/thread/data", {
            "thread_model": model, "thread_id": record.id,
            "request_list": ["activities", "followers"]})
        return json.dumps(messages), json.dumps(data)

    def tracking_values(self, messages_json):
        values = []
        for message in json.loads(messages_json)["data"].get("mail.message", []):
            for tracking in message.get("trackingValues", []):
                values += [tracking["oldValue"]["value"], tracking["newValue"]["value"]]
        return values

    def _systray_groups(self, res):
        groups = res.get("activityGroups") or res.get("Store", {}).get("activityGroups") or []
        return {group["model"]: group["total_count"] + group["planned_count"] for group in groups}

    def export_csv(self, model, ids, fields):
        response = self.url_open("/web/export/csv", data={
            "data": json.dumps({
                "model": model, "ids": ids, "domain": [], "groupby": [],
                "import_compat": False,
                "fields": [{"name": name, "label": name} for name in fields],
            }),
            "csrf_token": http.Request.csrf_token(self),
        })
        self.assertEqual(response.status_code, 200, response.text[:500])
        return response.content.decode()

    def all_routes(self, model, record, context=None):
        """Everything the web client shows of ``record``'s history, as one text."""
        kw = {"context": context} if context else {}
        messages, data = self.chatter(model, record)
        domain = [("res_model", "=", model), ("res_id", "=", record.id)]
        out = {
            "messages": messages,
            "thread_data": data,
            "web_read": self.call(model, "web_read", [record.id], READ_SPEC, **kw),
            "web_search_read": self.call(model, "web_search_read", [("id", "=", record.id)],
                                         READ_SPEC, **kw),
            "activity_search_read": self.call("mail.activity", "search_read", domain,
                                              ["summary", "user_id"], **kw),
            # the Activity view of the web client
            "activity_view": self.call("mail.activity", "get_activity_data", model,
                                       [("id", "=", record.id)], **kw),
            "follower_search_read": self.call("mail.followers", "search_read", domain,
                                              ["partner_id"], **kw),
            "message_search_read": self.call(
                "mail.message", "search_read",
                [("model", "=", model), ("res_id", "=", record.id)], ["body", "author_id"], **kw),
            "export_data": self.call(model, "export_data", [record.id], EXPORT_FIELDS, **kw),
            "export_csv": self.export_csv(model, [record.id], EXPORT_FIELDS),
        }
        return {route: json.dumps(value) if not isinstance(value, str) else value
                for route, value in out.items()}

    def activity_view(self, routes):
        """(activity ids, assigned user ids) of the Activity view's data."""
        data = json.loads(routes["activity_view"])
        ids, users = set(), set()
        for per_type in data["grouped_activities"].values():
            for group in per_type.values():
                ids.update(group["ids"])
                users.update(group["user_assigned_ids"])
        return ids, users

    def activity(self, summary):
        return self.env["mail.activity"].search([("summary", "=", summary)])

    def assertNoneContains(self, routes, text):
        leaking = [route for route, value in routes.items() if text in value]
        self.assertFalse(leaking, f"{text!r} is readable through {leaking}")

    def assertAllContain(self, routes, text, only=None):
        for route in only or routes:
            self.assertIn(text, routes[route], f"{text!r} missing from {route}")

    # -- the shared customer ------------------------------------------------------
    def test_shared_customer_b_manager_sees_nothing_of_a(self):
        self.authenticate(self.manager_b.login, self.manager_b.login)
        routes = self.all_routes("res.partner", self.shared)
        for text in (self.associate_a.name, "A calls", "A internal note"):
            self.assertNoneContains(routes, text)
        # the tracking values the chatter renders: B's Salesperson line only
        values = self.tracking_values(routes["messages"])
        self.assertIn(self.associate_b.name, values)
        self.assertNotIn(self.associate_a.name, values)
        self.assertEqual(self.activity_view(routes),
                         (set(self.activity("B calls").ids), {self.associate_b.id}))
        # B's own items are there
        self.assertAllContain(routes, "B calls", only=["thread_data", "web_read", "web_search_read",
                                                       "activity_search_read", "export_data",
                                                       "export_csv"])
        self.assertAllContain(routes, "B internal note", only=["messages", "message_search_read",
                                                               "export_data", "export_csv"])
        # correspondence with the customer is shared by the companies
        self.assertAllContain(routes, "Quotation sent to the customer",
                              only=["messages", "message_search_read", "export_data"])

    def test_shared_customer_b_associate_sees_nothing_of_a(self):
        self.authenticate(self.associate_b.login, self.associate_b.login)
        routes = self.all_routes("res.partner", self.shared)
        for text in (self.associate_a.name, self.manager_a.name + '"}', "A calls", "A internal note"):
            self.assertNoneContains(routes, text)
        self.assertNotIn(self.associate_a.name, self.tracking_values(routes["messages"]))
        # the followers A's rep and A's manager are not listed to B
        followers = self.call("mail.followers", "search_read", [
            ("res_model", "=", "res.partner"), ("res_id", "=", self.shared.id)], ["partner_id"])
        names = {row["partner_id"][1] for row in followers}
        self.assertNotIn(self.associate_a.name, names)
        self.assertNotIn(self.manager_a.name, names)
        self.assertIn(self.associate_b.name, names, "B's rep was subscribed as Salesperson")
        # the systray lists the user's own activities: B's, not A's
        self.assertEqual(self._systray_groups(self.make_jsonrpc_request(
            "/mail/data", {"systray_get_activities": True})).get("res.partner"), 1)

    def test_shared_customer_a_sees_own_items_only(self):
        """Positive control: A's users see A's items (and none of B's)."""
        self.authenticate(self.manager_a.login, self.manager_a.login)
        routes = self.all_routes("res.partner", self.shared)
        self.assertAllContain(routes, "A calls", only=["thread_data", "web_read", "web_search_read",
                                                       "activity_search_read", "export_data",
                                                       "export_csv"])
        self.assertAllContain(routes, "A internal note", only=["messages", "message_search_read"])
        self.assertEqual(self.activity_view(routes),
                         (set(self.activity("A calls").ids), {self.associate_a.id}))
        self.assertAllContain(routes, self.associate_a.name, only=[
            "thread_data", "web_read", "web_search_read", "activity_search_read",
            "follower_search_read", "export_data", "export_csv"])
        self.assertIn(self.associate_a.name, self.tracking_values(routes["messages"]))
        for text in (self.associate_b.name, "B calls", "B internal note"):
            self.assertNoneContains(routes, text)
        self.authenticate(self.associate_a.login, self.associate_a.login)
        self.assertEqual(self._systray_groups(self.make_jsonrpc_request(
            "/mail/data", {"systray_get_activities": True})).get("res.partner"), 1)

    def test_shared_customer_user_of_both_companies_sees_both(self):
        """A user working in A and B sees both companies' items when both are
        ticked in the company switcher (and when a route has no company context),
        only A's when A alone is ticked."""
        self.authenticate(self.user_ab.login, self.user_ab.login)
        routes = self.all_routes("res.partner", self.shared,
                                 context={"allowed_company_ids": [self.company_b.id, self.company_a.id]})
        for text in ("A calls", "B calls"):
            self.assertAllContain(routes, text, only=["thread_data", "web_read", "web_search_read",
                                                      "activity_search_read", "export_data"])
        for text in ("A internal note", "B internal note"):
            self.assertAllContain(routes, text, only=["messages", "message_search_read"])
        values = self.tracking_values(routes["messages"])
        self.assertIn(self.associate_a.name, values)
        self.assertIn(self.associate_b.name, values)
        # the Salesperson field shows the current company's rep (B here)
        [row] = json.loads(routes["web_read"])
        self.assertEqual(row["user_id"]["id"], self.associate_b.id)

        routes = self.all_routes("res.partner", self.shared,
                                 context={"allowed_company_ids": [self.company_a.id]})
        for route in ("web_read", "web_search_read", "activity_search_read",
                      "message_search_read", "export_data"):
            self.assertIn("A ", routes[route].replace("Rm Assoc A", ""), route)
            self.assertNotIn("B calls", routes[route], route)
            self.assertNotIn("B internal note", routes[route], route)
            self.assertNotIn(self.associate_b.name, routes[route], route)

    def test_shared_customer_search_is_no_oracle(self):
        """B cannot find the shared customer by A's rep as follower or assignee."""
        self.authenticate(self.manager_b.login, self.manager_b.login)
        for field, value in (("message_partner_ids", self.associate_a.partner_id.id),
                             ("activity_user_id", self.associate_a.id),
                             ("activity_ids.summary", "A calls"),
                             ("message_ids.body", "A internal note")):
            domain = [("id", "=", self.shared.id), (field, "=" if field != "message_ids.body"
                                                    else "ilike", value)]
            self.assertEqual(self.call("res.partner", "search_count", domain), 0, field)
        # B's own items are found
        self.assertEqual(self.call("res.partner", "search_count", [
            ("id", "=", self.shared.id),
            ("message_partner_ids", "=", self.associate_b.partner_id.id)]), 1)
        self.assertEqual(self.call("res.partner", "search_count", [
            ("id", "=", self.shared.id), ("activity_user_id", "=", self.associate_b.id)]), 1)

    def test_shared_customer_note_to_a_recipient_of_another_company(self):
        """A note of A that names a user of B as recipient is read by that user
        (the author chose to tell them), not by B's other users."""
        self.shared.with_user(self.manager_a).with_context(
            allowed_company_ids=self.company_a.ids).message_post(
            body="A asks B's manager", message_type="comment", subtype_xmlid="mail.mt_note",
            partner_ids=self.manager_b.partner_id.ids)
        self.flush_tracking()
        self.authenticate(self.manager_b.login, self.manager_b.login)
        messages, __ = self.chatter("res.partner", self.shared)
        self.assertIn("A asks B's manager", messages)
        self.assertNotIn("A internal note", messages)
        self.authenticate(self.associate_b.login, self.associate_b.login)
        messages, __ = self.chatter("res.partner", self.shared)
        self.assertNotIn("A asks B's manager", messages)

    def test_shared_customer_stamp_not_client_settable(self):
        """A client can neither set nor clear the company of a private item."""
        self.authenticate(self.manager_b.login, self.manager_b.login)
        activity = self.env["mail.activity"].search([("summary", "=", "B calls")])
        self.call("mail.activity", "write", activity.ids, {"crm_rm_company_id": False})
        self.assertEqual(activity.crm_rm_company_id, self.company_b)
        note = self.env["mail.message"].search([("body", "ilike", "B internal note")])
        self.call("mail.message", "write", note.ids, {"crm_rm_company_id": False})
        self.assertEqual(note.crm_rm_company_id, self.company_b)
        self.authenticate(self.manager_a.login, self.manager_a.login)
        self.assertNotIn("B internal note", json.dumps(self.chatter("res.partner", self.shared)))

    def test_shared_customer_upgrade_stamps_existing_items(self):
        """Items created before the stamps existed are stamped on upgrade with the
        main company of their author, assignee or follower."""
        from ..models.mail_message import stamp_existing
        self.env.flush_all()
        for table in ("mail_message", "mail_tracking_value", "mail_activity",
                      "mail_followers", "mail_notification"):
            self.env.cr.execute(f"UPDATE {table} SET crm_rm_company_id = NULL")
        self.env.invalidate_all()
        self.authenticate(self.manager_b.login, self.manager_b.login)
        routes = self.all_routes("res.partner", self.shared)
        self.assertIn("A internal note", routes["messages"], "unstamped: readable by all")
        stamp_existing(self.env)
        routes = self.all_routes("res.partner", self.shared)
        for text in (self.associate_a.name, "A calls", "A internal note"):
            self.assertNoneContains(routes, text)
        self.assertIn(self.associate_b.name, self.tracking_values(routes["messages"]))
        self.assertIn("Quotation sent to the customer", routes["messages"])

    # -- leads shared through an offer ------------------------------------------------
    def test_offered_lead_b_sees_nothing_of_a(self):
        self.authenticate(self.associate_b.login, self.associate_b.login)
        own = self.all_routes("crm.lead", self.lead_b)
        for name in self.a_names:
            self.assertNoneContains(own, name)
        self.assertNoneContains(own, "Private note for Rm Assoc A")
        self.assertNoneContains(own, "Call them")
        self.assertAllContain(own, self.associate_b.name, only=["web_read", "web_search_read",
                                                                "export_data", "export_csv"])
        # A's lead itself: its chatter, activities and followers stay A's
        messages, data = self.chatter("crm.lead", self.lead_a)
        for name in self.a_names:
            self.assertNotIn(name, messages)
            self.assertNotIn(name, data)
        self.assertNotIn("Private note for Rm Assoc A", messages)
        domain = [("res_model", "=", "crm.lead"), ("res_id", "=", self.lead_a.id)]
        self.assertEqual(self.call("mail.activity", "search_read", domain, ["user_id"]), [])
        self.assertEqual(self.call("mail.followers", "search_read", domain, ["partner_id"]), [])
        self.assertEqual(self.call("mail.message", "search_read", [
            ("model", "=", "crm.lead"), ("res_id", "=", self.lead_a.id)], ["body"]), [])

    def test_offered_lead_a_sees_own_items(self):
        """Positive control: A's colleague sees A's lead history."""
        self.authenticate(self.associate_a.login, self.associate_a.login)
        routes = self.all_routes("crm.lead", self.lead_a)
        self.assertAllContain(routes, "Call them", only=["thread_data", "web_read",
                                                         "activity_search_read", "export_data"])
        self.assertAllContain(routes, "Private note for Rm Assoc A",
                              only=["messages", "message_search_read"])
        self.assertNoneContains(routes, self.associate_b.name)
