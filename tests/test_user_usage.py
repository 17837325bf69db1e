# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Departure: where is a user still named, handing it all over, archiving
through Reassign resources, and giving back on the user's return."""
import json
from datetime import timedelta

from odoo import fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from .common import RelationshipHttpCase, TaskFollowMixin


class UsageMixin(TaskFollowMixin):
    @classmethod
    def setup_usage_data(cls):
        """Associate A is named everywhere: work and configuration."""
        cls.setup_task_follow_data()
        env, a = cls.env, cls.company_a
        user = cls.associate_a
        # a support relationship too (another role)
        cls.env["crm.relationship"].with_company(a)._assign(
            cls.shared, user, role=cls.role_cs, company=a, reason="setup")
        now = fields.Datetime.now()
        Event = env["calendar.event"].with_context(no_mail_to_attendees=True)
        cls.future_meeting = Event.create({
            "name": "Future meeting", "user_id": user.id,
            "partner_ids": [(6, 0, user.partner_id.ids)],
            "start": now + timedelta(days=5), "stop": now + timedelta(days=5, hours=1)})
        cls.past_meeting = Event.create({
            "name": "Past meeting", "user_id": user.id,
            "start": now - timedelta(days=5), "stop": now - timedelta(days=5, hours=-1)})
        cls.team_led = env["crm.team"].create({
            "name": "Team led by A", "company_id": a.id, "user_id": user.id})
        cls.pool_a = env["crm.rotation.pool"].create({
            "name": "Pool of A", "company_id": a.id, "team_id": cls.team_a.id,
            "fallback_user_id": user.id,
            "member_ids": [(0, 0, {"user_id": user.id, "weight": 2})],
        })
        cls.activity_type = env["mail.activity.type"].create({
            "name": "Call A's way", "default_user_id": user.id})
        cls.filter = env["ir.filters"].create({
            "name": "My hot leads", "model_id": "crm.lead", "user_id": user.id,
            "domain": "[('priority', '=', '3')]"})
        cls.template = env["mail.template"].create({
            "name": "A's template", "model_id": env["ir.model"]._get_id("crm.lead"),
            "user_id": user.id})
        lead_model = env["ir.model"]._get("crm.lead")
        cls.action_activity = env["ir.actions.server"].create({
            "name": "Schedule a call for A", "model_id": lead_model.id,
            "state": "next_activity", "activity_type_id": cls.call.id,
            "activity_user_type": "specific", "activity_user_id": user.id})
        cls.action_write = env["ir.actions.server"].create({
            "name": "Give to A", "model_id": lead_model.id, "state": "object_write",
            "update_path": "user_id", "evaluation_type": "value", "value": str(user.id)})
        cls.other_action = env["ir.actions.server"].create({
            "name": "Give to A2", "model_id": lead_model.id, "state": "object_write",
            "update_path": "user_id", "evaluation_type": "value",
            "value": str(cls.associate_a2.id)})
        cls.automation = env["base.automation"].create({
            "name": "Call when assigned", "model_id": lead_model.id,
            "trigger": "on_create_or_write",
            "action_server_ids": [(0, 0, {
                "name": "Call by A", "model_id": lead_model.id, "state": "next_activity",
                "activity_type_id": cls.call.id, "activity_user_type": "specific",
                "activity_user_id": user.id})],
        }) if "base.automation" in env else None
        cls.activity(cls, cls.lead, user)

    def usage(self, user=None, as_user=None):
        user = (user or self.associate_a).with_user(as_user or self.manager_a)
        return {row["kind"] if row["kind"] != "relationship" else row["label"]: row
                for row in user._crm_rm_usage()[user]}


