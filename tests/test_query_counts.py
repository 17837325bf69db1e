# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The constant-query claims, pinned with ``assertQueryCount``.

Each test measures the small case first (caches warmed by a first run, the
record cache emptied and everything flushed before each measurement), then
asserts that the large case costs the same number of queries, with Odoo's own
batch sizes raised (``without_orm_batches``) and the few measured statements
that still grow named where they are allowed: a query per customer, row, item
or pool member would make the large case fail by hundreds. Only the
public entry points are used (``crm.relationship._assign``, a batch started by
its manager and run by its cron job, ``res.partner.import_customers``, a lead
created in a team with a rotation pool), so the tests hold whatever the inside
looks like.
"""
import contextlib
from unittest.mock import patch

from odoo import fields, models, sql_db
from odoo.tests import new_test_user, tagged

from .common import BatchMixin, RelationshipCase, RotationMixin


@tagged("post_install", "-at_install", "crm_rm_query_count")
class TestQueryCounts(BatchMixin, RotationMixin, RelationshipCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Batch = cls.env["crm.relationship.batch"]
        cls.Partner = cls.env["res.partner"].with_context(tracking_disable=True)

    # helpers ------------------------------------------------------------------
    def rep(self, login, company=None):
        company = company or self.company_a
        user = new_test_user(
            self.env, login=login, password=login, groups="sales_team.group_sale_salesman",
            company_id=company.id, company_ids=[(6, 0, company.ids)],
            name=login.replace("_", " ").title(), email=f"{login}@example.com")
        self.team_a.member_ids |= user
        return user

    def customers(self, prefix, count, rep=None, leads=False):
        """``count`` customers of company A (with ``rep``), each with a contact
        and, with ``leads``, an open opportunity of the rep on the contact."""
        a = self.company_a
        partners = self.Partner.create([
            {"name": f"{prefix} {i:04d}", "is_company": True, "company_id": a.id,
             "external_ref": f"{prefix}-{i:04d}"}
            for i in range(count)
        ])
        contacts = self.Partner.create([
            {"name": f"Contact of {p.name}", "parent_id": p.id} for p in partners])
        if rep:
            self.assign(partners, rep)
            if leads:
                self.env["crm.lead"].with_context(tracking_disable=True).create([
                    {"name": f"Deal {c.name}", "type": "opportunity", "partner_id": c.id,
                     "user_id": rep.id, "team_id": self.team_a.id, "company_id": a.id}
                    for c in contacts
                ])
        return partners

    def prepare(self):
        """Same starting state for every measurement: everything written to the
        database, no record in the cache (the registry's caches stay warm)."""
        self.env.flush_all()
        self.env.cr.flush()
        self.env.invalidate_all()

    @contextlib.contextmanager
    def without_orm_batches(self):
        """Odoo's ORM writes 100 rows per INSERT/UPDATE and reads 1,000 ids per
        SELECT: on 1,000 customers and their contacts that alone adds about one
        statement per 100 rows. Raise those batch sizes above the test's sizes so
        that the counts compare the addon's own queries."""
        big = 10 ** 6
        with patch.object(models, "INSERT_BATCH_SIZE", big), \
                patch.object(models, "UPDATE_BATCH_SIZE", big), \
                patch.object(models, "PREFETCH_MAX", big), \
                patch.object(fields, "PREFETCH_MAX", big), \
                patch.object(models.BaseModel._in_cache_without, "__defaults__", (big,)), \
                patch.object(sql_db.Cursor, "IN_MAX", big):
            yield

    def count_queries(self, func):
        """The number of queries ``func`` makes, flushes included (measured like
        ``assertQueryCount``, which cannot report the number it measured)."""
        self.prepare()
        before = self.cr.sql_log_count
        # no random bus/cron garbage collection
        with patch("random.random", lambda: 1), self.without_orm_batches():
            func()
            self.env.flush_all()
            self.env.cr.flush()
        return self.cr.sql_log_count - before

    def assertSameQueryCount(self, expected, func, what):
        self.prepare()
        with self.without_orm_batches(), self.assertQueryCount(expected):
            func()
        # assertQueryCount only logs fewer queries: fewer is fine, more is not

    # crm.relationship._assign ----------------------------------------------------
    # The mass paths (batch, transfer, import) call _assign without Odoo's
    # per-record "you have been assigned" e-mail and Salesperson tracking message
    # (MASS); with them, each customer and each contact costs Odoo's own message
    # and e-mail queries, which no set-wise code can avoid.
    MASS = {"mail_auto_subscribe_no_notify": True, "tracking_disable": True}

    def test_assign_constant_in_customers(self):
        """Moving 1,000 customers (with contacts, open leads and activities, policy
        'all') to another rep costs the queries of moving 10."""
        self.company_a.task_follow_policy = "all"
        old, new = self.rep("qc_assign_old"), self.rep("qc_assign_new")
        warm = self.customers("QCW", 3, rep=old, leads=True)
        small = self.customers("QCS", 10, rep=old, leads=True)
        large = self.customers("QCL", 1000, rep=old, leads=True)
        call = self.env.ref("mail.mail_activity_data_call")
        self.env["mail.activity"].with_context(mail_activity_quick_update=True).create([
            {"res_model_id": self.env["ir.model"]._get_id("res.partner"), "res_id": p.id,
             "activity_type_id": call.id, "summary": "Follow up", "user_id": old.id}
            for p in warm | small | large
        ])

        def move(partners):
            return lambda: self.env["crm.relationship"].with_user(self.manager_a).with_company(
                self.company_a).with_context(**self.MASS)._assign(
                partners, new, company=self.company_a, reason="measured")

        move(warm)()
        queries = self.count_queries(move(small))
        self.assertSameQueryCount(queries, move(large), "_assign of 1,000 customers")
        # the change really happened: relationships and activities (the leads
        # themselves move with a transfer, a batch or Reassign resources)
        self.assertEqual({self.current(p).user_id for p in large}, {new})
        activities = self.env["mail.activity"].search(
            [("res_model", "=", "res.partner"), ("res_id", "in", large.ids)])
        self.assertEqual((len(activities), activities.user_id), (1000, new))

    def test_assign_first_rep_constant_in_customers(self):
        """Giving 1,000 customers without a rep their first rep costs the queries of 10."""
        rep = self.rep("qc_first_rep")
        warm, small, large = (self.customers(p, n) for p, n in
                              (("QFW", 3), ("QFS", 10), ("QFL", 1000)))

        def assign(partners):
            return lambda: self.env["crm.relationship"].with_user(self.manager_a).with_company(
                self.company_a).with_context(**self.MASS)._assign(
                partners, rep, company=self.company_a)

        assign(warm)()
        queries = self.count_queries(assign(small))
        # measured: Odoo's flush writes the new Salesperson of the 2,000 partners
        # (customers and contacts) in two UPDATE statements instead of one
        self.assertSameQueryCount(queries + 1, assign(large), "first _assign of 1,000 customers")
        self.assertEqual({self.current(p).user_id for p in large}, {rep})
        self.assertEqual(set(large.with_company(self.company_a).mapped("user_id")), {rep})

    # crm.relationship.batch -------------------------------------------------------
    def test_batch_chunk_constant_in_items(self):
        """One chunk of 100 customers (with contacts and open leads) costs the
        queries of one chunk of 10."""
        target = self.rep("qc_batch_target")

        def batch_of(login, count):
            source = self.rep(login)
            partners = self.customers(login.upper(), count, rep=source, leads=True)
            batch = self.new_batch([(self.rep_line(source), [(target, 0)])], chunk_size=count)
            batch.with_user(self.manager_a).action_start()
            self.assertEqual(batch.items_total, count)
            return batch, partners

        cron = self.env.ref("crm_relationship_manager.ir_cron_crm_relationship_batch")

        def run_one_chunk():
            # the cron job, as the scheduler runs it: the one queued batch is one chunk
            cron.method_direct_trigger()

        warm, _partners = batch_of("qc_src_warm", 3)
        run_one_chunk()
        self.assertEqual(warm.state, "done")
        small, _partners = batch_of("qc_src_small", 10)
        queries = self.count_queries(run_one_chunk)
        self.assertEqual(small.state, "done")
        large, partners = batch_of("qc_src_large", 100)
        self.assertSameQueryCount(queries, run_one_chunk, "a batch chunk of 100 customers")
        self.assertEqual(large.state, "done")
        self.assertEqual(large.items_processed, 100)
        self.assertEqual(set(self.current(p).user_id for p in partners), {target})
        leads = self.env["crm.lead"].search([("partner_id", "child_of", partners.ids)])
        self.assertEqual((len(leads), leads.user_id), (100, target))

    # res.partner.import_customers ---------------------------------------------------
    def import_rows(self, prefix, count, rep, other, updates=True):
        """``count`` rows: 40% new customers, 30% updates of the rep's own
        customers (or, without ``updates``, more new ones), 30% transfers."""
        n_own = count * 3 // 10 if updates else 0
        n_other = count * 3 // 10
        n_new = count - n_own - n_other
        own = self.customers(f"{prefix}O", n_own, rep=rep)
        theirs = self.customers(f"{prefix}T", n_other, rep=other)
        rows = [{"external_ref": f"{prefix}N-{i:04d}", "name": f"New {prefix} {i}",
                 "city": "Springfield"} for i in range(n_new)]
        rows += [{"external_ref": p.external_ref, "city": "Springfield"} for p in own]
        rows += [{"external_ref": p.external_ref} for p in theirs]
        return rows

    def run_import(self, rows, rep):
        def call():
            result = self.env["res.partner"].with_user(self.manager_a).import_customers(
                rows, transfer_mode=True, rep_id=rep.id)
            self.assertFalse(result["counts"]["error"], result)
        return call

    def test_import_constant_in_rows(self):
        """Importing 1,000 rows (new customers, transfers from another rep) costs
        the queries of importing 10 rows of the same mix."""
        rep, other = self.rep("qc_import_rep"), self.rep("qc_import_other")
        self.run_import(self.import_rows("IW", 10, rep, other), rep)()
        small = self.import_rows("IS", 10, rep, other, updates=False)
        queries = self.count_queries(self.run_import(small, rep))
        large = self.import_rows("IL", 1000, rep, other, updates=False)
        # the rows are applied in savepoints of 500 rows: 1,000 rows are two such
        # batches, and a batch costs 11 statements whatever its rows (savepoint
        # and release, the customer number check, create, the Salesperson in the
        # per-company and the plain column, _assign's reads and insert)
        self.assertSameQueryCount(queries + 11, self.run_import(large, rep),
                                  "import of 1,000 rows")
        customers = self.env["res.partner"].search([("external_ref", "=like", "IL%")])
        self.assertEqual(len(customers), 1000)
        self.assertEqual({self.current(p).user_id for p in customers}, {rep})

    def test_import_updates_cost_only_odoo_write_loop(self):
        """Updated customers cost no query of the addon per row: the only growth
        is Odoo's own res.partner.write, which loops over the partners (their
        users' rights, then the sync of their contacts): 2 queries per customer."""
        rep, other = self.rep("qc_update_rep"), self.rep("qc_update_other")
        self.run_import(self.import_rows("UW", 10, rep, other), rep)()
        queries = self.count_queries(self.run_import(self.import_rows("US", 10, rep, other), rep))
        rows = self.import_rows("UL", 100, rep, other)
        updated = 100 * 3 // 10 - 10 * 3 // 10
        self.assertSameQueryCount(queries + 2 * updated, self.run_import(rows, rep),
                                  "import of 100 rows, 30 of them updates")
        own = self.env["res.partner"].search([("external_ref", "=like", "ULO%")])
        self.assertEqual((len(own), set(own.mapped("city"))), (30, {"Springfield"}))

    # rotation pool --------------------------------------------------------------------
    def test_rotation_pick_constant(self):
        """A lead created in a team with a pool costs the same queries whatever
        the pool's size and history."""
        self.setup_rotation_data()

        def new_lead():
            self.env["crm.lead"].with_user(self.associate_a).create(
                {"name": "Web lead", "team_id": self.team_r.id})

        for _i in range(3):  # warm up; every member has had a turn
            new_lead()
        queries = self.count_queries(new_lead)
        # thirty more members and a long history of turns
        extra = self.env["res.users"]
        for i in range(30):
            extra |= new_test_user(
                self.env, login=f"qc_rot_{i}", password=f"qc_rot_{i}",
                groups="sales_team.group_sale_salesman", company_id=self.company_a.id,
                company_ids=[(6, 0, self.company_a.ids)], name=f"Qc Rot {i}")
        self.team_r.member_ids |= extra
        for _i in range(60):
            new_lead()
        self.assertEqual(len(self.logs()), 64)
        self.assertSameQueryCount(queries, new_lead, "a rotation pick in a pool of 33")
        self.assertEqual(len(self.logs()), 65)
        self.assertIn(self.logs()[-1].user_id, self.reps | extra)

    def test_rotation_pick_with_capacity_constant(self):
        """Capacities cost one query per pick batch (the loads of all members, read
        under the pool's lock), whatever the pool's size, the members' loads and
        the number of leads in the batch."""
        self.setup_rotation_data()

        def new_lead():
            self.env["crm.lead"].with_user(self.associate_a).create(
                {"name": "Web lead", "team_id": self.team_r.id})

        def new_leads():
            self.env["crm.lead"].with_user(self.associate_a).create(
                [{"name": f"Web lead {i}", "team_id": self.team_r.id} for i in range(20)])

        # a listed member outside the team, with a capacity of its own
        self.pool.member_ids = [(0, 0, {"user_id": self.associate_a2.id, "capacity": 1000})]
        for _i in range(4):  # warm up; every member has had a turn
            new_lead()
        new_leads()
        without_capacity = self.count_queries(new_lead)
        batch_without_capacity = self.count_queries(new_leads)
        self.pool.capacity_mode = "open"
        self.team_r.crm_team_member_ids.assignment_max = 1000
        new_lead()
        queries = self.count_queries(new_lead)
        self.assertEqual(queries, without_capacity + 1, "one query for the members' loads")
        self.assertEqual(self.count_queries(new_leads), batch_without_capacity + 1,
                         "one query for the loads of a batch of 20 leads")
        # thirty more members, and loads
        extra = self.env["res.users"]
        for i in range(30):
            extra |= new_test_user(
                self.env, login=f"qc_cap_{i}", password=f"qc_cap_{i}",
                groups="sales_team.group_sale_salesman", company_id=self.company_a.id,
                company_ids=[(6, 0, self.company_a.ids)], name=f"Qc Cap {i}")
        self.team_r.member_ids |= extra
        self.team_r.crm_team_member_ids.assignment_max = 1000
        for _i in range(60):
            new_lead()
        self.assertSameQueryCount(queries, new_lead, "a capacity-aware pick in a pool of 34")
        self.assertIn(self.logs()[-1].user_id, self.reps | extra | self.associate_a2)
        self.assertEqual(self.logs()[-1].reason, "rotation")
        # every member full: each one is named in the log as skipped (their names
        # read at once), the lead goes to the fallback owner
        self.team_r.crm_team_member_ids.assignment_max = 0
        self.pool.member_ids.filtered(lambda m: m.user_id == self.associate_a2).capacity = 0

        def cold_lead():  # as in a new request: nothing of the members in the cache
            self.env.invalidate_all()
            new_lead()

        cold_lead()
        self.assertEqual(self.logs()[-1].reason, "full")
        self.assertEqual(len(self.logs()[-1].skipped.splitlines()), 34)
        full = self.count_queries(cold_lead)
        self.team_r.member_ids -= extra
        cold_lead()
        self.assertEqual(len(self.logs()[-1].skipped.splitlines()), 4)
        self.assertSameQueryCount(full, cold_lead, "a pick where all 4 members are full, "
                                  "as where all 34 are")
