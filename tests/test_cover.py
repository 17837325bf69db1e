# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Temporary covers: the cover takes the new leads and the open activities of a
rep who is away, and gives back what is still open on their return."""
from datetime import datetime, time, timedelta

from freezegun import freeze_time

from odoo import fields
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import new_test_user, tagged
from odoo.tools import format_date

from ..context_keys import SERVER, UI_CREATE
from .common import RelationshipCase, RelationshipHttpCase, RotationMixin, TaskFollowMixin


class CoverMixin:
    def today(self):
        return fields.Date.context_today(self.env["crm.rep.cover"])

    def new_cover(self, as_user=None, user=None, cover=None, days=(0, 5), **vals):
        Cover = self.env["crm.rep.cover"]
        if as_user:
            Cover = Cover.with_user(as_user)
        values = {
            "user_id": (user or self.associate_a).id,
            "company_id": self.company_a.id,
            "date_from": self.today() + timedelta(days=days[0]),
            "date_to": self.today() + timedelta(days=days[1]),
            **({"cover_user_id": (cover or self.associate_a2).id}
               if "cover_pool_id" not in vals else {}),
            **vals,
        }
        return Cover.create(values)

    def summary_mails(self, user, moment="Temporary cover:"):
        return self.env["mail.mail"].sudo().search([
            ("recipient_ids", "in", user.partner_id.ids), ("subject", "ilike", moment)])


@tagged("post_install", "-at_install")
class TestCover(CoverMixin, TaskFollowMixin, RelationshipCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.setup_task_follow_data()

    # ------------------------------------------------------------------
    # Start
    # ------------------------------------------------------------------
    def test_start_hands_over_open_activities_due_in_window(self):
        work = self.open_work()
        later = self.activity(self.customer_a, self.associate_a, summary="after", days=30)
        cover = self.new_cover(as_user=self.associate_a)
        self.assertEqual(cover.state, "draft")
        self.assertEqual(cover.name, "Rm Assoc A covered by Rm Assoc A2")
        cover.with_user(self.associate_a).action_confirm()
        self.assertEqual(cover.state, "active", "starts at once: its first day is today")
        moved = {key for key, act in work.items() if act.user_id == self.associate_a2}
        self.assertEqual(moved, {"partner_auto", "partner_manual", "contact_auto", "lead_auto",
                                 "lead_manual", "other_customer"})
        self.assertEqual(work["won_lead"].user_id, self.associate_a, "won leads are not open")
        self.assertEqual(work["third_party"].user_id, self.manager_a)
        self.assertEqual(later.user_id, self.associate_a, "due after the cover: stays")
        self.assertEqual(work["lead_auto"].crm_rm_covering_for_id, self.associate_a,
                         "marked: covering for the rep")
        self.assertEqual(cover.activity_count, 6)
        self.assertEqual(set(cover.item_ids.mapped("state")), {"given"})
        self.assertEqual(cover.customer_count, 2)
        # one handover e-mail per customer, one summary to each of them
        handover = self.handover_mails()
        self.assertEqual(len(handover), 2, "customer A and customer A2")
        self.assertIn("You cover for Rm Assoc A, who is away", handover[0].body_html)
        self.assertEqual(len(self.summary_mails(self.associate_a)), 1)
        self.assertEqual(len(self.summary_mails(self.associate_a2)), 1)
        self.assertIn("covers for you", self.summary_mails(self.associate_a).body_html)
        # relationships do not change, but say who covers
        rel = self.current(self.customer_a)
        self.assertEqual(rel.user_id, self.associate_a)
        self.assertEqual(rel.cover_note, "Covered by Rm Assoc A2 until %s"
                         % format_date(self.env, cover.date_to))
        self.assertIn("Rm Assoc A2", self.customer_a.with_company(self.company_a).crm_rm_cover_note)
        self.assertFalse(self.customer_a.with_company(self.company_b).crm_rm_cover_note,
                         "computed per company: company B's rep of the customer is not covered")
        self.assertEqual(self.associate_a.with_company(self.company_a).crm_rm_cover_id, cover)

    def test_future_cover_is_planned_and_started_by_the_scheduled_action(self):
        work = self.open_work()
        cover = self.new_cover(days=(2, 4))
        cover.action_confirm()
        self.assertEqual(cover.state, "planned")
        triggers = self.env["ir.cron.trigger"].sudo().search(
            [("cron_id", "=", self.env.ref("crm_relationship_manager.ir_cron_rep_cover").id)])
        start = datetime.combine(cover.date_from, time.min)
        end = datetime.combine(cover.date_to + timedelta(days=1), time.min)
        self.assertIn(start, triggers.mapped("call_at"))
        self.assertIn(end, triggers.mapped("call_at"))
        self.assertEqual(work["lead_auto"].user_id, self.associate_a, "not yet")
        with freeze_time(cover.date_from):
            self.env["crm.rep.cover"]._cron_run_covers()
        self.assertEqual(cover.state, "active")
        self.assertEqual(work["lead_auto"].user_id, self.associate_a2)
        with freeze_time(cover.date_to):
            self.env["crm.rep.cover"]._cron_run_covers()
        self.assertEqual(cover.state, "active", "the last day is covered too")
        with freeze_time(cover.date_to + timedelta(days=1)):
            self.env["crm.rep.cover"]._cron_run_covers()
        self.assertEqual(cover.state, "ended")
        self.assertEqual(work["lead_auto"].user_id, self.associate_a, "given back")
        self.assertFalse(work["lead_auto"].crm_rm_covering_for_id)

    # ------------------------------------------------------------------
    # New leads during the cover
    # ------------------------------------------------------------------
    def test_lead_created_for_covered_rep_goes_to_cover(self):
        cover = self.new_cover()
        cover.action_confirm()
        Lead = self.env["crm.lead"].with_user(self.manager_a)
        lead = Lead.create({"name": "New deal", "partner_id": self.customer_a.id,
                            "user_id": self.associate_a.id, "team_id": self.team_a.id})
        self.assertEqual(lead.user_id, self.associate_a2)
        self.assertTrue(any("covering for Rm Assoc A" in body
                            for body in lead.message_ids.mapped("body")))
        item = cover.item_ids.filtered(lambda i: i.kind == "lead")
        self.assertEqual((item.res_id, item.from_user_id, item.to_user_id),
                         (lead.id, self.associate_a, self.associate_a2))
        # by default Salesperson too
        lead2 = Lead.with_context(default_user_id=self.associate_a.id).create(
            {"name": "Other deal", "team_id": self.team_a.id})
        self.assertEqual(lead2.user_id, self.associate_a2)
        # the colleague is the Salesperson too
        lead3 = Lead.create({"name": "Third deal", "colleague_id": self.associate_a.id,
                             "team_id": self.team_a.id})
        self.assertEqual(lead3.user_id, self.associate_a2)
        self.assertEqual(len(cover.item_ids), 3)
        # the relationship does not change
        self.assertEqual(self.current(self.customer_a).user_id, self.associate_a)

    def test_cover_not_yet_started_does_not_redirect(self):
        self.new_cover(days=(1, 3)).action_confirm()
        lead = self.env["crm.lead"].create({"name": "Deal", "user_id": self.associate_a.id,
                                            "team_id": self.team_a.id})
        self.assertEqual(lead.user_id, self.associate_a)

    # ------------------------------------------------------------------
    # End
    # ------------------------------------------------------------------
    def test_end_by_hand_returns_what_is_still_with_the_cover(self):
        work = self.open_work()
        cover = self.new_cover(as_user=self.associate_a)
        cover.with_user(self.associate_a).action_confirm()
        Lead = self.env["crm.lead"].with_user(self.manager_a)
        kept_lead = Lead.create({"name": "Moved on", "partner_id": self.customer_a.id,
                                 "user_id": self.associate_a.id, "team_id": self.team_a.id})
        back_lead = Lead.create({"name": "Comes back", "partner_id": self.customer_a.id,
                                 "user_id": self.associate_a.id, "team_id": self.team_a.id})
        # meanwhile: one activity done, one moved on by a manager, a lead moved on
        work["partner_auto"].with_user(self.associate_a2).action_feedback(feedback="done")
        work["contact_auto"].with_user(self.manager_a).write({"user_id": self.manager_a.id})
        kept_lead.with_user(self.manager_a).write({"user_id": self.manager_a.id})
        cover.with_user(self.associate_a).action_end_now()
        self.assertEqual(cover.state, "ended")
        self.assertEqual(cover.ended_by_id, self.associate_a)
        for key in ("partner_manual", "lead_auto", "lead_manual", "other_customer"):
            self.assertEqual(work[key].user_id, self.associate_a, key)
            self.assertFalse(work[key].crm_rm_covering_for_id)
        self.assertEqual(work["contact_auto"].user_id, self.manager_a, "moved on: kept")
        self.assertEqual(back_lead.user_id, self.associate_a)
        self.assertEqual(kept_lead.user_id, self.manager_a)
        state = {(item.kind, item.name): item.state for item in cover.item_ids}
        self.assertEqual(state[("activity", "partner auto work")], "done")
        self.assertEqual(state[("activity", "contact auto work")], "moved")
        self.assertEqual(state[("activity", "lead auto work")], "returned")
        self.assertEqual(state[("lead", "Moved on")], "moved")
        self.assertEqual(state[("lead", "Comes back")], "returned")
        self.assertEqual((cover.returned_count, cover.done_count, cover.moved_count), (5, 1, 2))
        end_mails = self.summary_mails(self.associate_a, "Temporary cover ended")
        self.assertEqual(len(end_mails), 1)
        self.assertEqual(len(self.summary_mails(self.associate_a2, "Temporary cover ended")), 1)
        self.assertIn("Welcome back", end_mails.body_html)
        # after the cover, new leads go to the rep again
        lead = Lead.create({"name": "After", "user_id": self.associate_a.id,
                            "team_id": self.team_a.id})
        self.assertEqual(lead.user_id, self.associate_a)
        self.assertFalse(self.current(self.customer_a).cover_note)

    # ------------------------------------------------------------------
    # Refusals
    # ------------------------------------------------------------------
    def assertRefused(self, message, exception=ValidationError, **kw):
        count = self.env["crm.rep.cover"].search_count([])
        with self.assertRaises(exception) as ctx:
            cover = self.new_cover(**kw)
            cover.action_confirm()
        self.assertIn(message, str(ctx.exception))
        self.assertEqual(self.env["crm.rep.cover"].search_count([]), count, "nothing written")

    def test_refused_archived_user(self):
        self.assertRefused("Rm Archived is archived and cannot be covered in Company A",
                           user=self.archived)

    def test_refused_cover_outside_the_company(self):
        self.assertRefused("Rm Assoc B does not work in company Company A and cannot be the "
                           "cover of Rm Assoc A", cover=self.associate_b)

    def test_refused_archived_cover(self):
        self.assertRefused("Rm Archived is archived and cannot be the cover of Rm Assoc A",
                           cover=self.archived)

    def test_refused_cover_away(self):
        self.associate_a2.away_until = self.today() + timedelta(days=1)
        self.assertRefused("Rm Assoc A2 is away until", days=(1, 3))
        self.new_cover(days=(2, 3))

    def test_refused_dates_and_choice(self):
        self.assertRefused("ends on", days=(3, 1))
        self.assertRefused("either a user or a rotation pool", cover_pool_id=False)
        self.assertRefused("cannot cover for themselves", cover=self.associate_a)

    def test_refused_overlap(self):
        self.new_cover(days=(0, 5)).action_confirm()
        self.assertRefused("Rm Assoc A already has a cover in Company A", days=(5, 8),
                           cover=self.manager_a)
        # after the first one, fine
        self.new_cover(days=(6, 8), cover=self.manager_a)
        # two overlapping covers written at once
        values = {"user_id": self.associate_a2.id, "company_id": self.company_a.id,
                  "cover_user_id": self.manager_a.id, "date_from": self.today(),
                  "date_to": self.today() + timedelta(days=2)}
        with self.assertRaises(ValidationError):
            self.env["crm.rep.cover"].create([values, dict(values, cover_user_id=self.team_leader.id)])

    def test_refused_chains(self):
        self.new_cover(days=(0, 5)).action_confirm()
        self.assertRefused("Rm Assoc A2 and Rm Assoc A cannot cover for each other",
                           user=self.associate_a2, cover=self.associate_a, days=(3, 8))
        self.assertRefused("Rm Assoc A2 covers for Rm Assoc A", user=self.associate_a2,
                           cover=self.manager_a, days=(3, 8))
        self.assertRefused("Rm Assoc A is away from", user=self.manager_a,
                           cover=self.associate_a, days=(1, 2))
        # not overlapping: fine
        self.new_cover(user=self.associate_a2, cover=self.associate_a, days=(6, 8))

    def test_started_cover_cannot_be_edited_deleted_or_cancelled(self):
        cover = self.new_cover()
        cover.action_confirm()
        with self.assertRaises(UserError):
            cover.with_user(self.manager_a).write({"date_to": self.today() + timedelta(days=9)})
        with self.assertRaises(UserError):
            cover.unlink()
        with self.assertRaises(UserError):
            cover.action_cancel()
        cover.with_user(self.manager_a).write({"note": "Back on Monday"})

    # ------------------------------------------------------------------
    # Rights
    # ------------------------------------------------------------------
    def test_associate_records_and_ends_only_their_own_absence(self):
        with self.assertRaises(AccessError):
            self.new_cover(as_user=self.associate_a2)  # for associate A: not theirs
        cover = self.new_cover(as_user=self.associate_a)
        cover.with_user(self.associate_a).action_confirm()
        with self.assertRaises(AccessError):
            cover.with_user(self.associate_a2).action_end_now()
        # the cover sees it, does not manage it
        self.assertEqual(cover.with_user(self.associate_a2).state, "active")
        with self.assertRaises(AccessError):
            cover.with_user(self.associate_a).write({"state": "ended"})
        with self.assertRaises(AccessError):
            self.new_cover(as_user=self.associate_a, state="active")
        cover.with_user(self.manager_a).action_end_now()
        self.assertEqual(cover.state, "ended")

    def test_manager_manages_covers_of_their_companies_only(self):
        cover = self.new_cover(as_user=self.manager_a)
        cover.with_user(self.manager_a).action_confirm()
        with self.assertRaises(AccessError):
            cover.with_user(self.manager_b).action_end_now()
        with self.assertRaises(AccessError):
            self.new_cover(as_user=self.manager_b, user=self.associate_a2, cover=self.manager_a,
                           days=(7, 9))


@tagged("post_install", "-at_install")
class TestCoverRotation(CoverMixin, RotationMixin, RelationshipCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.setup_rotation_data()

    def test_sticky_rep_covered_by_user(self):
        self.assign(self.customer_a, self.rep3)
        cover = self.new_cover(user=self.rep3, cover=self.rep2)
        cover.action_confirm()
        lead = self.new_lead(partner_id=self.customer_a.id)
        self.assertEqual(lead.user_id, self.rep2)
        self.assertEqual(lead.rotation_covered_user_id, self.rep3)
        log = self.logs()
        self.assertEqual((log.reason, log.covered_user_id), ("cover", self.rep3))
        self.assertEqual(cover.item_ids.res_id, lead.id)
        self.assertEqual(self.new_lead().user_id, self.rep1, "no turn consumed")
        cover.action_end_now()
        self.assertEqual(lead.user_id, self.rep3, "given back")
        self.assertEqual(self.current(self.customer_a).user_id, self.rep3)

    def test_sticky_rep_covered_by_pool_rotates(self):
        self.assign(self.customer_a, self.rep3)
        cover = self.new_cover(user=self.rep3, cover_pool_id=self.pool.id)
        cover.action_confirm()
        leads = [self.new_lead(partner_id=self.customer_a.id) for _i in range(2)]
        self.assertEqual([lead.user_id for lead in leads], [self.rep1, self.rep2])
        self.assertEqual(set(self.logs().mapped("reason")), {"covered"})
        self.assertEqual(len(cover.item_ids), 2)
        # a covered member is skipped and owed a turn
        self.assertEqual(self.new_lead().user_id, self.rep1)

    def test_refused_pool_of_another_company(self):
        with self.assertRaises(UserError):
            self.new_cover(user=self.user_ab, company_id=self.company_b.id,
                           cover_pool_id=self.pool.id)
        self.assertFalse(self.env["crm.rep.cover"].search([("user_id", "=", self.user_ab.id)]))

    def test_lead_by_hand_with_pool_cover(self):
        cover = self.new_cover(user=self.rep3, cover_pool_id=self.pool.id)
        cover.action_confirm()
        lead = self.env["crm.lead"].with_context(**{UI_CREATE: SERVER}).create(
            {"name": "By hand", "user_id": self.rep3.id, "team_id": self.team_r.id})
        self.assertEqual(lead.user_id, self.rep1, "the pool picks")
        self.assertEqual(self.logs().covered_user_id, self.rep3)
        self.assertEqual(cover.item_ids.to_user_id, self.rep1)
        # several leads at once: the pool picks for all of them in one batch
        leads = self.env["crm.lead"].with_context(**{UI_CREATE: SERVER}).create([
            {"name": f"By hand {i}", "user_id": self.rep3.id, "team_id": self.team_r.id}
            for i in range(3)])
        self.assertEqual([lead.user_id for lead in leads],
                         [self.rep2, self.rep1, self.rep2])
        self.assertEqual(sorted(self.logs().mapped("turn"))[-3:], [2, 3, 4],
                         "one turn each, in order")
        self.assertEqual(len(cover.item_ids), 4)


@tagged("post_install", "-at_install")
class TestCoverRpc(CoverMixin, RelationshipHttpCase):
    def rpc_cover(self, as_user, user, cover, days=(0, 3)):
        return self.rpc(as_user, "crm.rep.cover", "create", {
            "user_id": user.id, "company_id": self.company_a.id,
            "date_from": fields.Date.to_string(self.today() + timedelta(days=days[0])),
            "date_to": fields.Date.to_string(self.today() + timedelta(days=days[1])),
            "cover_user_id": cover.id,
        })

    def test_rpc_manager_and_associate(self):
        cover_id = self.rpc_cover(self.manager_a, self.associate_a, self.associate_a2)
        self.rpc(self.manager_a, "crm.rep.cover", "action_confirm", [cover_id])
        cover = self.env["crm.rep.cover"].browse(cover_id)
        self.assertEqual(cover.state, "active")
        # the associate sees their own, cannot end someone else's nor forge the state
        self.assertRpcFault("AccessError", self.associate_a2, "crm.rep.cover",
                            "action_end_now", [cover_id])
        self.assertRpcFault("AccessError", self.associate_a, "crm.rep.cover", "write",
                            [cover_id], {"state": "ended"})
        self.rpc(self.associate_a, "crm.rep.cover", "action_end_now", [cover_id])
        cover.invalidate_recordset()
        self.assertEqual(cover.state, "ended")
        # an associate records only their own absence
        self.assertRpcFault("AccessError", self.associate_a, "crm.rep.cover", "create", {
            "user_id": self.associate_a2.id, "company_id": self.company_a.id,
            "date_from": fields.Date.to_string(self.today()),
            "date_to": fields.Date.to_string(self.today()), "cover_user_id": self.manager_a.id})
        own = self.rpc_cover(self.associate_a2, self.associate_a2, self.associate_a, days=(4, 6))
        self.assertTrue(own)
        # a manager of another company cannot
        self.assertRpcFault("AccessError", self.manager_b, "crm.rep.cover", "action_cancel", [own])
        # refusals reach the client, naming the problem
        self.assertRpcFault("ValidationError", self.manager_a, "crm.rep.cover", "create", {
            "user_id": self.associate_a.id, "company_id": self.company_a.id,
            "date_from": fields.Date.to_string(self.today()),
            "date_to": fields.Date.to_string(self.today()), "cover_user_id": self.associate_b.id},
            message="does not work in company Company A")

    def test_rpc_associate_cannot_retarget_forge_or_use_a_pool(self):
        own = self.rpc_cover(self.associate_a, self.associate_a, self.associate_a2, days=(4, 6))
        cover = self.env["crm.rep.cover"].browse(own)
        # their own cover cannot become someone else's: the rules hold for the new values
        self.assertRpcFault("AccessError", self.associate_a, "crm.rep.cover", "write",
                            [own], {"user_id": self.associate_a2.id,
                                    "cover_user_id": self.associate_a.id})
        cover.invalidate_recordset()
        self.assertEqual((cover.user_id, cover.cover_user_id),
                         (self.associate_a, self.associate_a2))
        # the fields the buttons set cannot be given as defaults either: ignored
        forged = self.rpc(self.associate_a2, "crm.rep.cover", "create", {
            "user_id": self.associate_a2.id, "company_id": self.company_a.id,
            "date_from": fields.Date.to_string(self.today() + timedelta(days=10)),
            "date_to": fields.Date.to_string(self.today() + timedelta(days=12)),
            "cover_user_id": self.associate_a.id,
        }, context={"default_state": "ended", "default_ended_by_id": self.manager_a.id,
                    "default_ended_at": "2020-01-01 00:00:00", "default_customer_count": 42})
        forged = self.env["crm.rep.cover"].browse(forged)
        self.assertEqual((forged.state, forged.ended_by_id, forged.ended_at,
                          forged.customer_count), ("draft", self.env["res.users"], False, 0))
        # a rotation pool as the cover is the managers' choice
        pool = self.env["crm.rotation.pool"].create({
            "name": "Pool A", "company_id": self.company_a.id, "team_id": self.team_a.id,
            "fallback_user_id": self.manager_a.id})
        values = {"user_id": self.associate_a2.id, "company_id": self.company_a.id,
                  "date_from": fields.Date.to_string(self.today() + timedelta(days=20)),
                  "date_to": fields.Date.to_string(self.today() + timedelta(days=21)),
                  "cover_pool_id": pool.id}
        self.assertRpcFault("AccessError", self.associate_a2, "crm.rep.cover", "create", values,
                            message="Only a relationship manager")
        self.assertRpcFault("AccessError", self.associate_a, "crm.rep.cover", "write", [own],
                            {"cover_user_id": False, "cover_pool_id": pool.id})
        self.assertTrue(self.rpc(self.team_leader, "crm.rep.cover", "create", values))

    def test_cover_note_only_for_crm_users(self):
        cover = self.new_cover()
        cover.action_confirm()
        self.assign(self.customer_a, self.associate_a)
        employee = new_test_user(self.env, login="rm_employee", password="rm_employee",
                                 groups="base.group_user", company_id=self.company_a.id)
        note = "Covered by Rm Assoc A2 until %s" % format_date(self.env, cover.date_to)
        for user in (self.associate_a2, self.manager_a):
            [row] = self.rpc(user, "res.partner", "read", [self.customer_a.id],
                             ["crm_rm_cover_note"])
            self.assertEqual(row["crm_rm_cover_note"], note)
            [row] = self.rpc(user, "res.users", "read", [self.associate_a.id],
                             ["crm_rm_cover_note"])
            self.assertEqual(row["crm_rm_cover_note"], note)
        # an employee without CRM rights reads the customer and the user, not the cover
        [row] = self.rpc(employee, "res.partner", "read", [self.customer_a.id], ["name"])
        self.assertEqual(row["name"], "Customer A")
        for model, record, field in (("res.partner", self.customer_a, "crm_rm_cover_note"),
                                     ("res.users", self.associate_a, "crm_rm_cover_note"),
                                     ("res.users", self.associate_a, "crm_rm_cover_id")):
            self.assertRpcFault("AccessError", employee, model, "web_read", [record.id],
                                {field: {}})