@tagged("post_install", "-at_install")
class TestUserUsage(UsageMixin, RelationshipHttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.setup_usage_data()

    def test_usage_counts_every_kind(self):
        usage = self.usage()
        counts = {kind: row["count"] for kind, row in usage.items()}
        expected = {
            "Current relationships: Account Manager": 2,
            "Current relationships: Support Lead": 1,
            "lead": 2,  # the won lead is not open
            "activity": 1,
            "meeting": 1,  # the past one is not counted
            "team_leader": 1,
            "team_member": 1,  # team A
            "pool_member": 1,
            "pool_fallback": 1,
            "activity_type": 1,
            "filter": 1,
            "mail_template": 1,
            "server_action": 2,  # the activity action and the write action, not A2's
        }
        if self.automation:
            expected["automation"] = 1
        self.assertEqual(counts, expected)
        # each row opens exactly its records
        for kind, row in usage.items():
            with self.subTest(kind):
                Model = self.env[row["res_model"]].sudo().with_context(active_test=False)
                self.assertEqual(Model.search_count(row["domain"]), row["count"])
        self.assertTrue(usage["meeting"]["config"])
        self.assertFalse(usage["lead"]["config"])
        # nothing for a user named nowhere
        newcomer = self.env["res.users"].create({"name": "Newcomer", "login": "rm_usage_new"})
        self.assertEqual(newcomer._crm_rm_usage()[newcomer], [])

    def test_usage_lists_open_covers(self):
        """Covers still to come or running name both users; cancelled ones do not."""
        start = fields.Date.context_today(self.env["res.users"]) + timedelta(days=10)
        Cover = self.env["crm.rep.cover"]
        planned = Cover.create({
            "user_id": self.associate_a.id, "cover_user_id": self.associate_a2.id,
            "company_id": self.company_a.id, "date_from": start,
            "date_to": start + timedelta(days=4)})
        cancelled = Cover.create({
            "user_id": self.associate_a.id, "cover_user_id": self.associate_a2.id,
            "company_id": self.company_a.id, "date_from": start + timedelta(days=20),
            "date_to": start + timedelta(days=24)})
        cancelled.action_cancel()
        self.assertEqual(cancelled.state, "cancelled")
        row = self.usage()["cover_of"]
        self.assertEqual(row["count"], 1)
        self.assertEqual(Cover.search(row["domain"]), planned)
        self.assertEqual(self.usage(self.associate_a2)["cover_by"]["count"], 1)
        self.assertNotIn("cover_by", self.usage())

    def test_usage_is_set_wise(self):
        """One query per kind, whatever the number of users."""
        users = self.associate_a | self.associate_a2 | self.manager_a
        for group in (self.associate_a, users):  # warm the caches
            group.with_user(self.manager_a)._crm_rm_usage()
        queries = []
        for group in (self.associate_a, users):
            self.env.invalidate_all()
            before = self.cr.sql_log_count
            group.with_user(self.manager_a)._crm_rm_usage()
            queries.append(self.cr.sql_log_count - before)
        self.assertEqual(queries[0], queries[1], "the same queries for one or three users")

    def test_usage_lines_open_their_records(self):
        action = self.associate_a.with_user(self.manager_a).action_view_crm_rm_usage()
        self.assertEqual(action["res_model"], "res.users.usage.line")
        lines = self.env["res.users.usage.line"].with_user(self.manager_a).search(
            action["domain"])
        self.assertEqual(len(lines), len(self.usage()))
        team_line = lines.filtered(lambda line: line.kind == "team_leader")
        opened = team_line.action_open()
        self.assertEqual(opened["res_model"], "crm.team")
        self.assertEqual(self.env["crm.team"].search(opened["domain"]), self.team_led)

    def test_usage_rights(self):
        # an associate sees their own usage, not another user's
        own = self.usage(as_user=self.associate_a)
        self.assertIn("lead", own)
        with self.assertRaises(AccessError):
            self.associate_a2.with_user(self.associate_a)._crm_rm_usage()
        with self.assertRaises(AccessError):
            self.associate_a2.with_user(self.associate_a).action_view_crm_rm_usage()
        # the smart button is for relationship managers
        view = self.env.ref("base.view_users_form")
        arch = self.env["res.users"].with_user(self.manager_a).get_view(view.id, "form")["arch"]
        self.assertIn('name="action_view_crm_rm_usage"', arch)
        arch = self.env["res.users"].with_user(self.associate_a).get_view(view.id, "form")["arch"]
        self.assertNotIn('name="action_view_crm_rm_usage"', arch)
        # over XML-RPC too
        self.assertRpcFault("AccessError", self.associate_a, "res.users",
                            "action_view_crm_rm_usage", [self.associate_a2.id])
        action = self.rpc(self.manager_a, "res.users", "action_view_crm_rm_usage",
                          [self.associate_a.id])
        self.assertEqual(action["res_model"], "res.users.usage.line")

    # ------------------------------------------------------------------
    # Reassign resources: configuration references
    # ------------------------------------------------------------------
    def wizard(self, as_user=None, **vals):
        return self.env["res.users.reassign"].with_user(as_user or self.admin).create(dict(
            {"user_id": self.associate_a.id, "successor_id": self.associate_a2.id}, **vals))

    def test_reassign_hands_over_configuration(self):
        wizard = self.wizard()
        self.assertEqual(wizard.config_successor_id, self.associate_a2, "the successor by default")
        self.assertEqual(len(wizard.usage_line_ids), len(self.usage()))
        wizard.action_apply()
        # the handover is readable by the company's managers only, over RPC too
        handover = self.env["crm.user.handover"].search([("user_id", "=", self.associate_a.id)])
        self.assertTrue(handover.item_ids)
        self.assertEqual(self.rpc(self.manager_a, "crm.user.handover", "search_count",
                                  [("id", "=", handover.id)]), 1)
        self.assertEqual(self.rpc(self.manager_b, "crm.user.handover", "search_count",
                                  [("id", "=", handover.id)]), 0)
        self.assertEqual(self.rpc(self.manager_b, "crm.user.handover.item", "search_count",
                                  [("id", "in", handover.item_ids.ids)]), 0)
        a2 = self.associate_a2
        self.assertEqual(self.future_meeting.user_id, a2)
        self.assertIn(a2.partner_id, self.future_meeting.partner_ids)
        self.assertNotIn(self.associate_a.partner_id, self.future_meeting.partner_ids)
        self.assertEqual(self.past_meeting.user_id, self.associate_a, "the past stays")
        self.assertEqual(self.team_led.user_id, a2)
        self.assertEqual(self.pool_a.fallback_user_id, a2)
        self.assertEqual(self.pool_a.member_ids.user_id, a2)
        self.assertEqual(self.activity_type.default_user_id, a2)
        self.assertEqual(self.filter.user_id, a2)
        self.assertEqual(self.template.user_id, a2)
        self.assertEqual(self.action_activity.activity_user_id, a2)
        self.assertEqual(self.action_write.value, str(a2.id))
        if self.automation:
            self.assertEqual(self.automation.action_server_ids.activity_user_id, a2)
        # A2 was already in team A: A's membership stays (archived with A)
        self.assertIn(self.associate_a, self.team_a.member_ids)
        # only what is left: A2 already in team A, the activity outside the policy
        left = set(self.usage())
        self.assertEqual(left, {"team_member", "activity"})
        self.assertEqual(self.current(self.customer_a).user_id, a2)
        handover = self.env["crm.user.handover"].search([("user_id", "=", self.associate_a.id)])
        self.assertEqual(len(handover), 1)
        self.assertEqual(handover.pending_count, len(handover.item_ids))
        self.assertEqual(set(handover.item_ids.mapped("res_model")), {
            "crm.relationship", "crm.lead", "calendar.event", "crm.team",
            "crm.rotation.pool", "crm.rotation.pool.member", "mail.activity.type",
            "ir.filters", "mail.template", "ir.actions.server"})

    def test_reassign_configuration_to_another_successor_or_none(self):
        self.wizard(config_successor_id=self.manager_a.id).action_apply()
        self.assertEqual(self.current(self.customer_a).user_id, self.associate_a2)
        self.assertEqual(self.team_led.user_id, self.manager_a)
        self.assertEqual(self.filter.user_id, self.manager_a)
        self.team_led.user_id = self.associate_a2
        wizard = self.env["res.users.reassign"].with_user(self.admin).create({
            "user_id": self.associate_a2.id, "successor_id": self.associate_a.id})
        wizard.config_successor_id = False
        wizard.action_apply()
        self.assertEqual(self.team_led.user_id, self.associate_a2, "kept: no successor")

    def test_bad_configuration_successor_changes_nothing(self):
        with self.assertRaisesRegex(UserError, "archived"):
            self.wizard(config_successor_id=self.archived.id).action_apply()
        # refused as a whole, nothing half-written
        self.assertEqual(self.current(self.customer_a).user_id, self.associate_a)
        self.assertEqual(self.team_led.user_id, self.associate_a)
        self.assertFalse(self.env["crm.user.handover"].search(
            [("user_id", "=", self.associate_a.id)]))

    def test_associate_cannot_reassign_configuration(self):
        with self.assertRaises(AccessError):
            self.wizard(as_user=self.associate_a2).action_apply()
        self.assertRpcFault("AccessError", self.associate_a2, "res.users.reassign", "create",
                            {"user_id": self.associate_a.id,
                             "successor_id": self.associate_a2.id})
        self.assertEqual(self.team_led.user_id, self.associate_a)

    # ------------------------------------------------------------------
    # Archiving: refused over RPC, completed through the wizard
    # ------------------------------------------------------------------
    def web_call(self, user, model, method, ids, error=None):
        """A call as the web client makes it (a view's action menu); with
        ``error``, the call must fail with a message containing it."""
        self.authenticate(user.login, user.login)
        response = self.url_open(
            f"/web/dataset/call_kw/{model}/{method}", json.dumps({
                "id": 0, "jsonrpc": "2.0", "method": "call", "params": {
                    "model": model, "method": method, "args": [ids], "kwargs": {}}}),
            headers={"Content-Type": "application/json"}).json()
        if error:
            self.assertIn(error, response["error"]["data"]["message"])
            return response["error"]
        self.assertNotIn("error", response)
        return response["result"]

    def test_archive_refused_over_rpc(self):
        for method, args in (("write", ([self.associate_a.id], {"active": False})),
                             ("action_archive", ([self.associate_a.id],))):
            with self.subTest(method):
                self.assertRpcFault("UserError", self.admin, "res.users", method, *args,
                                    message="Reassign resources")
        # a client context cannot change the refusal
        self.assertRpcFault("UserError", self.admin, "res.users", "action_archive",
                            [self.associate_a.id], context={"crm_rm_keep_activities_of": [
                                self.associate_a.id]}, message="Reassign resources")
        # from server code too
        with self.assertRaisesRegex(UserError, "Reassign resources"):
            self.associate_a.with_user(self.admin).action_archive()
        self.env.invalidate_all()
        self.assertTrue(self.associate_a.active)

    def test_archive_from_the_form_opens_reassign_then_completes(self):
        action = self.web_call(self.admin, "res.users", "action_archive",
                               [self.associate_a.id])
        self.assertEqual(action["res_model"], "res.users.reassign")
        self.assertTrue(action["context"]["default_archive_user"])
        self.env.invalidate_all()
        self.assertTrue(self.associate_a.active, "not archived: a successor is asked for")
        wizard = self.env["res.users.reassign"].with_user(self.admin).with_context(
            **action["context"]).create({"successor_id": self.associate_a2.id})
        self.assertTrue(wizard.usage_line_ids, "the usage is shown")
        wizard.action_apply()
        self.assertFalse(self.associate_a.active)
        self.assertEqual(self.team_led.user_id, self.associate_a2)
        # several users from the list: the clear error
        self.web_call(self.admin, "res.users", "action_archive",
                      [self.associate_a2.id, self.manager_a.id], error="Reassign resources")

    def test_archive_completed_over_rpc_through_the_wizard(self):
        wizard_id = self.rpc(self.admin, "res.users.reassign", "create", {
            "user_id": self.associate_a.id, "successor_id": self.associate_a2.id,
            "archive_user": True})
        self.rpc(self.admin, "res.users.reassign", "action_apply", [wizard_id])
        self.env.invalidate_all()
        self.assertFalse(self.associate_a.active)
        self.assertEqual(self.filter.user_id, self.associate_a2)
        self.assertEqual(self.pool_a.fallback_user_id, self.associate_a2)

    # ------------------------------------------------------------------
    # Give back on return
    # ------------------------------------------------------------------
    def test_unarchive_gives_back_what_is_still_held(self):
        self.wizard(archive_user=True, reason="Parental leave").action_apply()
        self.assertFalse(self.associate_a.active)
        # meanwhile the successor changes some of it
        self.assign(self.customer_a2, self.manager_a)
        self.filter.user_id = self.manager_a
        self.lead.action_set_won()
        # unarchived from the form: the give-back is offered
        action = self.web_call(self.admin, "res.users", "action_unarchive",
                               [self.associate_a.id])
        self.assertEqual(action["res_model"], "res.users.give.back")
        self.env.invalidate_all()
        self.assertTrue(self.associate_a.active)
        wizard = self.env["res.users.give.back"].with_user(self.admin).with_context(
            **action["context"]).create({})
        self.assertTrue(wizard.held_count)
        self.assertGreaterEqual(wizard.changed_count, 3)
        result = wizard.action_apply()
        self.assertIn("kept", result["params"]["message"])
        a = self.associate_a
        self.assertEqual(self.current(self.customer_a).user_id, a)
        self.assertEqual(self.current(self.shared, role=self.role_cs).user_id, a)
        self.assertEqual(self.current(self.customer_a2).user_id, self.manager_a, "kept")
        self.assertEqual(self.filter.user_id, self.manager_a, "kept")
        self.assertEqual(self.lead.user_id, self.associate_a2, "won meanwhile: kept")
        self.assertEqual(self.lead_a2.user_id, a, "still held by the successor: given back")
        for record, field in ((self.team_led, "user_id"), (self.pool_a, "fallback_user_id"),
                              (self.activity_type, "default_user_id"),
                              (self.template, "user_id"),
                              (self.action_activity, "activity_user_id"),
                              (self.future_meeting, "user_id")):
            self.assertEqual(record[field], a, f"{record._name} given back")
        self.assertEqual(self.action_write.value, str(a.id))
        self.assertEqual(self.pool_a.member_ids.user_id, a)
        handover = self.env["crm.user.handover"].search([("user_id", "=", a.id)])
        self.assertFalse(handover.pending_count)
        self.assertTrue(handover.kept_count)
        self.assertTrue(handover.given_back_count)
        # nothing more to give back: a second unarchive offers nothing
        self.assertFalse(self.env["crm.user.handover"]._crm_rm_pending(a))

    def test_give_back_rights_and_rpc(self):
        self.wizard(archive_user=True).action_apply()
        # over XML-RPC unarchiving just unarchives
        self.rpc(self.admin, "res.users", "write", [self.associate_a.id], {"active": True})
        self.env.invalidate_all()
        self.assertTrue(self.associate_a.active)
        self.assertEqual(self.team_led.user_id, self.associate_a2, "nothing given back yet")
        # an associate cannot give back
        with self.assertRaises(AccessError):
            self.env["res.users.give.back"].with_user(self.associate_a2).create({
                "user_id": self.associate_a.id}).action_apply()
        # a relationship manager can, over XML-RPC too
        wizard_id = self.rpc(self.manager_a, "res.users.give.back", "create",
                             {"user_id": self.associate_a.id})
        self.rpc(self.manager_a, "res.users.give.back", "action_apply", [wizard_id])
        self.env.invalidate_all()
        self.assertEqual(self.team_led.user_id, self.associate_a)
        self.assertEqual(self.current(self.customer_a).user_id, self.associate_a)
