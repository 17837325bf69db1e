# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Capacity-aware rotation pools: a member at capacity is skipped."""
import random
import threading
import time
from collections import Counter
from datetime import timedelta

import psycopg2.errors

from odoo import SUPERUSER_ID, api, fields, sql_db
from odoo.exceptions import AccessError, ValidationError
from odoo.tests import Form, TransactionCase, tagged

from .common import (
    RelationshipCase,
    RelationshipHttpCase,
    RotationMixin,
    race_behind_pool_lock,
)


class CapacityMixin:
    def set_capacity(self, **capacities):
        """rep1=2, rep2=0...: the reps' capacities in the pool's team (Odoo's
        crm.team.member.assignment_max, which the pool uses)."""
        for name, capacity in capacities.items():
            user = getattr(self, name)
            membership = self.team_r.crm_team_member_ids.filtered(lambda m, u=user: m.user_id == u)
            self.assertTrue(membership, name)
            membership.assignment_max = capacity

    def load_leads(self, user, count, **vals):
        """``count`` leads of the pool's team given to ``user`` by hand (no pool)."""
        return self.env["crm.lead"].create([
            {"name": f"Load of {user.name} {i}", "team_id": self.team_r.id,
             "user_id": user.id, **vals} for i in range(count)])

    def set_date_open(self, leads, days_ago):
        self.env.flush_all()
        self.env.cr.execute("UPDATE crm_lead SET date_open = %s WHERE id = ANY(%s)",
                            (fields.Datetime.now() - timedelta(days=days_ago), leads.ids))
        leads.invalidate_recordset(["date_open"])


