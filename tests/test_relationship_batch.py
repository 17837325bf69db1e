# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from collections import Counter
from unittest.mock import patch

from odoo import fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from ..models.crm_relationship_batch_line import distribute
from .common import BatchMixin, RelationshipCase, RelationshipHttpCase


class Killed(BaseException):
    """A worker kill: not an Exception, nothing in the cron catches it."""


@tagged("post_install", "-at_install")
class TestRelationshipBatch(BatchMixin, RelationshipCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.setup_batch_data()

    # ------------------------------------------------------------------
    # Distribution
    # ------------------------------------------------------------------
    def test_distribute_is_exact_and_interleaved(self):
        self.assertEqual(Counter(distribute(20, [50, 30, 20])), {0: 10, 1: 6, 2: 4})
        self.assertEqual(Counter(distribute(10, [1, 1, 1])), {0: 4, 1: 3, 2: 3})
        self.assertEqual(distribute(4, [1, 1]), [0, 1, 0, 1])
        self.assertEqual(distribute(7, [1]), [0] * 7)
        self.assertEqual(distribute(0, [1, 1]), [])
        # every prefix follows the shares (fair to old and new customers alike)
        picks = distribute(1000, [50, 30, 20])
        self.assertEqual(Counter(picks[:100]), {0: 50, 1: 30, 2: 20})
        self.assertEqual(picks, distribute(1000, [50, 30, 20]), "deterministic")

    # ------------------------------------------------------------------
    # Modes
    # ------------------------------------------------------------------
    def test_one_to_one(self):
        batch = self.new_batch([(self.rep_line(), [(self.associate_a2, 0)])])
        self.assertTrue(batch.name.startswith("MRA/"))
        self.assertEqual(batch.user_id, self.manager_a)
        batch.with_user(self.manager_a).action_preview()
        self.assertEqual(self.preview_counts(batch), {"Rm Assoc A2": 20})
        self.assertEqual(batch.line_ids.preview_total, 20)
        self.assertFalse(batch.problems)
        cron = self.env.ref("crm_relationship_manager.ir_cron_crm_relationship_batch")
        triggers = self.env["ir.cron.trigger"].search_count([("cron_id", "=", cron.id)])
        batch.with_user(self.manager_a).action_start()
        self.assertEqual(batch.state, "queued")
        self.assertEqual(batch.items_total, 20)
        self.assertEqual(
            self.env["ir.cron.trigger"].search_count([("cron_id", "=", cron.id)]), triggers + 1,
            "Start Update wakes the cron worker")
        # nothing changed yet: the work is done in the background
        self.assertEqual(self.current_user(self.book[0]), self.associate_a)
        self.run_cron()
        self.assertEqual(batch.state, "done")
        self.assertEqual(batch.progress, 100.0)
        for partner in self.book:
            rel = self.current(partner)
            self.assertEqual(rel.user_id, self.associate_a2)
            self.assertEqual((rel.source, rel.reason, rel.batch_id), ("mass", batch.name, batch))
            self.assertEqual(rel.changed_by_id, self.manager_a)
            self.assertEqual(rel.previous_id.user_id, self.associate_a)
            self.assertEqual(rel.previous_id.end_reason, batch.name)
            self.assertEqual(partner.with_company(self.company_a).user_id, self.associate_a2)
        self.assertEqual(set(batch.item_ids.mapped("state")), {"done"})
        self.assertEqual(batch.item_ids.new_relationship_id.batch_id, batch)

    def test_evenly_preview_equals_result(self):
        batch = self.new_batch([(self.rep_line(), [
            (self.associate_a2, 0), (self.rep_c, 0), (self.rep_d, 0)])])
        batch.action_preview()
        preview = self.preview_counts(batch)
        self.assertEqual(preview, {"Rm Assoc A2": 7, "Rm Rep C": 7, "Rm Rep D": 6})
        self.assertFalse(batch.item_ids, "the preview plans in memory: no item is written")
        self.assertEqual(batch.items_total, 20)
        # *Customers* on the draft writes the plan, to list it customer by customer
        action = batch.action_view_items()
        self.assertEqual(action["domain"], [("batch_id", "=", batch.id)])
        self.assertEqual(len(batch.item_ids), 20)
        by_item = {(i.partner_id, i.new_user_id) for i in batch.item_ids}
        self.assertEqual(Counter(i.new_user_id.name for i in batch.item_ids), Counter(preview))
        batch.action_start()
        self.assertEqual({(i.partner_id, i.new_user_id) for i in batch.item_ids}, by_item,
                         "Start computes exactly the previewed distribution")
        self.run_cron()
        self.assertEqual(self.result_counts(batch), preview)

    def test_given_shares_50_30_20(self):
        batch = self.new_batch([(dict(self.rep_line(), distribution="shares"), [
            (self.associate_a2, 50), (self.rep_c, 30), (self.rep_d, 20)])])
        batch.action_preview()
        preview = self.preview_counts(batch)
        self.assertEqual(preview, {"Rm Assoc A2": 10, "Rm Rep C": 6, "Rm Rep D": 4})
        self.assertIn("<td>Rm Rep D</td>", batch.preview_html)
        batch.action_start()
        self.run_cron()
        self.assertEqual(self.result_counts(batch), preview)

    def test_shares_must_add_up(self):
        batch = self.new_batch([(dict(self.rep_line(), distribution="shares"), [
            (self.associate_a2, 50), (self.rep_c, 30)])])
        batch.action_preview()
        self.assertIn("80.0%", batch.problems)
        with self.assertRaisesRegex(UserError, "add up to 80.0%"):
            batch.action_start()
        self.assertEqual(batch.state, "draft")

    def test_audience_by_domain(self):
        Partner = self.env["res.partner"].with_context(tracking_disable=True)
        new = Partner.create([{"name": f"Audience {i}", "is_company": True} for i in range(5)])
        other_company = Partner.create({"name": "Audience B", "is_company": True,
                                        "company_id": self.company_b.id})
        contact = Partner.create({"name": "Audience Contact", "parent_id": new[0].id})
        self.assign(new[0], self.rep_c)
        line = {"kind": "audience", "audience_domain": "[('name', 'like', 'Audience')]"}
        batch = self.new_batch([(line, [(self.associate_a2, 0), (self.rep_d, 0)])])
        batch.action_preview()
        batch.action_view_items()
        self.assertEqual(batch.item_ids.partner_id, new, "commercial entities of the company "
                         "only: the contact counts as its company, company B's customer is out")
        self.assertNotIn(other_company, batch.item_ids.partner_id)
        self.assertNotIn(contact, batch.item_ids.partner_id)
        self.assertEqual(self.preview_counts(batch), {"Rm Assoc A2": 3, "Rm Rep D": 2})
        item0 = batch.item_ids.filtered(lambda i: i.partner_id == new[0])
        self.assertEqual(item0.old_user_id, self.rep_c)
        batch.action_start()
        self.run_cron()
        self.assertEqual(self.result_counts(batch), {"Rm Assoc A2": 3, "Rm Rep D": 2})
        self.assertEqual(self.current(new[0]).previous_id.user_id, self.rep_c)
        self.assertEqual(self.current(new[1]).role_id, self.role_am, "the primary role")

    def test_audience_by_saved_filter(self):
        tag = self.env["res.partner.category"].create({"name": "Key account"})
        self.book[:4].category_id = tag
        saved = self.env["ir.filters"].create({
            "name": "Key accounts", "model_id": "res.partner",
            "domain": f"[('category_id', 'in', [{tag.id}])]", "user_id": False,
        })
        batch = self.new_batch([({"kind": "audience", "audience_type": "filter",
                                  "filter_id": saved.id}, [(self.rep_c, 0)])])
        batch.action_start()
        self.assertEqual(batch.item_ids.partner_id, self.book[:4])
        self.run_cron()
        self.assertEqual(self.result_counts(batch), {"Rm Rep C": 4})
        self.assertEqual(self.current_user(self.book[4]), self.associate_a)

    def test_mixed_lines_and_narrowing(self):
        tag = self.env["res.partner.category"].create({"name": "North"})
        self.book[:6].category_id = tag
        # a secondary role of the same rep stays: the line is narrowed to one role
        self.assign(self.book[0], self.associate_a, role=self.role_cs)
        self.assign(self.customer_a2, self.rep_d)
        batch = self.new_batch([
            (self.rep_line(role_id=self.role_am.id, category_ids=[(6, 0, tag.ids)]),
             [(self.associate_a2, 0), (self.rep_c, 0)]),
            ({"kind": "audience", "audience_domain": f"[('id', '=', {self.customer_a2.id})]"},
             [(self.rep_c, 0)]),
        ])
        batch.action_preview()
        self.assertEqual(batch.line_ids.mapped("preview_total"), [6, 1])
        batch.action_start()
        self.run_cron()
        self.assertEqual(self.result_counts(batch), {"Rm Assoc A2": 3, "Rm Rep C": 4})
        self.assertEqual(self.current_user(self.book[0], role=self.role_cs), self.associate_a)
        self.assertEqual(self.current_user(self.book[7]), self.associate_a)
        self.assertEqual(self.current_user(self.customer_a2), self.rep_c)

    def test_customer_in_two_lines_is_a_problem(self):
        batch = self.new_batch([
            (self.rep_line(), [(self.associate_a2, 0)]),
            ({"kind": "audience", "audience_domain": f"[('id', '=', {self.book[3].id})]"},
             [(self.rep_c, 0)]),
        ])
        batch.action_preview()
        self.assertIn("more than one line", batch.problems)
        self.assertIn(self.book[3].name, batch.problems)

    def test_problems_archived_and_foreign_targets(self):
        archived = self.rep_d
        batch = self.new_batch([(self.rep_line(), [(self.associate_b, 0), (archived, 0)])])
        archived.active = False
        batch.action_preview()
        self.assertIn("Rm Assoc B does not work in company Company A", batch.problems)
        self.assertIn("Rm Rep D is archived", batch.problems)
        self.assertIn("o_crm_rm_problems", batch.preview_html)
        with self.assertRaisesRegex(UserError, "cannot start"):
            batch.action_start()

    def test_already_the_rep_is_unchanged(self):
        self.assign(self.customer_a, self.associate_a2)
        batch = self.new_batch([({"kind": "audience", "audience_domain":
                                  f"[('id', 'in', {[self.customer_a.id, self.book[0].id]})]"},
                                 [(self.associate_a2, 0)])])
        batch.action_preview()
        self.assertEqual(batch.line_ids.preview_unchanged, 1)
        self.assertEqual(self.preview_counts(batch), {"Rm Assoc A2": 1})
        rel = self.current(self.customer_a)
        batch.action_start()
        self.run_cron()
        self.assertEqual(self.current(self.customer_a), rel, "no new history for no change")
        self.assertEqual(self.result_counts(batch), {"Rm Assoc A2": 1})

    # ------------------------------------------------------------------
    # What moves along
    # ------------------------------------------------------------------
    def _leads(self):
        Lead = self.env["crm.lead"].with_context(tracking_disable=True)
        won_stage = self.env["crm.stage"].search([("is_won", "=", True)], limit=1)
        contact = self.env["res.partner"].create({"name": "Book Contact",
                                                  "parent_id": self.book[0].id})
        vals = {"company_id": self.company_a.id, "team_id": self.team_a.id,
                "type": "opportunity"}
        return {
            "open": Lead.create(dict(vals, name="Open", partner_id=self.book[0].id,
                                     user_id=self.associate_a.id)),
            "contact": Lead.create(dict(vals, name="Via contact", partner_id=contact.id,
                                        user_id=self.associate_a.id)),
            "won": Lead.create(dict(vals, name="Won", partner_id=self.book[1].id,
                                    user_id=self.associate_a.id, stage_id=won_stage.id)),
            "other_rep": Lead.create(dict(vals, name="Other rep", partner_id=self.book[2].id,
                                          user_id=self.rep_c.id)),
            "lost": Lead.create(dict(vals, name="Lost", partner_id=self.book[3].id,
                                     user_id=self.associate_a.id, active=False)),
        }

    def test_open_leads_move_along(self):
        leads = self._leads()
        activity = self.env["mail.activity"].create({
            "res_model_id": self.env.ref("crm.model_crm_lead").id, "res_id": leads["open"].id,
            "user_id": self.associate_a.id, "summary": "Call",
            "activity_type_id": self.env.ref("mail.mail_activity_data_call").id,
        })
        self.company_a.task_follow_policy = "all"
        meeting = self.env["calendar.event"].create({
            "name": "Visit", "user_id": self.associate_a.id,
            "start": fields.Datetime.add(fields.Datetime.now(), days=3),
            "stop": fields.Datetime.add(fields.Datetime.now(), days=3, hours=1),
            "partner_ids": [(6, 0, self.book[0].ids)],
        })
        self.env.flush_all()
        messages_before = leads["open"].message_ids
        batch = self.new_batch([(self.rep_line(), [(self.associate_a2, 0)])])
        batch.action_preview()
        self.assertEqual(batch.preview_leads, 2)
        self.assertEqual(batch.preview_activities, 1)
        self.assertEqual(batch.preview_meetings, 1)
        self.assertIn("Future meetings", batch.preview_html)
        batch.action_start()
        self.run_cron()
        self.assertEqual(leads["open"].user_id, self.associate_a2)
        self.assertEqual(leads["contact"].user_id, self.associate_a2)
        self.assertEqual(leads["open"].team_id, self.team_a)
        self.assertEqual(leads["won"].user_id, self.associate_a, "won leads stay")
        self.assertEqual(leads["other_rep"].user_id, self.rep_c)
        self.assertEqual(leads["lost"].user_id, self.associate_a, "archived (lost) leads stay")
        self.assertEqual(batch.leads_moved, 2)
        self.assertEqual(sum(batch.item_ids.mapped("leads_moved")), 2)
        # lead writes without tracking: no Salesperson/Colleague message per lead,
        # also once everything is flushed
        self.env.flush_all()
        leads["open"].invalidate_recordset()
        self.assertEqual(leads["open"].message_ids, messages_before,
                         "no tracking message per moved lead")
        # policy 'all': the relationship hook (task-follow) moved the lead's activity
        # and the future meeting, once
        self.assertEqual(activity.user_id, self.associate_a2)
        self.assertEqual(meeting.user_id, self.associate_a2)

    def test_moved_leads_team_and_probability(self):
        """A lead whose team the new rep is not in goes to the rep's team and its
        computed fields (predictive lead scoring probability...) are recomputed;
        a lead that stays in its team keeps them (their inputs did not change)."""
        other_team = self.env["crm.team"].create({
            "name": "Team without A2", "company_id": self.company_a.id,
            "member_ids": [(6, 0, self.associate_a.ids)]})
        Lead = self.env["crm.lead"].with_context(tracking_disable=True)
        vals = {"company_id": self.company_a.id, "type": "opportunity",
                "user_id": self.associate_a.id}
        moving = Lead.create(dict(vals, name="Changes team", partner_id=self.book[5].id,
                                  team_id=other_team.id))
        staying = Lead.create(dict(vals, name="Same team", partner_id=self.book[6].id,
                                   team_id=self.team_a.id))
        leads = moving | staying
        stages = {lead: lead.stage_id for lead in leads}
        self.env.flush_all()
        # an automated probability that a recomputation would change
        self.env.cr.execute(
            "UPDATE crm_lead SET probability = 77.0, automated_probability = 77.0 "
            "WHERE id = ANY(%s)", [leads.ids])
        leads.invalidate_recordset()
        batch = self.new_batch([(self.rep_line(), [(self.associate_a2, 0)])])
        batch.action_start()
        self.run_cron()
        self.env.flush_all()
        leads.invalidate_recordset()
        self.assertEqual(leads.user_id, self.associate_a2)
        self.assertEqual(leads.colleague_id, self.associate_a2)
        self.assertEqual(moving.team_id, self.team_a, "the new rep's team")
        self.assertEqual(staying.team_id, self.team_a)
        expected = moving._pls_get_naive_bayes_probabilities()[moving.id]
        self.assertNotEqual(expected, 77.0)
        self.assertAlmostEqual(moving.automated_probability, expected, places=2)
        self.assertAlmostEqual(moving.probability, expected, places=2)
        self.assertEqual(staying.automated_probability, 77.0, "same team: not recomputed")
        self.assertEqual({lead: lead.stage_id for lead in leads}, stages)
        self.assertEqual(leads.company_id, self.company_a, "the leads keep their company")

    def test_lead_company_check_is_set_wise_and_the_same(self):
        """crm.lead checks linked records' companies per company and field, not per
        lead; the verdict and the error are Odoo's lead-by-lead ones."""
        Lead = self.env["crm.lead"].with_context(tracking_disable=True)
        leads = Lead.create([
            {"name": f"Check {i}", "company_id": self.company_a.id, "type": "opportunity",
             "partner_id": self.book[i].id, "user_id": self.associate_a.id,
             "team_id": self.team_a.id} for i in range(3)])
        leads._check_company()
        leads._check_company(["user_id", "team_id"])
        foreign = self.env["res.partner"].create({"name": "Foreign Customer",
                                                  "company_id": self.company_b.id})
        self.env.flush_all()
        self.env.cr.execute("UPDATE crm_lead SET partner_id = %s WHERE id = %s",
                            [foreign.id, leads[1].id])
        leads.invalidate_recordset()
        with self.assertRaises(UserError) as ours:
            leads._check_company()
        with self.assertRaises(UserError) as odoo_own:
            models.BaseModel._check_company(leads)
        self.assertIn("Check 1", str(ours.exception))
        self.assertNotIn("Check 0", str(ours.exception))
        self.assertEqual(str(ours.exception), str(odoo_own.exception))
        # a Salesperson of another company only, written on several leads at once
        (leads[0] | leads[2])._check_company(["user_id"])
        self.env.cr.execute("UPDATE crm_lead SET user_id = %s WHERE id = %s",
                            [self.associate_b.id, leads[2].id])
        leads.invalidate_recordset()
        with self.assertRaisesRegex(UserError, "Check 2"):
            (leads[0] | leads[2])._check_company(["user_id"])

    def test_leads_stay_when_unchecked(self):
        leads = self._leads()
        batch = self.new_batch([(self.rep_line(), [(self.associate_a2, 0)])], move_leads=False)
        batch.action_preview()
        self.assertIn("Open leads and opportunities: 2 (not moved)", batch.preview_html)
        batch.action_start()
        self.run_cron()
        self.assertEqual(leads["open"].user_id, self.associate_a)
        self.assertEqual(batch.leads_moved, 0)

    def test_secondary_role_does_not_move_leads(self):
        leads = self._leads()
        self.assign(self.book[0], self.associate_a, role=self.role_cs)
        batch = self.new_batch([(self.rep_line(role_id=self.role_cs.id),
                                 [(self.associate_a2, 0)])])
        batch.action_start()
        self.run_cron()
        self.assertEqual(self.current_user(self.book[0], role=self.role_cs), self.associate_a2)
        self.assertEqual(leads["open"].user_id, self.associate_a)

    def test_task_follow_hook_called_once_per_group(self):
        calls = []
        Rel = type(self.env["crm.relationship"])
        orig = Rel._after_relationship_change

        def hook(rel, changes):
            calls.append((changes, dict(rel.env.context)))
            return orig(rel, changes)

        self.patch(Rel, "_after_relationship_change", hook)
        self._leads()
        batch = self.new_batch([(self.rep_line(), [(self.associate_a2, 0), (self.rep_c, 0)])])
        batch.action_start()
        self.run_cron()
        self.assertEqual(len(calls), 2, "one relationship change per new rep")
        moved = sum(len(change["partners"]) for changes, __ in calls for change in changes)
        self.assertEqual(moved, 20)
        for changes, context in calls:
            self.assertEqual(changes[0]["source"], "mass")
            self.assertFalse(context.get("crm_task_follow_skip"),
                             "the policy applies once, through the relationship hook")

    # ------------------------------------------------------------------
    # Background processing, chunks, resume
    # ------------------------------------------------------------------
    def test_chunks_commit_and_progress(self):
        batch = self.new_batch([(self.rep_line(), [(self.associate_a2, 0), (self.rep_c, 0)])],
                               chunk_size=6)
        batch.action_start()
        self.assertEqual(sorted(set(batch.item_ids.mapped("chunk"))), [0, 1, 2, 3])
        self.run_cron(max_chunks=1)
        self.assertEqual(batch.state, "running")
        self.assertEqual((batch.items_processed, batch.progress), (6, 30.0))
        self.assertEqual(len(self.commits), 1, "committed after the chunk")
        self.run_cron()
        self.assertEqual(batch.state, "done")
        self.assertEqual(len(self.commits), 4, "one commit per chunk")

    def test_resume_after_kill_between_and_within_chunks(self):
        batch = self.new_batch([(self.rep_line(), [(self.associate_a2, 0), (self.rep_c, 0)])],
                               chunk_size=6)
        batch.action_start()
        Batch = type(self.Batch)
        # the worker is killed after the first chunk was committed ...
        self.run_cron(max_chunks=1)
        first = batch.item_ids.filtered(lambda i: i.state == "done")
        self.assertEqual(len(first), 6)
        # ... and the next worker is killed in the middle of the second chunk, after
        # its relationships were written but before its items were marked done
        orig = Batch._write_item_states

        def killed(self_, *args):
            raise Killed()

        with patch.object(Batch, "_write_item_states", killed), self.assertRaises(Killed):
            self.run_cron()
        batch.invalidate_recordset()
        self.assertEqual(batch.items_processed, 6, "nothing of the killed chunk is kept")
        second = batch.item_ids.filtered(lambda i: i.chunk == 1)
        self.assertEqual(set(second.mapped("state")), {"pending"})
        for item in second:
            self.assertEqual(self.current_user(item.partner_id), self.associate_a,
                             "the killed chunk's relationship changes are rolled back")
        self.assertEqual(Batch._write_item_states, orig)
        # restart: the pending items are processed, once
        self.run_cron()
        self.assertEqual(batch.state, "done")
        Rel = self.env["crm.relationship"]
        for partner in self.book:
            self.assertEqual(Rel.search_count([("partner_id", "=", partner.id),
                                               ("batch_id", "=", batch.id)]), 1,
                             "no reassignment lost or done twice")
            self.assertEqual(Rel.search_count([("partner_id", "=", partner.id),
                                               ("is_current", "=", True)]), 1)
        self.assertEqual(self.result_counts(batch), {"Rm Assoc A2": 10, "Rm Rep C": 10})

    def test_failed_chunk_is_rolled_back_and_retried(self):
        self._leads()
        batch = self.new_batch([(self.rep_line(), [(self.associate_a2, 0)])], chunk_size=10)
        batch.action_start()
        Batch = type(self.Batch)
        orig = Batch._move_leads
        calls = []

        def broken(self_, *args):
            calls.append(1)
            if len(calls) == 1:
                return orig(self_, *args)
            raise RuntimeError("database hiccup")

        with patch.object(Batch, "_move_leads", broken), \
                self.assertLogs("odoo.addons.crm_relationship_manager", "ERROR"):
            self.run_cron()
        self.assertEqual(batch.state, "failed")
        self.assertIn("database hiccup", batch.error)
        self.assertEqual(batch.items_processed, 10)
        self.assertEqual(Counter(batch.item_ids.mapped("state")), {"done": 10, "pending": 10})
        pending = batch.item_ids.filtered(lambda i: i.state == "pending")
        self.assertEqual([self.current_user(p) for p in pending.partner_id],
                         [self.associate_a] * 10, "the failed chunk is not half-applied")
        self.assertIn("database hiccup", batch.message_ids[0].body)
        batch.with_user(self.manager_a).action_retry()
        self.assertEqual(batch.state, "queued")
        self.run_cron()
        self.assertEqual(batch.state, "done")
        self.assertEqual(self.result_counts(batch), {"Rm Assoc A2": 20})

    def test_rep_archived_while_queued_gives_item_errors(self):
        batch = self.new_batch([(self.rep_line(), [(self.associate_a2, 0), (self.rep_c, 0)])])
        batch.action_start()
        self.rep_c.active = False
        self.run_cron()
        self.assertEqual(batch.state, "done")
        self.assertEqual(Counter(batch.item_ids.mapped("state")), {"done": 10, "error": 10})
        self.assertIn("archived", batch.item_ids.filtered(lambda i: i.state == "error")[0].note)
        self.assertIn("archived", batch.summary_html)

    def test_changed_meanwhile_is_skipped(self):
        batch = self.new_batch([(self.rep_line(), [(self.associate_a2, 0)])])
        batch.action_start()
        self.assign(self.book[5], self.rep_d, reason="meanwhile")
        self.run_cron()
        item = batch.item_ids.filtered(lambda i: i.partner_id == self.book[5])
        self.assertEqual((item.state, self.current_user(self.book[5])), ("skipped", self.rep_d))
        self.assertIn("Changed by someone else", item.note)

    def test_concurrent_batch_is_refused(self):
        first = self.new_batch([(self.rep_line(), [(self.associate_a2, 0)])])
        first.action_start()
        second = self.new_batch([({"kind": "audience", "audience_domain":
                                   f"[('id', 'in', {self.book[:2].ids})]"}, [(self.rep_c, 0)])])
        second.action_preview()
        self.assertIn(first.name, second.problems)
        with self.assertRaises(UserError) as ctx:
            second.action_start()
        message = str(ctx.exception)
        self.assertIn(first.name, message)
        self.assertIn(self.book[0].name, message)
        self.assertIn("2 customer(s) are already being reassigned", message)
        self.run_cron()
        second.action_start()  # once the first one is done
        self.run_cron()
        self.assertEqual(self.current_user(self.book[0]), self.rep_c)

    # ------------------------------------------------------------------
    # Revert
    # ------------------------------------------------------------------
    def revert(self, batch, user=None):
        """Revert ``batch`` as ``user`` (queued), return the revert batch."""
        action = batch.with_user(user or self.manager_a).action_revert()
        self.assertEqual((action["res_model"], action["type"]),
                         ("crm.relationship.batch", "ir.actions.act_window"))
        return self.Batch.browse(action["res_id"])

    def test_revert_restores_and_reports_skipped(self):
        leads = self._leads()
        batch = self.new_batch([(self.rep_line(), [(self.associate_a2, 0), (self.rep_c, 0)])])
        batch.action_start()
        self.run_cron()
        changed = self.book[4]
        self.assign(changed, self.rep_d, reason="after the batch")
        self.assertEqual(leads["open"].user_id, self.associate_a2)
        revert = self.revert(batch)
        self.assertEqual((revert.state, revert.revert_of_id, revert.user_id),
                         ("queued", batch, self.manager_a))
        self.run_cron()
        self.assertEqual(revert.state, "done")
        self.assertEqual(batch.state, "reverted")
        for partner in self.book - changed:
            rel = self.current(partner)
            self.assertEqual(rel.user_id, self.associate_a)
            self.assertEqual(rel.reason, f"Revert of {batch.name}")
            self.assertEqual(rel.source, "mass")
        self.assertEqual(self.current_user(changed), self.rep_d, "changed since: skipped")
        item = batch.item_ids.filtered(lambda i: i.partner_id == changed)
        self.assertIn("not reverted", item.note)
        self.assertEqual(Counter(batch.item_ids.mapped("state")), {"reverted": 19, "done": 1})
        self.assertEqual(leads["open"].user_id, self.associate_a, "leads go back too")
        self.assertEqual(revert.leads_moved, 2)
        self.assertIn("19 relationship(s) restored, 1 skipped",
                      "".join(batch.message_ids.mapped("body")))
        with self.assertRaisesRegex(UserError, "Only a finished batch"):
            batch.action_revert()
        with self.assertRaisesRegex(UserError, "itself a revert"):
            revert.action_revert()

    def test_revert_runs_in_background_with_progress_and_email(self):
        """Revert returns at once: the revert batch is applied by the cron, chunk by
        chunk (one commit each, progress on the revert batch), and its summary is
        e-mailed to the manager who reverted."""
        batch = self.new_batch([(self.rep_line(), [(self.associate_a2, 0)])], chunk_size=8)
        batch.action_start()
        self.run_cron()
        self.assign(self.book[0], self.rep_d, reason="after the batch")
        self.commits.clear()
        revert = self.revert(batch, user=self.admin)
        # nothing given back yet: the request only planned and queued the revert
        self.assertEqual(self.current_user(self.book[1]), self.associate_a2)
        self.assertEqual(batch.state, "done")
        self.assertEqual((revert.items_total, revert.items_processed), (20, 1),
                         "the customer changed since the batch is skipped when planned")
        self.assertEqual(sorted(set(revert.item_ids.mapped("chunk"))), [-1, 0, 1, 2])
        with self.assertRaisesRegex(UserError, "already being reverted"):
            batch.with_user(self.manager_a).action_revert()
        self.run_cron(max_chunks=1)
        self.assertEqual((revert.state, revert.items_processed, revert.progress),
                         ("running", 9, 45.0))
        self.assertEqual(batch.state, "done", "reverted once the revert is finished")
        self.assertEqual(len(self.commits), 1, "committed after the chunk")
        self.run_cron()
        self.assertEqual((revert.state, revert.progress, batch.state),
                         ("done", 100.0, "reverted"))
        self.assertEqual(len(self.commits), 3, "one commit per chunk")
        self.assertEqual(self.current_user(self.book[1]), self.associate_a)
        self.assertIn("19 customer relationship(s) given back", revert.summary_html)
        mail = self.env["mail.mail"].search([("model", "=", "crm.relationship.batch"),
                                             ("res_id", "=", revert.id)])
        self.assertEqual(len(mail), 1)
        self.assertIn(self.admin.email, mail.email_to)
        self.assertIn(revert.name, mail.subject)
        self.assertIn(f"(revert of {batch.name})", mail.body_html)
        self.assertIn("Rm Assoc A: 19 customer(s)", mail.body_html)
        self.assertIn("1: Changed since the batch: not reverted.", mail.body_html)

    def test_revert_of_an_audience_ends_the_new_relationships(self):
        """Customers who had no rep before the batch go back to having none."""
        fresh = self.env["res.partner"].create({"name": "Fresh Customer", "is_company": True,
                                                "company_id": self.company_a.id})
        batch = self.new_batch([({"kind": "audience", "audience_domain":
                                  f"[('id', '=', {fresh.id})]"}, [(self.rep_c, 0)])])
        batch.action_start()
        self.run_cron()
        self.assertEqual(self.current_user(fresh), self.rep_c)
        revert = self.revert(batch)
        self.run_cron()
        self.assertEqual((revert.state, batch.state), ("done", "reverted"))
        self.assertFalse(self.current_user(fresh))
        self.assertIn("No rep: 1 customer(s)", revert.summary_html)

    # ------------------------------------------------------------------
    # E-mail
    # ------------------------------------------------------------------
    def test_done_email_summary(self):
        self._leads()
        batch = self.new_batch([(self.rep_line(), [(self.associate_a2, 0), (self.rep_c, 0)])])
        batch.action_start()
        self.assign(self.book[5], self.rep_d)
        self.run_cron()
        mail = self.env["mail.mail"].search([("model", "=", "crm.relationship.batch"),
                                             ("res_id", "=", batch.id)])
        self.assertEqual(len(mail), 1)
        self.assertIn(self.manager_a.email, mail.email_to)
        self.assertIn(batch.name, mail.subject)
        body = mail.body_html
        self.assertIn("19 customer relationship(s) changed", body)
        self.assertIn("Rm Assoc A2: 10 customer(s)", body)
        self.assertIn("Rm Rep C: 9 customer(s)", body)
        self.assertIn("Open leads and opportunities moved: 2", body)
        self.assertIn("1: Changed by someone else since the batch started.", body)

    # ------------------------------------------------------------------
    # Permissions
    # ------------------------------------------------------------------
    def test_associate_cannot_manage(self):
        with self.assertRaises(AccessError):
            self.new_batch([(self.rep_line(), [(self.associate_a2, 0)])], user=self.associate_a)
        batch = self.new_batch([(self.rep_line(), [(self.associate_a2, 0)])])
        for method in ("action_preview", "action_view_items", "action_start"):
            with self.assertRaises(AccessError):
                getattr(batch.with_user(self.associate_a), method)()
        batch.action_start()
        self.run_cron()
        with self.assertRaises(AccessError):
            batch.with_user(self.associate_a).action_revert()
        with self.assertRaises(AccessError):
            self.associate_a.with_user(self.associate_a).action_manage_relationships()
        self.assertEqual(batch.state, "done")

    def test_manager_only_in_own_companies(self):
        batch = self.new_batch([(self.rep_line(), [(self.associate_a2, 0)])])
        Batch_b = self.Batch.with_user(self.manager_b)
        self.assertFalse(Batch_b.search([("id", "=", batch.id)]), "record rule")
        with self.assertRaises(AccessError):
            batch.with_user(self.manager_b).action_start()
        with self.assertRaises(AccessError):
            self.new_batch([(self.rep_line(self.associate_b), [(self.associate_b, 0)])],
                           company_id=self.company_b.id)
        with self.assertRaises(AccessError):
            self.new_batch([(dict(self.rep_line(), company_id=self.company_b.id),
                             [(self.associate_a2, 0)])])
        # a rep line without company only sees the manager's companies
        self.assign(self.customer_b, self.associate_b, company=self.company_b)
        self.assign(self.shared, self.user_ab, company=self.company_b)
        self.assign(self.shared, self.user_ab, company=self.company_a)
        ab = self.new_batch([(self.rep_line(self.user_ab), [(self.associate_a2, 0)])])
        ab.action_preview()
        ab.action_view_items()
        self.assertEqual(ab.item_ids.company_id, self.company_a)

    def test_team_leader_manager_without_sales_admin(self):
        self._leads()
        batch = self.new_batch([(self.rep_line(), [(self.associate_a2, 0)])],
                               user=self.team_leader)
        batch.with_user(self.team_leader).action_start()
        self.run_cron()
        self.assertEqual(batch.state, "done", batch.error)
        self.assertEqual(batch.leads_moved, 2)

    def test_started_batch_is_locked(self):
        batch = self.new_batch([(self.rep_line(), [(self.associate_a2, 0)])])
        batch.action_start()
        with self.assertRaisesRegex(UserError, "Only a draft"):
            batch.with_user(self.manager_a).line_ids.target_ids.write({"user_id": self.rep_c.id})
        with self.assertRaisesRegex(UserError, "Only a draft"):
            batch.with_user(self.manager_a).write({"move_leads": False})
        with self.assertRaisesRegex(UserError, "already started"):
            batch.with_user(self.manager_a).action_start()
        with self.assertRaisesRegex(UserError, "Only draft batches"):
            batch.with_user(self.manager_a).unlink()

    def test_user_form_entry_point(self):
        action = self.associate_a.with_user(self.manager_a).action_manage_relationships()
        form = self.Batch.with_user(self.manager_a).with_context(**action["context"])
        batch = form.create({})
        self.assertEqual(batch.line_ids.source_user_id, self.associate_a)
        menu = self.env.ref("crm_relationship_manager.menu_crm_relationship_batch")
        self.assertEqual(menu.group_ids if "group_ids" in menu._fields else menu.groups_id,
                         self.env.ref("crm_relationship_manager.group_relationship_manager"))


@tagged("post_install", "-at_install")
class TestRelationshipBatchRpc(BatchMixin, RelationshipHttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.setup_batch_data()

    def test_system_fields_and_other_companies_refused_over_rpc(self):
        """What the batch maintains (state, initiator, preview, progress...) and the
        company or batch a record belongs to after a write are checked on the
        server, whatever the form shows as read-only."""
        batch = self.new_batch([(self.rep_line(), [(self.associate_a2, 0)])])
        for vals in ({"preview_html": "<img src=x onerror=alert(1)>"}, {"state": "queued"},
                     {"user_id": self.admin.id}, {"items_processed": 5}):
            self.assertRpcFault("AccessError", self.manager_a, "crm.relationship.batch",
                                "write", [batch.id], vals, message="maintained by the batch")
        self.assertRpcFault("AccessError", self.manager_a, "crm.relationship.batch", "create",
                            [{"summary_html": "<p>fake</p>"}], message="maintained by the batch")
        # (refused here already when company B is read)
        self.assertRpcFault("AccessError", self.manager_a, "crm.relationship.batch", "write",
                            [batch.id], {"company_id": self.company_b.id})
        # a user of both companies working in A only: the new company is checked too
        own = self.new_batch([(self.rep_line(), [(self.associate_a2, 0)])], user=self.admin)
        self.assertRpcFault("AccessError", self.admin, "crm.relationship.batch", "write",
                            [own.id], {"company_id": self.company_b.id},
                            context={"allowed_company_ids": [self.company_a.id]},
                            message="not one of your allowed companies")
        own.invalidate_recordset()
        self.assertEqual(own.company_id, self.company_a)
        started = self.new_batch([(self.rep_line(), [(self.associate_a2, 0)])])
        started.action_start()
        self.assertRpcFault("UserError", self.manager_a, "crm.relationship.batch.line", "write",
                            batch.line_ids.ids, {"batch_id": started.id},
                            message="Only a draft batch")
        self.assertRpcFault("UserError", self.manager_a, "crm.relationship.batch.target",
                            "write", batch.line_ids.target_ids.ids,
                            {"line_id": started.line_ids.id}, message="Only a draft batch")
        self.env.invalidate_all()
        self.assertEqual((batch.state, batch.user_id, batch.company_id, batch.items_processed),
                         ("draft", self.manager_a, self.company_a, 0))
        self.assertFalse(batch.preview_html)
        self.assertEqual(len(started.line_ids), 1)
        self.assertEqual(len(started.line_ids.target_ids), 1)

    def test_rpc_permissions_and_start(self):
        line = {"kind": "rep", "source_user_id": self.associate_a.id,
                "target_ids": [(0, 0, {"user_id": self.associate_a2.id})]}
        self.assertRpcFault("AccessError", self.associate_a, "crm.relationship.batch", "create",
                            [{"line_ids": [(0, 0, line)]}])
        batch_id = self.rpc(self.manager_a, "crm.relationship.batch", "create",
                            [{"line_ids": [(0, 0, line)]}])[0]
        self.assertRpcFault("AccessError", self.associate_a, "crm.relationship.batch",
                            "action_start", [batch_id])
        self.assertRpcFault("AccessError", self.manager_b, "crm.relationship.batch",
                            "action_start", [batch_id])
        self.rpc(self.manager_a, "crm.relationship.batch", "action_start", [batch_id])
        batch = self.Batch.browse(batch_id)
        self.assertEqual(batch.state, "queued")
        self.assertRpcFault("UserError", self.manager_a, "crm.relationship.batch",
                            "action_start", [batch_id], message="already started")
        self.run_cron()
        self.assertEqual(batch.state, "done")
        self.assertRpcFault("AccessError", self.associate_a, "crm.relationship.batch",
                            "action_revert", [batch_id])
        self.rpc(self.manager_a, "crm.relationship.batch", "action_revert", [batch_id])
        self.assertEqual(batch.state, "done", "reverted in the background")
        self.run_cron()
        self.assertEqual(batch.state, "reverted")
        self.assertEqual(self.current_user(self.book[0]), self.associate_a)

