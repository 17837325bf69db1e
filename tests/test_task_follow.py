# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from datetime import timedelta

from odoo import fields
from odoo.tests import Form, tagged

from .common import RelationshipCase

MANUAL = {"crm_rm_activity_manual": True}


class TaskFollowMixin:
    """Fixtures: customer A (with a contact) handled by associate A, open work on it."""

    @classmethod
    def setup_task_follow_data(cls):
        env = cls.env
        cls.env.ref("mail.mail_activity_data_todo")
        cls.call = env.ref("mail.mail_activity_data_call")
        cls.todo = env.ref("mail.mail_activity_data_todo")
        Partner = env["res.partner"].with_context(tracking_disable=True)
        cls.contact_a = Partner.create({"name": "Contact of A", "parent_id": cls.customer_a.id})
        cls.customer_a.with_company(cls.company_a).write({"user_id": cls.associate_a.id})
        cls.customer_a2.with_company(cls.company_a).write({"user_id": cls.associate_a.id})
        Lead = env["crm.lead"].with_context(tracking_disable=True)
        cls.lead = Lead.create({
            "name": "Lead of A", "partner_id": cls.contact_a.id, "type": "opportunity",
            "user_id": cls.associate_a.id, "team_id": cls.team_a.id, "company_id": cls.company_a.id,
        })
        won_stage = env["crm.stage"].search([("is_won", "=", True)], limit=1)
        cls.won_lead = Lead.create({
            "name": "Won lead of A", "partner_id": cls.customer_a.id, "type": "opportunity",
            "user_id": cls.associate_a.id, "team_id": cls.team_a.id,
            "company_id": cls.company_a.id, "stage_id": won_stage.id,
        })
        cls.lead_a2 = Lead.create({
            "name": "Lead of A2", "partner_id": cls.customer_a2.id, "type": "opportunity",
            "user_id": cls.associate_a.id, "team_id": cls.team_a.id, "company_id": cls.company_a.id,
        })

    def activity(self, record, user, manual=False, summary=None, days=3):
        Activity = self.env["mail.activity"].with_context(mail_activity_quick_update=True)
        if manual:
            Activity = Activity.with_context(**MANUAL)
        return Activity.create({
            "res_model_id": self.env["ir.model"]._get_id(record._name),
            "res_id": record.id,
            "activity_type_id": self.call.id,
            "summary": summary or f"{'manual' if manual else 'auto'} on {record.display_name}",
            "user_id": user.id,
            "date_deadline": fields.Date.today() + timedelta(days=days),
        })

    def open_work(self):
        """Open activities of associate A on customer A's records, plus others'."""
        w = {
            "partner_auto": self.activity(self.customer_a, self.associate_a, summary="partner auto work"),
            "partner_manual": self.activity(self.customer_a, self.associate_a, manual=True, summary="partner manual work"),
            "contact_auto": self.activity(self.contact_a, self.associate_a, summary="contact auto work"),
            "lead_auto": self.activity(self.lead, self.associate_a, summary="lead auto work"),
            "lead_manual": self.activity(self.lead, self.associate_a, manual=True, summary="lead manual work"),
            "won_lead": self.activity(self.won_lead, self.associate_a, summary="won lead work"),
            "third_party": self.activity(self.customer_a, self.manager_a, summary="third party work"),
            "other_customer": self.activity(self.customer_a2, self.associate_a, summary="other customer work"),
        }
        return w

    def set_policy(self, policy, company=None):
        (company or self.company_a).task_follow_policy = policy

    def handover_mails(self, user=None):
        user = user or self.associate_a2
        return self.env["mail.mail"].sudo().search([
            ("recipient_ids", "in", user.partner_id.ids),
            ("subject", "ilike", "handed over to you"),
        ])

    def changer_notifications(self):
        values = self.env.cr.precommit.data.get("bus.bus.values", [])
        return [v for v in values if '"simple_notification"' in v["message"]
                and "handed over" in v["message"]]


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

    def test_context_overrides_company_policy(self):
        self.set_policy("none")
        work = self.open_work()
        self.env["crm.relationship"].with_user(self.manager_a).with_context(
            crm_task_follow_policy="all")._assign(self.customer_a, self.associate_a2)
        self.assertEqual(len(self.moved(work)), 5)

    def test_context_skip(self):
        self.set_policy("all")
        work = self.open_work()
        self.env["crm.relationship"].with_user(self.manager_a).with_context(
            crm_task_follow_skip=True)._assign(self.customer_a, self.associate_a2)
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
            form.user_id = self.associate_a2
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
        self.lead.with_context(crm_task_follow_skip=True).write({"user_id": self.associate_a2.id})
        self.assertFalse(self.moved(work))

    def test_move_open_leads(self):
        self.set_policy("all")
        work = self.open_work()
        leads = self.env["crm.relationship"]._move_open_leads(
            self.customer_a, self.associate_a, self.associate_a2, self.company_a)
        self.assertEqual(leads, self.lead)
        self.assertEqual(self.lead.user_id, self.associate_a2)
        self.assertEqual(self.won_lead.user_id, self.associate_a)
        self.assertFalse(self.moved(work), "the caller's relationship change applies the policy")

    # --- notifications -----------------------------------------------------
    def test_mail_content_and_no_per_activity_notification(self):
        self.set_policy("all")
        work = self.open_work()
        messages_before = self.env["mail.message"].search_count([])
        self.customer_a.with_user(self.manager_a).write({"user_id": self.associate_a2.id})
        mails = self.handover_mails()
        self.assertEqual(len(mails), 1)
        body = mails.body_html
        for key in ("partner_auto", "partner_manual", "contact_auto", "lead_auto", "lead_manual"):
            self.assertIn(work[key].summary, body)
        for key in ("won_lead", "third_party", "other_customer"):
            self.assertNotIn(work[key].summary, body)
        self.assertIn("Call", body)
        self.assertIn(f"/mail/view?model=crm.lead&amp;res_id={self.lead.id}", body)
        self.assertIn("Customer A", mails.subject)
        self.assertEqual(mails.recipient_ids, self.associate_a2.partner_id)
        # no Odoo "assigned to you" notification per activity
        assigned = self.env["mail.message"].search([
            ("id", ">", 0), ("subject", "ilike", "assigned to you")]).filtered(
            lambda m: self.associate_a2.partner_id in m.partner_ids)
        self.assertFalse(assigned)
        self.assertLessEqual(self.env["mail.message"].search_count([]) - messages_before, 2)
        notes = self.changer_notifications()
        self.assertEqual(len(notes), 1)
        self.assertIn("5 open activities", notes[0]["message"])