@tagged("post_install", "-at_install")
class TestRotationCapacity(CapacityMixin, RotationMixin, RelationshipCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.setup_rotation_data()
        cls.pool.capacity_mode = "open"
        cls.won_stage = cls.env["crm.stage"].search([("is_won", "=", True)], limit=1)

    def test_member_at_capacity_is_skipped_and_logged(self):
        self.set_capacity(rep1=1, rep2=5, rep3=5)
        self.load_leads(self.rep1, 1)
        leads = [self.new_lead(as_user=self.associate_a) for _i in range(4)]
        self.assertEqual([lead.user_id for lead in leads],
                         [self.rep2, self.rep3, self.rep2, self.rep3])
        logs = self.logs()
        self.assertEqual(logs.mapped("reason"), ["rotation"] * 4)
        self.assertEqual(logs.mapped("turn"), [1, 2, 3, 4])
        self.assertEqual(logs[0].skipped, "Rot Rep1: at capacity (1 of 1 open leads)")
        self.assertFalse(logs[1].skipped, "only the members passed over are named")
        self.assertFalse(self.pool.rotation_owed, "capacity is not an absence: no turn owed")
        member = self.pool.member_ids.create({"pool_id": self.pool.id, "user_id": self.rep1.id})
        self.assertEqual((member.capacity, member.capacity_load, member.at_capacity),
                         (1, 1, True))
        self.assertIn("Rot Rep1: 1 / 1", self.pool.capacity_text)
        self.assertIn("Rot Rep2: 2 / 5", self.pool.capacity_text)

    def test_open_leads_mode_counts_open_leads_of_the_team(self):
        self.set_capacity(rep1=1, rep2=0, rep3=0)
        load = self.load_leads(self.rep1, 1)
        # other teams' leads and other reps' leads do not count
        self.env["crm.lead"].create({"name": "Team A lead", "team_id": self.team_a.id,
                                     "user_id": self.rep1.id})
        self.assertEqual(self.new_lead().rotation_reason, "full")
        load.write({"stage_id": self.won_stage.id})
        lead = self.new_lead()
        self.assertEqual((lead.user_id, lead.rotation_reason), (self.rep1, "rotation"),
                         "a won lead is not open")
        lead.action_set_lost()
        self.assertFalse(lead.active)
        self.assertEqual(self.new_lead().user_id, self.rep1, "a lost lead is not open")
        self.assertEqual(self.new_lead().rotation_reason, "full", "the new lead is open")

    def test_thirty_day_window(self):
        self.pool.capacity_mode = "month"
        self.set_capacity(rep1=2, rep2=0, rep3=0)
        recent = self.load_leads(self.rep1, 2)
        self.set_date_open(recent, 10)
        recent[0].action_set_lost()
        recent[1].write({"stage_id": self.won_stage.id})
        old = self.load_leads(self.rep1, 3)
        self.set_date_open(old, 40)
        lead = self.new_lead()
        self.assertEqual((lead.user_id, lead.rotation_reason), (self.manager_a, "full"),
                         "lost and won leads received in the window count, older ones do not")
        self.assertEqual(self.logs().skipped.splitlines()[0],
                         "Rot Rep1: at capacity (2 of 2 leads in 30 days)")
        self.set_date_open(recent[0], 31)
        lead = self.new_lead()
        self.assertEqual((lead.user_id, lead.rotation_reason), (self.rep1, "rotation"))
        self.assertEqual(self.new_lead().rotation_reason, "full")

    def test_everyone_full_goes_to_fallback_and_emails_say_so(self):
        self.set_capacity(rep1=0, rep2=1, rep3=0)
        self.load_leads(self.rep2, 1)
        lead = self.new_lead(as_user=self.associate_a)
        self.assertEqual((lead.user_id, lead.rotation_reason), (self.manager_a, "full"))
        log = self.logs()
        self.assertEqual((log.reason, log.turn), ("full", 0))
        self.assertEqual(log.skipped.splitlines(), [
            "Rot Rep1: at capacity (0 of 0 open leads)",
            "Rot Rep2: at capacity (1 of 1 open leads)",
            "Rot Rep3: at capacity (0 of 0 open leads)",
        ])
        self.assertEqual(self.pool.rotation_turn, 0, "no turn was used")
        self.assertTrue(any("every available member at capacity" in body
                            for body in lead.message_ids.mapped("body")))
        self.assertEqual(self.env["crm.rotation.log"]._cron_send_pool_emails(), 1)
        mail = self.env["mail.mail"].sudo().search(
            [("model", "=", "crm.lead"), ("res_id", "=", lead.id),
             ("email_to", "=", "desk@example.com,boss@example.com")])
        self.assertEqual(len(mail), 1)
        self.assertIn("Rm Manager A", mail.subject)
        self.assertIn("Fallback owner: every available member at capacity", mail.body_html)
        # fallback for another reason says so, not 'capacity'
        self.rep2.away_until = fields.Date.context_today(self.pool)
        self.set_capacity(rep1=5)
        self.pool.excluded_user_ids = self.rep1 | self.rep3
        self.assertEqual(self.new_lead().rotation_reason, "fallback")

    def test_away_and_full_members_mixed(self):
        self.set_capacity(rep1=0, rep2=5, rep3=5)
        self.rep2.away_until = fields.Date.context_today(self.pool)
        self.assertEqual(self.new_lead().user_id, self.rep3)
        log = self.logs()
        self.assertIn("Rot Rep1: at capacity", log.skipped)
        self.assertIn("Rot Rep2: away until", log.skipped)
        self.assertEqual(self.pool.rotation_owed, {str(self.rep2.id): 1},
                         "the away member is owed the turn, the full one is not")
        self.set_capacity(rep3=1)
        lead = self.new_lead()
        self.assertEqual((lead.user_id, lead.rotation_reason), (self.manager_a, "full"),
                         "the members who are not away are all at capacity")

    def test_batch_counts_leads_given_in_the_batch(self):
        self.set_capacity(rep1=2, rep2=3, rep3=1)
        self.load_leads(self.rep2, 1)
        self.assign(self.customer_a, self.rep3)
        leads = self.env["crm.lead"].create(
            [{"name": f"Batch {i}", "team_id": self.team_r.id} for i in range(4)]
            + [{"name": "Sticky", "team_id": self.team_r.id, "partner_id": self.customer_a.id}]
            + [{"name": f"Batch {i}", "team_id": self.team_r.id} for i in range(4, 8)])
        self.assertEqual([lead.user_id.login for lead in leads], [
            "rot_rep1", "rot_rep2", "rot_rep3", "rot_rep1", "rot_rep3", "rot_rep2",
            "rm_manager_a", "rm_manager_a", "rm_manager_a"])
        self.assertEqual(leads[4].rotation_reason, "sticky",
                         "the customer's rep keeps its customer's leads, even at capacity")
        self.assertEqual(Counter(leads.mapped("rotation_reason")),
                         {"rotation": 5, "sticky": 1, "full": 3})
        self.assertEqual(self.pool.rotation_turn, 5)

    def test_capacity_is_odoo_team_member_capacity(self):
        """A listed team member's capacity is Odoo's assignment_max in the pool's
        team (both ways); a listed user outside the team has their own."""
        membership = self.team_r.crm_team_member_ids.filtered(lambda m: m.user_id == self.rep1)
        self.assertEqual(membership.assignment_max, 30, "Odoo's default")
        self.pool.member_ids = [(0, 0, {"user_id": self.rep1.id, "capacity": 4}),
                                (0, 0, {"user_id": self.associate_a.id, "capacity": 1})]
        line1, outsider = self.pool.member_ids
        self.assertEqual((line1.team_member_id, membership.assignment_max), (membership, 4))
        membership.with_user(self.manager_a).assignment_max = 6
        line1.invalidate_recordset()
        self.assertEqual(line1.capacity, 6, "edited in Odoo's sales team: the pool follows")
        self.assertFalse(outsider.team_member_id)
        self.assertEqual((outsider.capacity, outsider.own_capacity), (1, 1))
        self.set_capacity(rep2=0, rep3=0)
        users = [self.new_lead().user_id for _i in range(4)]
        self.assertEqual(users, [self.rep1, self.associate_a, self.rep1, self.rep1])
        self.assertIn("Rm Assoc A: at capacity (1 of 1 open leads)", self.logs()[3].skipped)
        with self.assertRaises(ValidationError):
            outsider.capacity = -1
        self.pool.capacity_mode = "none"
        self.assertFalse(self.pool.capacity_text)
        self.assertEqual(self.new_lead().user_id, self.associate_a,
                         "no limit: the normal order, loads or not")

    def test_pool_form(self):
        """The form: the option, the members' capacity and load, Load / Capacity."""
        self.set_capacity(rep1=1, rep2=5, rep3=5)
        self.load_leads(self.rep1, 1)
        with Form(self.pool) as form:
            form.capacity_mode = "month"
            with form.member_ids.new() as line:
                line.user_id = self.rep1
                self.assertEqual((line.capacity, line.capacity_load), (1, 1))
                line.capacity = 3
        self.assertEqual(self.pool.capacity_mode, "month")
        membership = self.team_r.crm_team_member_ids.filtered(lambda m: m.user_id == self.rep1)
        self.assertEqual(membership.assignment_max, 3, "saved to the team membership")
        self.assertEqual(self.pool.capacity_text.splitlines(),
                         ["Rot Rep1: 1 / 3", "Rot Rep2: 0 / 5", "Rot Rep3: 0 / 5"])

    def test_rights(self):
        """Administrators set capacities; managers read the loads; the loads count
        every lead, including those the creator may not see."""
        for user in (self.manager_a, self.associate_a):
            with self.assertRaises(AccessError):
                self.pool.with_user(user).write({"capacity_mode": "month"})
            with self.assertRaises(AccessError):
                self.env["crm.rotation.pool.member"].with_user(user).create(
                    {"pool_id": self.pool.id, "user_id": self.rep1.id, "capacity": 100})
        with self.assertRaises(AccessError):
            self.pool.with_user(self.associate_a).read(["capacity_text"])
        self.set_capacity(rep1=1, rep2=5, rep3=5)
        load = self.load_leads(self.rep1, 1)
        self.assertFalse(self.env["crm.lead"].with_user(self.associate_a).search(
            [("id", "in", load.ids)]), "the associate does not see the rep's lead")
        lead = self.new_lead(as_user=self.associate_a)
        self.assertEqual(lead.user_id, self.rep2, "the load counts it all the same")
        self.assertIn("Rot Rep1: 1 / 1",
                      self.pool.with_user(self.manager_a).capacity_text)
        self.assertIn("Rot Rep1: at capacity",
                      self.env["crm.rotation.log"].with_user(self.manager_a).search(
                          [("lead_id", "=", lead.id)]).skipped)
        self.pool.with_user(self.admin).capacity_mode = "month"
        self.assertEqual(self.pool.capacity_mode, "month")


@tagged("post_install", "-at_install")
class TestRotationCapacityRpc(CapacityMixin, RotationMixin, RelationshipHttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.setup_rotation_data()

    def test_rpc_lead_creation_respects_capacity(self):
        self.assertRpcFault("AccessError", self.manager_a, "crm.rotation.pool", "write",
                            [self.pool.id], {"capacity_mode": "open"})
        self.rpc(self.admin, "crm.rotation.pool", "write", [self.pool.id],
                 {"capacity_mode": "open"})
        self.set_capacity(rep1=1, rep2=1, rep3=0)
        self.load_leads(self.rep1, 1)
        self.env.flush_all()
        first = self.rpc(self.associate_a, "crm.lead", "create",
                         {"name": "RPC lead 1", "team_id": self.team_r.id})
        second = self.rpc(self.associate_a, "crm.lead", "create",
                          {"name": "RPC lead 2", "team_id": self.team_r.id})
        leads = self.env["crm.lead"].browse([first, second])
        self.assertEqual(leads.mapped("user_id"), self.rep2 | self.manager_a)
        self.assertEqual(leads.mapped("rotation_reason"), ["rotation", "full"])
        logs = self.rpc(self.manager_a, "crm.rotation.log", "search_read",
                        [("pool_id", "=", self.pool.id)], ["reason", "skipped"], order="id")
        self.assertEqual([log["reason"] for log in logs], ["rotation", "full"])
        self.assertIn("Rot Rep1: at capacity (1 of 1 open leads)", logs[0]["skipped"])
        self.assertIn("Rot Rep2: at capacity (1 of 1 open leads)", logs[1]["skipped"])
        texts = self.rpc(self.manager_a, "crm.rotation.pool", "read", [self.pool.id],
                         ["capacity_text"])
        self.assertIn("Rot Rep2: 1 / 1", texts[0]["capacity_text"])


# Its threads commit real transactions of their own: like the rotation pools'
# database concurrency test, not in Odoo's 'standard' set; `make test` runs it.
@tagged("post_install", "-at_install", "-standard", "crm_rm_db_concurrency")
class TestRotationCapacityDatabaseConcurrency(TransactionCase):
    """8 threads, each with its own database transactions, create leads through
    a committed capacity-aware pool at the same time. Waiting for the pool's
    lock makes their snapshots miss the previous holder's lead, which the loads
    must count anyway: no member ends over capacity, every capacity is filled,
    the rest goes to the fallback owner. Everything committed is removed."""

    def test_parallel_creations_never_exceed_capacity(self):
        dbname = self.env.cr.dbname

        def new_cursor():
            return sql_db.db_connect(dbname).cursor()
        users = self.env["res.users"].search(
            [("share", "=", False), ("company_ids", "in", self.env.company.id)],
            limit=4, order="id")
        self.assertEqual(len(users), 4)
        fallback, members = users[0], users[1:]
        team = self.env.ref("sales_team.team_sales_department")
        free = [2, 3, 4]  # leads each member may still take
        with new_cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            pool = env["crm.rotation.pool"].create({
                "name": "Capacity concurrency test pool", "company_id": env.company.id,
                "team_id": team.id, "use_team_members": False, "capacity_mode": "open",
                "fallback_user_id": fallback.id,
                "member_ids": [(0, 0, {"user_id": uid}) for uid in members.ids],
            })
            # members may be in the team (their capacity is then the membership's,
            # restored at the end) and have leads already: capacity = load + free
            memberships = {line.team_member_id.id: line.team_member_id.assignment_max
                           for line in pool.member_ids if line.team_member_id}
            loads = pool._capacity_loads(members.ids)
            for line, extra in zip(pool.member_ids, free):
                line.capacity = loads[line.user_id.id][1] + extra
            capacities = {uid: pool._capacity_loads(members.ids)[uid][0] for uid in members.ids}
            pool_id = pool.id
            cr.commit()  # pylint: disable=invalid-commit
        created, errors = [], []
        lock = threading.Lock()

        def work(index):
            for n in range(3):
                for attempt in range(40):
                    try:
                        with new_cursor() as cr:
                            env = api.Environment(cr, SUPERUSER_ID, {})
                            cr.execute("SELECT 1")  # start the snapshot early, like a request
                            lead = env["crm.lead"].create(
                                {"name": f"Capacity race {index}.{n}", "team_id": team.id})
                            if (index + n) % 4 == 0 and attempt == 0:
                                cr.rollback()  # a failed request: its lead does not count
                                continue
                            cr.commit()  # pylint: disable=invalid-commit
                        with lock:
                            created.append(lead.id)
                        break
                    except psycopg2.errors.SerializationFailure:
                        time.sleep(random.uniform(0.0, 0.01 * 2 ** min(attempt, 6)))
                    except Exception as exc:  # noqa: BLE001
                        with lock:
                            errors.append(repr(exc))
                        break

        try:
            race_behind_pool_lock(self.registry, work)
            self.assertEqual(errors, [])
            self.assertEqual(len(created), 24)
            with new_cursor() as cr:
                env = api.Environment(cr, SUPERUSER_ID, {})
                final = env["crm.rotation.pool"].browse(pool_id)._capacity_loads(members.ids)
                self.assertEqual({uid: load for uid, (_cap, load) in final.items()}, capacities,
                                 "every capacity filled, none exceeded")
                cr.execute("SELECT reason, count(*) FROM crm_rotation_log WHERE pool_id = %s "
                           "GROUP BY reason", (pool_id,))
                self.assertEqual(dict(cr.fetchall()), {"rotation": 9, "full": 15})
        finally:
            with new_cursor() as cr:
                cr.execute("DELETE FROM crm_lead WHERE rotation_pool_id = %s", (pool_id,))
                cr.execute("DELETE FROM crm_rotation_pool WHERE id = %s", (pool_id,))
                cr.execute(f"DROP SEQUENCE IF EXISTS crm_rotation_pool_seq_{pool_id}")
                for membership_id, capacity in memberships.items():
                    cr.execute("UPDATE crm_team_member SET assignment_max = %s WHERE id = %s",
                               (capacity, membership_id))
                cr.commit()  # pylint: disable=invalid-commit
