# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from datetime import timedelta

from odoo import fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, RecordCapturer, tagged
from odoo.tools import format_date

from ..context_keys import SERVER, ServerFlag
from .common import RelationshipCase, RelationshipHttpCase, TaskFollowMixin


@tagged("post_install", "-at_install")
class TestTaskFollowPolicy(TaskFollowMixin, RelationshipCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.setup_task_follow_data()

    def moved(self, work):
        return {k for k, act in work.items() if act.user_id == self.associate_a2}

    # --- policy x relationship triggers --------------------------------
    def test_policy_none_moves_nothing(self):
        self.set_policy("none")
        work = self.open_work()
        self.customer_a.with_user(self.manager_a).write({"user_id": self.associate_a2.id})
        self.assertEqual(self.current(self.customer_a).user_id, self.associate_a2)
        self.assertFalse(self.moved(work))
        self.assertFalse(self.handover_mails())
        self.assertFalse(self.changer_notifications())

    def test_policy_automated_partner_form(self):
        self.set_policy("automated")
        work = self.open_work()
        with Form(self.customer_a.with_user(self.manager_a)) as form:
            form.user_id = self.associate_a2
        self.assertEqual(self.moved(work), {"partner_auto", "contact_auto", "lead_auto"})
        self.assertEqual(work["third_party"].user_id, self.manager_a, "third party stays")
        self.assertEqual(work["partner_manual"].user_id, self.associate_a)

    def test_policy_all_update_relationship_wizard(self):
        self.set_policy("all")
        work = self.open_work()
        wizard = self.env["crm.relationship.update"].with_user(self.manager_a).create({
            "partner_ids": [(6, 0, self.customer_a.ids)], "user_id": self.associate_a2.id,
        })
        wizard.action_apply()
        self.assertEqual(self.moved(work), {"partner_auto", "partner_manual", "contact_auto",
                                            "lead_auto", "lead_manual"})
        self.assertEqual(work["won_lead"].user_id, self.associate_a, "won leads are not open")
        self.assertEqual(work["other_customer"].user_id, self.associate_a)
        self.assertEqual(work["third_party"].user_id, self.manager_a)
        self.assertIn(self.associate_a2.partner_id, self.lead.message_partner_ids,
                      "the new owner follows the records of the moved activities")
        follower = self.lead.message_follower_ids.filtered(
            lambda f: f.partner_id == self.associate_a2.partner_id)
        self.assertTrue(follower.subtype_ids, "with the default subtypes")

    def test_nothing_to_move_no_mail(self):
        self.set_policy("all")
        self.customer_a.with_user(self.manager_a).write({"user_id": self.associate_a2.id})
        self.assertFalse(self.handover_mails())
        self.assertFalse(self.changer_notifications())

    def test_mail_lists_only_still_open_work(self):
        """The e-mail is written after the commit: work done meanwhile is not listed."""
        self.set_policy("all")
        work = self.open_work()
        self.customer_a.with_user(self.manager_a).write({"user_id": self.associate_a2.id})
        work["partner_auto"].action_feedback("done already")
        body = self.handover_mails().body_html
        self.assertNotIn("partner auto work", body)
        self.assertIn("partner manual work", body)

    def test_context_overrides_company_policy(self):
        self.set_policy("none")
        work = self.open_work()
        self.env["crm.relationship"].with_user(self.manager_a).with_context(
            crm_task_follow_policy=ServerFlag("all"))._assign(self.customer_a, self.associate_a2)
        self.assertEqual(len(self.moved(work)), 5)

    def test_context_skip(self):
        self.set_policy("all")
        work = self.open_work()
        self.env["crm.relationship"].with_user(self.manager_a).with_context(
            crm_task_follow_skip=SERVER)._assign(self.customer_a, self.associate_a2)
        self.assertFalse(self.moved(work))
        self.assertFalse(self.handover_mails())

    def test_secondary_role_moves_nothing(self):
        self.set_policy("all")
        self.assign(self.customer_a, self.associate_a, role=self.role_cs)
        work = self.open_work()
        self.assign(self.customer_a, self.associate_a2, role=self.role_cs)
        self.assertFalse(self.moved(work))

    def test_relationship_rpc_style_write(self):
        """A write of the relationship's rep (what XML-RPC calls) applies the policy."""
        self.set_policy("automated")
        work = self.open_work()
        self.current(self.customer_a).with_user(self.manager_a).write(
            {"user_id": self.associate_a2.id})
        self.assertEqual(self.moved(work), {"partner_auto", "contact_auto", "lead_auto"})

    def test_list_multi_edit_partners(self):
        self.set_policy("all")
        work = self.open_work()
        (self.customer_a | self.customer_a2).with_user(self.manager_a).write(
            {"user_id": self.associate_a2.id})
        self.assertEqual(len(self.moved(work)), 6)
        mails = self.handover_mails()
        self.assertEqual(len(mails), 2, "one e-mail per account")
        self.assertEqual(set(mails.mapped("res_id")), {self.customer_a.id, self.customer_a2.id})
        self.assertEqual(len(self.changer_notifications()), 1)

    # --- meetings --------------------------------------------------------
    def test_future_meetings_move_under_all_only(self):
        Event = self.env["calendar.event"].with_context(no_mail_to_attendees=True)
        now = fields.Datetime.now()
        future = Event.create({
            "name": "Future with contact", "user_id": self.associate_a.id,
            "start": now + timedelta(days=2), "stop": now + timedelta(days=2, hours=1),
            "partner_ids": [(6, 0, (self.contact_a | self.associate_a.partner_id).ids)],
        })
        past = Event.create({
            "name": "Past with contact", "user_id": self.associate_a.id,
            "start": now - timedelta(days=2), "stop": now - timedelta(days=2, hours=-1),
            "partner_ids": [(6, 0, self.contact_a.ids)],
        })
        other = Event.create({
            "name": "Future with other", "user_id": self.associate_a.id,
            "start": now + timedelta(days=2), "stop": now + timedelta(days=2, hours=1),
            "partner_ids": [(6, 0, self.customer_a2.ids)],
        })
        self.set_policy("automated")
        self.customer_a.write({"user_id": self.associate_a2.id})
        self.assertEqual(future.user_id, self.associate_a)
        self.set_policy("all")
        self.customer_a.write({"user_id": self.associate_a.id})
        self.customer_a.write({"user_id": self.associate_a2.id})
        self.assertEqual(future.user_id, self.associate_a2)
        self.assertIn(self.associate_a2.partner_id, future.partner_ids)
        self.assertNotIn(self.associate_a.partner_id, future.partner_ids)
        self.assertEqual(past.user_id, self.associate_a)
        self.assertEqual(other.user_id, self.associate_a)

    # --- lead Salesperson write path --------------------------------------
    def test_lead_form_write_moves_lead_activities_once(self):
        self.set_policy("all")
        work = self.open_work()
        with Form(self.lead.with_user(self.manager_a)) as form:
            form.user_id = self.associate_a2  # the form's Colleague
        self.assertEqual(self.moved(work), {"lead_auto", "lead_manual"})
        self.assertEqual(len(self.handover_mails()), 1)
        self.assertEqual(self.current(self.customer_a).user_id, self.associate_a,
                         "the lead's Salesperson is not the account's")

    def test_lead_update_assignment(self):
        self.set_policy("automated")
        work = self.open_work()
        wizard = self.env["crm.lead.update.assignment"].with_user(self.manager_a).create({
            "lead_ids": [(6, 0, self.lead.ids)], "user_id": self.associate_a2.id,
        })
        wizard.action_apply()
        self.assertEqual(self.moved(work), {"lead_auto"})

    def test_lead_multi_edit(self):
        self.set_policy("all")
        work = self.open_work()
        (self.lead | self.lead_a2).with_user(self.manager_a).write(
            {"user_id": self.associate_a2.id})
        self.assertEqual(self.moved(work), {"lead_auto", "lead_manual"})
        self.assertEqual(len(self.handover_mails()), 1)

    def test_lead_write_skip(self):
        self.set_policy("all")
        work = self.open_work()
        self.lead.with_context(crm_task_follow_skip=SERVER).write({"user_id": self.associate_a2.id})
        self.assertFalse(self.moved(work))

    def test_lead_move_leaves_the_policy_to_the_caller(self):
        self.set_policy("all")
        work = self.open_work()
        Lead = self.env["crm.lead"]
        leads = Lead.search(Lead._crm_rm_open_leads_domain(
            self.customer_a, self.associate_a, self.company_a,
        ))._crm_rm_move_owner(self.associate_a2, self.company_a)
        self.assertEqual(leads, self.lead)
        self.assertEqual(self.lead.user_id, self.associate_a2)
        self.assertEqual(self.won_lead.user_id, self.associate_a)
        self.assertFalse(self.moved(work), "the caller's relationship change applies the policy")

    # --- notifications -----------------------------------------------------
    def test_mail_content_and_no_per_activity_notification(self):
        self.set_policy("all")
        work = self.open_work()
        messages_before = self.env["mail.message"].search_count([])
        cron = self.env.ref("crm_relationship_manager.ir_cron_task_follow_handover_mails")
        with RecordCapturer(self.env["ir.cron.trigger"].sudo(),
                            [("cron_id", "=", cron.id)]) as triggers:
            self.customer_a.with_user(self.manager_a).write({"user_id": self.associate_a2.id})
        self.assertEqual(len(triggers.records), 1, "the e-mails are written right after")
        queued = self.env["crm.task.follow.handover"].search([])
        self.assertEqual(len(queued), 1)
        self.assertEqual(len(queued.activity_data), 5)
        mails = self.handover_mails()
        self.assertEqual(len(mails), 1)
        body = mails.body_html
        for key in ("partner_auto", "partner_manual", "contact_auto", "lead_auto", "lead_manual"):
            self.assertIn(work[key].summary, body)
        for key in ("won_lead", "third_party", "other_customer"):
            self.assertNotIn(work[key].summary, body)
        self.assertIn("Call", body)
        self.assertIn(f"/mail/view?model=crm.lead&amp;res_id={self.lead.id}", body)
        self.assertIn(format_date(self.env, work["lead_auto"].date_deadline), body)
        self.assertIn("Customer A", mails.subject)
        self.assertEqual(mails.recipient_ids, self.associate_a2.partner_id)
        # no Odoo "assigned to you" notification per activity
        assigned = self.env["mail.message"].search([
            ("id", ">", 0), ("subject", "ilike", "assigned to you")]).filtered(
            lambda m: self.associate_a2.partner_id in m.partner_ids)
        self.assertFalse(assigned)
        self.assertLessEqual(self.env["mail.message"].search_count([]) - messages_before, 2)
        self.assertFalse(self.env["crm.task.follow.handover"].search([]), "queue emptied")
        notes = self.changer_notifications()
        self.assertEqual(len(notes), 1)
        self.assertIn("5 open activities", notes[0]["message"])

    # --- companies -----------------------------------------------------------
    def test_no_cross_company_detail(self):
        """A customer shared by both companies, handled by the same rep in both:
        a change in company A moves and mentions only company A's work."""
        self.set_policy("all", self.company_a)
        self.set_policy("all", self.company_b)
        rep = self.user_ab
        for company in (self.company_a, self.company_b):
            self.env["crm.relationship"].with_company(company)._assign(
                self.shared, rep, company=company)
        Lead = self.env["crm.lead"].with_context(tracking_disable=True)
        lead_a = Lead.create({"name": "Shared lead A", "partner_id": self.shared.id,
                              "user_id": rep.id, "company_id": self.company_a.id,
                              "team_id": self.team_a.id})
        lead_b = Lead.with_company(self.company_b).create({
            "name": "Secret lead B", "partner_id": self.shared.id, "user_id": rep.id,
            "company_id": self.company_b.id, "team_id": self.team_b.id})
        act_a = self.activity(lead_a, rep, summary="work in A")
        act_b = self.activity(lead_b, rep, summary="secret work in B")
        self.env["crm.relationship"].with_user(self.manager_a)._assign(
            self.shared, self.associate_a2, company=self.company_a)
        self.assertEqual(act_a.user_id, self.associate_a2)
        self.assertEqual(act_b.user_id, rep, "company B's work stays")
        mails = self.handover_mails()
        self.assertEqual(len(mails), 1)
        self.assertIn("work in A", mails.body_html)
        self.assertIn("Company A", mails.body_html)
        for secret in ("secret work in B", "Secret lead B", "Company B"):
            self.assertNotIn(secret, mails.body_html)
            self.assertNotIn(secret, mails.subject)

    def test_invalid_context_policy(self):
        with self.assertRaisesRegex(UserError, "Unknown task-follow policy"), \
                self.env.cr.savepoint():
            self.env["crm.relationship"].with_context(crm_task_follow_policy=ServerFlag("most"))._assign(
                self.customer_a, self.associate_a2)
        self.env.invalidate_all()
        self.assertEqual(self.current(self.customer_a).user_id, self.associate_a,
                         "the request is rolled back: nothing changed")


@tagged("post_install", "-at_install")
class TestTaskFollowMatrix(TaskFollowMixin, RelationshipCase):
    """Every policy x every trigger of this branch: what moves, and the e-mails."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.setup_task_follow_data()

    ACCOUNT = {"none": set(),
               "automated": {"partner_auto", "contact_auto", "lead_auto"},
               "all": {"partner_auto", "partner_manual", "contact_auto", "lead_auto",
                       "lead_manual"}}
    LEAD = {"none": set(), "automated": {"lead_auto"}, "all": {"lead_auto", "lead_manual"}}

    def trigger_update_relationship(self):
        self.env["crm.relationship.update"].with_user(self.manager_a).create({
            "partner_ids": [(6, 0, self.customer_a.ids)], "user_id": self.associate_a2.id,
        }).action_apply()

    def trigger_partner_form(self):
        with Form(self.customer_a.with_user(self.manager_a)) as form:
            form.user_id = self.associate_a2

    def trigger_relationship_write(self):
        self.current(self.customer_a).with_user(self.manager_a).write(
            {"user_id": self.associate_a2.id})

    def trigger_relationship_create(self):
        self.env["crm.relationship"].with_user(self.manager_a).create({
            "partner_id": self.customer_a.id, "user_id": self.associate_a2.id})

    def trigger_partner_multi_edit(self):
        (self.customer_a | self.contact_a).with_user(self.manager_a).write(
            {"user_id": self.associate_a2.id})

    def trigger_associate_hands_over(self):
        self.customer_a.with_user(self.associate_a).write({"user_id": self.associate_a2.id})

    def trigger_partner_import(self):
        result = self.env["res.partner"].with_user(self.manager_a).with_context(
            import_file=True).load([".id", "user_id/.id"],
                                   [[str(self.customer_a.id), str(self.associate_a2.id)]])
        self.assertFalse(result["messages"], result["messages"])

    def trigger_lead_form(self):
        with Form(self.lead.with_user(self.manager_a)) as form:
            form.user_id = self.associate_a2  # the form's Colleague

    def trigger_update_assignment(self):
        self.env["crm.lead.update.assignment"].with_user(self.manager_a).create({
            "lead_ids": [(6, 0, self.lead.ids)], "user_id": self.associate_a2.id,
        }).action_apply()

    def trigger_lead_multi_edit(self):
        (self.lead | self.won_lead).with_user(self.manager_a).write(
            {"user_id": self.associate_a2.id})

    def trigger_mass_batch(self):
        Batch = self.env["crm.relationship.batch"]
        # the cron commits after each chunk; a test transaction cannot
        self.patch(type(Batch), "_batch_commit", lambda batch: None)
        batch = Batch.with_user(self.manager_a).create({"line_ids": [(0, 0, {
            "kind": "audience", "audience_domain": f"[('id', '=', {self.customer_a.id})]",
            "target_ids": [(0, 0, {"user_id": self.associate_a2.id, "share": 0})],
        })]})
        batch.action_start()
        Batch._cron_process_batches()
        self.assertEqual(batch.state, "done")

    def trigger_transfer(self):
        self.env["res.partner.transfer"].with_user(self.manager_a).with_context(
            active_model="res.partner", active_ids=self.customer_a.ids).create({
                "partner_ids": [(6, 0, self.customer_a.ids)],
                "user_id": self.associate_a2.id, "reason": "departure",
            }).action_transfer()

    def trigger_import_transfer(self):
        self.customer_a.external_ref = "TF-MATRIX-1"
        result = self.env["res.partner"].with_user(self.manager_a).import_customers(
            [{"external_ref": "TF-MATRIX-1"}], transfer_mode=True,
            rep_id=self.associate_a2.id)
        self.assertEqual(result["counts"].get("transferred"), 1, result)

    def test_matrix(self):
        # a transfer moves everything, whatever the policy (transfer mode)
        everything = dict.fromkeys(("none", "automated", "all"), self.ACCOUNT["all"])
        triggers = {
            "mass_batch": self.ACCOUNT, "transfer": everything,
            "import_transfer": everything,
            "update_relationship": self.ACCOUNT, "partner_form": self.ACCOUNT,
            "relationship_write": self.ACCOUNT, "relationship_create": self.ACCOUNT,
            "partner_multi_edit": self.ACCOUNT, "associate_hands_over": self.ACCOUNT,
            "partner_import": self.ACCOUNT,
            "lead_form": self.LEAD, "update_assignment": self.LEAD,
            # a lead reassigned explicitly takes its activities even when won
            "lead_multi_edit": {"none": set(), "automated": {"lead_auto", "won_lead"},
                                "all": {"lead_auto", "lead_manual", "won_lead"}},
        }
        for name, expected_by_policy in triggers.items():
            for policy, expected in expected_by_policy.items():
                with self.subTest(trigger=name, policy=policy):
                    savepoint = self.env.cr.savepoint()
                    try:
                        self.set_policy(policy)
                        work = self.open_work()
                        getattr(self, f"trigger_{name}")()
                        moved = {k for k, a in work.items() if a.user_id == self.associate_a2}
                        self.assertEqual(moved, expected)
                        self.assertEqual(work["third_party"].user_id, self.manager_a)
                        self.assertEqual(len(self.handover_mails()), 1 if expected else 0,
                                         "one e-mail per account, none when nothing moved")
                        self.assertEqual(len(self.changer_notifications()),
                                         1 if expected else 0)
                    finally:
                        savepoint.close(rollback=True)
                        self.env.invalidate_all()
                        self.env.cr.precommit.data.get("bus.bus.values", []).clear()


@tagged("post_install", "-at_install")
class TestReassignResources(TaskFollowMixin, RelationshipCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.setup_task_follow_data()
        cls.orphan_lead = cls.env["crm.lead"].create({
            "name": "Lead without customer", "user_id": cls.associate_a.id,
            "team_id": cls.team_a.id, "company_id": cls.company_a.id,
        })

    def wizard(self, successor, as_user=None, **vals):
        return self.env["res.users.reassign"].with_user(as_user or self.manager_a).create(
            dict(user_id=self.associate_a.id, successor_id=successor.id, **vals))

    def test_reassign_moves_everything_with_policy(self):
        for policy, expected in (("none", set()),
                                 ("automated", {"partner_auto", "contact_auto", "lead_auto",
                                                "other_customer", "orphan"}),
                                 ("all", {"partner_auto", "partner_manual", "contact_auto",
                                          "lead_auto", "lead_manual", "other_customer",
                                          "orphan", "orphan_manual"})):
            with self.subTest(policy=policy):
                self.set_policy(policy)
                work = self.open_work()
                work["orphan"] = self.activity(self.orphan_lead, self.associate_a)
                work["orphan_manual"] = self.activity(self.orphan_lead, self.associate_a,
                                                      manual=True)
                self.wizard(self.associate_a2, reason="left").action_apply()
                self.assertEqual(self.current(self.customer_a).user_id, self.associate_a2)
                self.assertEqual(self.current(self.customer_a).source, "mass")
                self.assertEqual(self.current(self.customer_a2).user_id, self.associate_a2)
                self.assertEqual((self.lead | self.lead_a2 | self.orphan_lead).user_id,
                                 self.associate_a2)
                self.assertEqual(self.won_lead.user_id, self.associate_a)
                moved = {k for k, act in work.items() if act.user_id == self.associate_a2}
                self.assertEqual(moved, expected)
                self.assertEqual(work["third_party"].user_id, self.manager_a)
                mails = self.handover_mails()
                if expected:
                    # one per account: customer A, customer A2, the lead without customer
                    self.assertEqual(len(mails), 3)
                else:
                    self.assertFalse(mails)
                # give everything back for the next policy (without moving activities)
                self.env.invalidate_all()
                work_ids = self.env["mail.activity"].browse([a.id for a in work.values()])
                work_ids.unlink()
                mails.unlink()
                self.env["res.users.reassign"].with_context(
                    crm_task_follow_policy=ServerFlag("none")).create({
                        "user_id": self.associate_a2.id,
                        "successor_id": self.associate_a.id}).action_apply()

    def test_bad_successor(self):
        before = self.current(self.customer_a)
        cases = {
            "archived": self.archived,
            "other company": self.associate_b,
            "same user": self.associate_a,
        }
        for name, successor in cases.items():
            with self.subTest(name), self.assertRaises(UserError) as ctx:
                self.wizard(successor).action_apply()
            self.assertIn(successor.name, str(ctx.exception))
        self.assertEqual(self.current(self.customer_a), before, "nothing changed")
        self.assertEqual(self.lead.user_id, self.associate_a)

    def test_reassign_button_for_managers(self):
        view = self.env.ref("base.view_users_form")
        arch = self.env["res.users"].with_user(self.manager_a).get_view(view.id, "form")["arch"]
        self.assertIn('name="action_open_reassign_resources"', arch)
        arch = self.env["res.users"].with_user(self.associate_a).get_view(view.id, "form")["arch"]
        self.assertNotIn('name="action_open_reassign_resources"', arch)
        action = self.associate_a.with_user(self.manager_a).action_open_reassign_resources()
        wizard = Form(self.env["res.users.reassign"].with_user(self.manager_a).with_context(
            **action["context"]))
        self.assertEqual(wizard.user_id, self.associate_a)
        self.assertEqual(wizard.relationship_count, 2)
        self.assertEqual(wizard.lead_count, 3)

    def test_associate_cannot_reassign(self):
        with self.assertRaises(AccessError):
            self.env["res.users.reassign"].with_user(self.associate_a2).create({
                "user_id": self.associate_a.id, "successor_id": self.associate_a2.id,
            }).action_apply()

    def test_archive_with_open_resources_asks_for_successor(self):
        self.set_policy("all")
        work = self.open_work()
        # from server code the refusal is an error (the web client gets the
        # wizard instead: see test_user_usage and the archive tour)
        with self.assertRaisesRegex(UserError, "Reassign resources"):
            self.associate_a.with_user(self.admin).action_archive()
        self.assertTrue(self.associate_a.active, "not archived without a successor")
        action = self.associate_a.with_user(self.admin).action_open_reassign_resources(
            archive=True)
        self.assertEqual(action["res_model"], "res.users.reassign")
        with self.assertRaisesRegex(UserError, "Reassign resources"):
            self.associate_a.with_user(self.admin).write({"active": False})
        with self.assertRaisesRegex(UserError, "Reassign resources"):
            (self.associate_a | self.associate_a2).with_user(self.admin).action_archive()
        self.assertTrue(self.associate_a.active)
        # the wizard opened by Archive: reassign, then archive
        wizard = self.env["res.users.reassign"].with_user(self.admin).with_context(
            **action["context"]).create({"successor_id": self.associate_a2.id})
        wizard.action_apply()
        self.assertFalse(self.associate_a.active)
        self.assertEqual(self.current(self.customer_a).user_id, self.associate_a2)
        for act in work.values():
            self.assertTrue(act.exists(), "no activity is deleted")
        self.assertEqual(work["won_lead"].user_id, self.associate_a,
                         "activities outside the policy stay with the archived user")

    def test_archive_without_resources_keeps_activities(self):
        """Odoo's mail module deletes a user's activities on archiving; not any more."""
        user = self.associate_a2
        act = self.activity(self.customer_a2, user)
        user.with_user(self.admin).action_archive()
        self.assertFalse(user.active)
        self.assertTrue(act.exists())
        self.assertEqual(act.user_id, user)


@tagged("post_install", "-at_install")
class TestManualVersusAutomated(TaskFollowMixin, RelationshipCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.setup_task_follow_data()

    def new_activities(self, before):
        return self.env["mail.activity"].search([("id", ">", before)])

    def last_id(self):
        return self.env["mail.activity"].search([], order="id desc", limit=1).id or 0

    def test_schedule_dialog_is_manual(self):
        before = self.last_id()
        lead = self.lead.with_user(self.associate_a)
        wizard = Form(self.env["mail.activity.schedule"].with_user(self.associate_a).with_context(
            active_model="crm.lead", active_id=lead.id, active_ids=lead.ids))
        wizard.activity_type_id = self.call
        wizard.summary = "by hand"
        wizard.save().action_schedule_activities()
        act = self.new_activities(before)
        self.assertEqual(len(act), 1)
        self.assertFalse(act.automated)

    def test_activity_form_is_manual(self):
        before = self.last_id()
        self.env["mail.activity"].with_user(self.associate_a).web_save({
            "res_model_id": self.env["ir.model"]._get_id("crm.lead"), "res_id": self.lead.id,
            "activity_type_id": self.call.id, "summary": "form", "user_id": self.associate_a.id,
        }, {})
        act = self.new_activities(before)
        self.assertEqual(len(act), 1)
        self.assertFalse(act.automated)

    def test_calendar_meeting_from_ui_is_manual(self):
        before = self.last_id()
        now = fields.Datetime.now()
        self.env["calendar.event"].with_user(self.associate_a).with_context(
            default_res_model="crm.lead", default_res_id=self.lead.id,
            default_res_model_id=self.env["ir.model"]._get_id("crm.lead"),
            no_mail_to_attendees=True,
        ).web_save({"name": "Meet", "start": now + timedelta(days=1),
                    "stop": now + timedelta(days=1, hours=1)}, {})
        act = self.new_activities(before)
        self.assertEqual(len(act), 1)
        self.assertFalse(act.automated)

    def test_activity_schedule_from_code_is_automated(self):
        act = self.lead.activity_schedule("mail.mail_activity_data_call",
                                          user_id=self.associate_a.id)
        self.assertTrue(act.automated)

    def test_activity_plan_from_dialog_is_manual(self):
        """A plan launched by a user from the Schedule Activity dialog gives
        activities scheduled by hand, as in Odoo: policy 'automated' leaves them
        with their assignee."""
        plan = self.env["mail.activity.plan"].create({
            "name": "Onboarding", "res_model": "crm.lead",
            "template_ids": [(0, 0, {"activity_type_id": self.call.id, "summary": "plan step",
                                     "responsible_type": "other",
                                     "responsible_id": self.associate_a.id})],
        })
        before = self.last_id()
        lead = self.lead.with_user(self.associate_a)
        wizard = Form(self.env["mail.activity.schedule"].with_user(self.associate_a).with_context(
            active_model="crm.lead", active_id=lead.id, active_ids=lead.ids))
        wizard.plan_id = plan
        wizard.save().action_schedule_plan()
        act = self.new_activities(before)
        self.assertEqual(len(act), 1)
        self.assertEqual(act.summary, "plan step")
        self.assertFalse(act.automated)
        self.set_policy("automated")
        self.lead.with_user(self.manager_a).write({"user_id": self.associate_a2.id})
        self.assertEqual(act.user_id, self.associate_a, "a manual activity stays")

    def test_activity_plan_from_code_is_automated(self):
        """Code scheduling the plan's activities itself (automation) stays automated."""
        plan = self.env["mail.activity.plan"].create({
            "name": "Onboarding", "res_model": "crm.lead",
            "template_ids": [(0, 0, {"activity_type_id": self.call.id, "summary": "plan step",
                                     "responsible_type": "other",
                                     "responsible_id": self.associate_a.id})],
        })
        for template in plan.template_ids:
            act = self.lead.activity_schedule(activity_type_id=template.activity_type_id.id,
                                              summary=template.summary,
                                              user_id=template.responsible_id.id)
            self.assertTrue(act.automated)

    def test_server_action_is_automated(self):
        action = self.env["ir.actions.server"].create({
            "name": "Next activity", "model_id": self.env["ir.model"]._get_id("crm.lead"),
            "state": "next_activity", "activity_type_id": self.call.id,
            "activity_summary": "server action", "activity_user_type": "specific",
            "activity_user_id": self.associate_a.id,
        })
        before = self.last_id()
        action.with_context(active_model="crm.lead", active_id=self.lead.id).run()
        act = self.new_activities(before)
        self.assertEqual(len(act), 1)
        self.assertTrue(act.automated)

    def test_plain_create_and_import_are_automated(self):
        act = self.env["mail.activity"].create({
            "res_model_id": self.env["ir.model"]._get_id("crm.lead"), "res_id": self.lead.id,
            "activity_type_id": self.call.id, "automated": False,
        })
        self.assertTrue(act.automated, "code/RPC create counts as automated")
        before = self.last_id()
        result = self.env["mail.activity"].with_context(import_file=True).load(
            ["res_model_id/id", "res_id", "activity_type_id/id", "summary", "user_id/id"],
            [["crm.model_crm_lead", str(self.lead.id), "mail.mail_activity_data_call",
              "imported", "base.user_admin"]])
        self.assertFalse(result["messages"], result["messages"])
        act = self.new_activities(before)
        self.assertEqual(len(act), 1)
        self.assertTrue(act.automated)

    def test_automated_flag_in_views(self):
        arch = self.env["mail.activity"].with_user(self.manager_a).get_view(
            self.env.ref("mail.mail_activity_view_tree").id, "list")["arch"]
        self.assertIn('name="automated"', arch)
        arch = self.env["mail.activity"].with_user(self.associate_a).get_view(
            self.env.ref("mail.mail_activity_view_tree").id, "list")["arch"]
        self.assertNotIn('name="automated"', arch, "managers only")
        search = self.env["mail.activity"].with_user(self.manager_a).get_view(
            self.env.ref("mail.mail_activity_view_search").id, "search")["arch"]
        self.assertIn('name="filter_automated"', search)


@tagged("post_install", "-at_install")
class TestTaskFollowRpc(TaskFollowMixin, RelationshipHttpCase):
    """The same triggers over a real XML-RPC server, as the user."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.setup_task_follow_data()

    def moved(self, work):
        self.env.invalidate_all()
        return {k for k, act in work.items() if act.user_id == self.associate_a2}

    def test_partner_write_over_rpc(self):
        for policy, expected in (("none", set()),
                                 ("automated", {"partner_auto", "contact_auto", "lead_auto"}),
                                 ("all", {"partner_auto", "partner_manual", "contact_auto",
                                          "lead_auto", "lead_manual"})):
            with self.subTest(policy=policy):
                self.set_policy(policy)
                work = self.open_work()
                self.rpc(self.manager_a, "res.partner", "write", [self.customer_a.id],
                         {"user_id": self.associate_a2.id})
                self.assertEqual(self.moved(work), expected)
                self.assertEqual(len(self.handover_mails()), 1 if expected else 0)
                # back to the start, without moving anything
                self.env["mail.activity"].browse([a.id for a in work.values()]).unlink()
                self.handover_mails().unlink()
                self.env["crm.relationship"].with_context(crm_task_follow_skip=SERVER)._assign(
                    self.customer_a, self.associate_a)

    def test_relationship_write_over_rpc(self):
        self.set_policy("automated")
        work = self.open_work()
        self.rpc(self.manager_a, "crm.relationship", "write", [self.current(self.customer_a).id],
                 {"user_id": self.associate_a2.id})
        self.assertEqual(self.moved(work), {"partner_auto", "contact_auto", "lead_auto"})

    def test_lead_write_over_rpc(self):
        self.set_policy("all")
        work = self.open_work()
        self.rpc(self.manager_a, "crm.lead", "write", [self.lead.id, self.lead_a2.id],
                 {"user_id": self.associate_a2.id})
        self.assertEqual(self.moved(work), {"lead_auto", "lead_manual"})
        self.assertEqual(len(self.handover_mails()), 1)

    def test_activity_created_over_rpc_is_automated(self):
        act_id = self.rpc(self.associate_a, "mail.activity", "create", {
            "res_model_id": self.env["ir.model"]._get_id("crm.lead"), "res_id": self.lead.id,
            "activity_type_id": self.call.id, "summary": "from an integration",
            "user_id": self.associate_a.id,
        })
        self.assertTrue(self.env["mail.activity"].browse(act_id).automated)

    def test_client_context_cannot_steer_the_policy(self):
        """The policy override and skip keys are server-side: a client's context
        (plain JSON values) leaves the company's policy in charge."""
        self.set_policy("none")
        work = self.open_work()
        self.rpc(self.manager_a, "crm.relationship", "write", [self.current(self.customer_a).id],
                 {"user_id": self.associate_a2.id}, context={"crm_task_follow_policy": "all"})
        self.assertEqual(self.current(self.customer_a).user_id, self.associate_a2)
        self.assertFalse(self.moved(work), "policy 'none': nothing moves")

    def test_client_context_cannot_skip_the_policy(self):
        self.set_policy("automated")
        work = self.open_work()
        self.rpc(self.manager_a, "crm.relationship", "write", [self.current(self.customer_a).id],
                 {"user_id": self.associate_a2.id}, context={"crm_task_follow_skip": True})
        self.assertEqual(self.moved(work), {"partner_auto", "contact_auto", "lead_auto"})

    def test_client_context_cannot_make_an_activity_manual(self):
        act_id = self.rpc(self.associate_a, "mail.activity", "create", {
            "res_model_id": self.env["ir.model"]._get_id("crm.lead"), "res_id": self.lead.id,
            "activity_type_id": self.call.id, "summary": "claims to be manual",
            "user_id": self.associate_a.id,
        }, context={"crm_rm_activity_manual": True})
        self.assertTrue(self.env["mail.activity"].browse(act_id).automated)

    def test_archive_over_rpc_needs_successor(self):
        work = self.open_work()
        self.assertRpcFault("UserError", self.admin, "res.users", "write",
                            [self.associate_a.id], {"active": False},
                            message="Reassign resources")
        self.assertTrue(self.associate_a.active)
        wizard_id = self.rpc(self.admin, "res.users.reassign", "create",
                             {"user_id": self.associate_a.id,
                              "successor_id": self.associate_b.id})
        self.assertRpcFault("UserError", self.admin, "res.users.reassign", "action_apply",
                            [wizard_id], message="does not work in company")
        # a relationship manager who may not edit users cannot archive one: refused
        # before anything is handed over
        wizard_id = self.rpc(self.manager_a, "res.users.reassign", "create",
                             {"user_id": self.associate_a.id, "archive_user": True,
                              "successor_id": self.associate_a2.id})
        self.assertRpcFault("AccessError", self.manager_a, "res.users.reassign", "action_apply",
                            [wizard_id], message="Only user administrators can archive")
        self.env.invalidate_all()
        self.assertTrue(self.associate_a.active)
        self.assertEqual(self.current(self.customer_a).user_id, self.associate_a)
        wizard_id = self.rpc(self.admin, "res.users.reassign", "create",
                             {"user_id": self.associate_a.id, "archive_user": True,
                              "successor_id": self.associate_a2.id})
        self.rpc(self.admin, "res.users.reassign", "action_apply", [wizard_id])
        self.env.invalidate_all()
        self.assertFalse(self.associate_a.active)
        self.assertEqual(self.current(self.customer_a).user_id, self.associate_a2)
        for act in work.values():
            self.assertTrue(act.exists())
