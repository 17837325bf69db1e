# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Shared fixtures: two companies sharing a customer, reps, managers, admin.

``RelationshipCase`` is a TransactionCase; ``RelationshipHttpCase`` adds real
XML-RPC calls as a given user, through ``HttpCase``'s own ``xmlrpc_object``
(the server shares the test transaction). The feature mixins below
(``LeadColleagueMixin``, ``RotationMixin``, ``TaskFollowMixin``, ``BatchMixin``)
add each feature's data on top and are combined with either case.
"""
import threading
import time
import xmlrpc.client
from collections import Counter
from datetime import timedelta
from unittest.mock import patch

from odoo import fields
from odoo.tests import HttpCase, TransactionCase, new_test_user
from odoo.tests.common import Transport

from ..context_keys import SERVER


class RelationshipMixin:
    @classmethod
    def setup_relationship_data(cls):
        env = cls.env
        cls.company_a = env.company
        cls.company_a.name = "Company A"
        cls.company_b = env["res.company"].create({"name": "Company B"})
        cls.role_am = env.ref("crm_relationship_manager.role_account_manager")
        cls.role_cs = env["crm.relationship.role"].search([("name", "=", "Support Lead")]) or \
            env["crm.relationship.role"].create({"name": "Support Lead", "sequence": 50})
        for company in cls.company_a | cls.company_b:
            company.relationship_primary_role_id = cls.role_am

        def user(login, groups, companies, company=None, **kw):
            return new_test_user(
                env, login=login, password=login, groups=groups + ",base.group_allow_export",
                company_id=(company or companies[0]).id,
                company_ids=[(6, 0, [c.id for c in companies])],
                name=login.replace("_", " ").title(), email=f"{login}@example.com", **kw,
            )

        a, b = cls.company_a, cls.company_b
        cls.admin = user("rm_admin", "base.group_system,sales_team.group_sale_manager", [a, b])
        cls.manager_a = user("rm_manager_a", "sales_team.group_sale_manager", [a])
        cls.manager_b = user("rm_manager_b", "sales_team.group_sale_manager", [b], company=b)
        cls.associate_a = user("rm_assoc_a", "sales_team.group_sale_salesman", [a])
        cls.associate_a2 = user("rm_assoc_a2", "sales_team.group_sale_salesman", [a])
        cls.associate_b = user("rm_assoc_b", "sales_team.group_sale_salesman", [b], company=b)
        cls.user_ab = user("rm_user_ab", "sales_team.group_sale_manager", [a, b])
        cls.team_leader = user("rm_team_lead", "crm_relationship_manager.group_relationship_manager,"
                               "sales_team.group_sale_salesman", [a])
        cls.portal = new_test_user(env, login="rm_portal", password="rm_portal",
                                   groups="base.group_portal", company_id=a.id)
        cls.archived = user("rm_archived", "sales_team.group_sale_salesman", [a])
        cls.archived.active = False

        Partner = env["res.partner"].with_context(tracking_disable=True)
        # a customer shared by both companies (no company set)
        cls.shared = Partner.create({"name": "Shared Customer", "is_company": True})
        cls.shared_contact = Partner.create({"name": "Shared Contact", "parent_id": cls.shared.id})
        cls.customer_a = Partner.create({"name": "Customer A", "is_company": True, "company_id": a.id})
        cls.customer_a2 = Partner.create({"name": "Customer A2", "is_company": True, "company_id": a.id})
        cls.customer_b = Partner.create({"name": "Customer B", "is_company": True, "company_id": b.id})

        cls.team_a = env["crm.team"].create({
            "name": "Team A", "company_id": a.id, "user_id": cls.manager_a.id,
            "member_ids": [(6, 0, (cls.associate_a | cls.associate_a2).ids)],
        })
        cls.team_b = env["crm.team"].create({
            "name": "Team B", "company_id": b.id, "user_id": cls.manager_b.id,
            "member_ids": [(6, 0, cls.associate_b.ids)],
        })

    def assign(self, partners, user, company=None, role=None, as_user=None, **kw):
        Rel = self.env["crm.relationship"]
        company = company or self.company_a
        if as_user:
            Rel = Rel.with_user(as_user)
        return Rel.with_company(company)._assign(partners, user, role=role, company=company, **kw)

    def current(self, partner, company=None, role=None):
        return self.env["crm.relationship"].sudo().search([
            ("partner_id", "=", partner.id),
            ("company_id", "=", (company or self.company_a).id),
            ("role_id", "=", (role or self.role_am).id),
            ("is_current", "=", True),
        ])


class RelationshipCase(RelationshipMixin, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.setup_relationship_data()


class RelationshipHttpCase(RelationshipMixin, HttpCase):
    """Real XML-RPC calls; the server shares the test transaction."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.setup_relationship_data()

    def setUp(self):
        super().setUp()
        # HttpCase's own proxy (its transport flushes the test cursor before each
        # call), sending None as <nil/> like Odoo's server and common clients do
        self.xmlrpc_object = xmlrpc.client.ServerProxy(
            self.xmlrpc_url + "object", transport=Transport(self.cr), use_datetime=True,
            allow_none=True)

    def rpc(self, user, model, method, *args, **kwargs):
        """``execute_kw`` as ``user`` (password = login) over XML-RPC, through
        ``HttpCase``'s ``xmlrpc_object``; a call from another thread (parallel
        clients) gets a connection of its own, a ServerProxy not being thread-safe."""
        proxy = self.xmlrpc_object
        if threading.current_thread() is not threading.main_thread():
            proxy = xmlrpc.client.ServerProxy(self.xmlrpc_url + "object", allow_none=True)
        return proxy.execute_kw(self.env.cr.dbname, user.id, user.login, model,
                                             method, list(args), kwargs)

    # /xmlrpc/2 fault codes (odoo/addons/base/controllers/rpc.py)
    FAULT_CODES = {"AccessError": 4, "UserError": 2, "ValidationError": 2, "AccessDenied": 3}

    def assertRpcFault(self, fault_type, user, model, method, *args, message=None, **kwargs):
        """Assert the XML-RPC call fails with ``fault_type`` ('AccessError', 'UserError',
        'ValidationError') and, optionally, that its message contains ``message``."""
        with self.assertRaises(xmlrpc.client.Fault) as ctx:
            self.rpc(user, model, method, *args, **kwargs)
        fault = ctx.exception
        self.assertEqual(fault.faultCode, self.FAULT_CODES[fault_type], fault.faultString)
        if message:
            self.assertIn(message, fault.faultString)
        return fault.faultString


class LeadColleagueMixin:
    @classmethod
    def setup_shared_lead(cls):
        """Company A's lead offered to and accepted by company B."""
        env = cls.env
        a, b = cls.company_a, cls.company_b
        Lead = env["crm.lead"].with_context(mail_create_nolog=False)
        cls.lead_a = Lead.with_user(cls.associate_a).with_context(allowed_company_ids=a.ids).create({
            "name": "Shared Deal", "type": "opportunity", "partner_id": cls.shared.id,
            "expected_revenue": 5000, "company_id": a.id, "team_id": cls.team_a.id,
            "description": "<p>Needs 40 seats</p>",
        }).with_env(env)
        # A's own chatter, followers and activities name A's colleague
        cls.lead_a.with_user(cls.manager_a).message_post(
            body="Private note for Rm Assoc A", message_type="comment",
            subtype_xmlid="mail.mt_note")
        cls.lead_a.with_user(cls.associate_a).activity_schedule(
            "mail.mail_activity_data_call", user_id=cls.associate_a.id, summary="Call them")
        cls.meeting_a = env["calendar.event"].with_user(cls.associate_a).create({
            "name": "Demo at Shared Customer", "opportunity_id": cls.lead_a.id,
            "res_model_id": env["ir.model"]._get_id("crm.lead"), "res_id": cls.lead_a.id,
            "user_id": cls.associate_a.id, "partner_ids": [(6, 0, cls.associate_a.partner_id.ids)],
            "start": "2030-01-10 10:00:00", "stop": "2030-01-10 11:00:00",
        })
        cls.lead_a.with_user(cls.manager_a).write({"user_id": cls.associate_a2.id})
        cls.lead_a.with_user(cls.manager_a).write({"user_id": cls.associate_a.id})
        Offer = env["crm.lead.offer"]
        env.invalidate_all()
        cls.offer = Offer.with_user(cls.associate_a).with_context(allowed_company_ids=a.ids)._offer_leads(
            cls.lead_a.with_user(cls.associate_a), b,
            note="Please take over the on-site work").with_env(env)
        env.invalidate_all()  # no value read by another user may hide an access error
        action = cls.offer.with_user(cls.associate_b).with_context(allowed_company_ids=b.ids).action_accept()
        cls.lead_b = env["crm.lead"].browse(action["res_id"])
        # the hidden names: A's colleague and A's other user
        cls.a_names = (cls.associate_a.name, cls.associate_a2.name, cls.manager_a.name)
        cls.a_users = cls.associate_a | cls.associate_a2 | cls.manager_a

    def as_b(self, model, user=None):
        user = user or self.associate_b
        return self.env[model].with_user(user).with_context(allowed_company_ids=self.company_b.ids).with_context(
            allowed_company_ids=self.company_b.ids)


def race_behind_pool_lock(registry, work, count=8):
    """Run ``work(index)`` in ``count`` threads at once, each with transactions of
    its own, while a pool's turn state is saved slowly: the waiting transactions
    pile up behind the pool's lock and really overlap with its holder."""
    Pool = registry["crm.rotation.pool"]
    save_state = Pool._save_state

    def slow_save_state(pool, *args):
        time.sleep(0.01)
        return save_state(pool, *args)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(count)]
    with patch.object(Pool, "_save_state", slow_save_state):
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()


class RotationMixin:
    @classmethod
    def setup_rotation_data(cls):
        env = cls.env
        a = cls.company_a

        def rep(login):
            return new_test_user(
                env, login=login, password=login, groups="sales_team.group_sale_salesman",
                company_id=a.id, company_ids=[(6, 0, a.ids)],
                name=login.replace("_", " ").title(), email=f"{login}@example.com",
            )

        cls.rep1, cls.rep2, cls.rep3 = rep("rot_rep1"), rep("rot_rep2"), rep("rot_rep3")
        cls.reps = cls.rep1 | cls.rep2 | cls.rep3
        # manager_a (Sales Administrator) is a member too: left out unless listed
        cls.team_r = env["crm.team"].create({
            "name": "Rotation Team", "company_id": a.id, "user_id": cls.manager_a.id,
            "member_ids": [(6, 0, (cls.reps | cls.manager_a).ids)],
        })
        cls.pool = env["crm.rotation.pool"].create({
            "name": "Team pool", "company_id": a.id, "team_id": cls.team_r.id,
            "notify_emails": "desk@example.com, boss@example.com",
        })
        cls.source_web = env["utm.source"].create({"name": "Rotation web"})

    def new_lead(self, as_user=None, **vals):
        Lead = self.env["crm.lead"]
        if as_user:
            Lead = Lead.with_user(as_user)
        values = {"name": "Lead", "team_id": self.team_r.id, **vals}
        return self.env["crm.lead"].browse(Lead.create(values).id)

    def logs(self, pool=None):
        return self.env["crm.rotation.log"].search(
            [("pool_id", "=", (pool or self.pool).id)], order="id")


MANUAL = {"crm_rm_activity_manual": SERVER}


class TaskFollowMixin:
    """Fixtures: customer A (with a contact) handled by associate A, open work on it."""

    @classmethod
    def setup_task_follow_data(cls):
        env = cls.env
        cls.call = env.ref("mail.mail_activity_data_call")
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
        a, manager = self.associate_a, self.manager_a
        spec = [  # key, record, assigned to, manual
            ("partner_auto", self.customer_a, a, False),
            ("partner_manual", self.customer_a, a, True),
            ("contact_auto", self.contact_a, a, False),
            ("lead_auto", self.lead, a, False),
            ("lead_manual", self.lead, a, True),
            ("won_lead", self.won_lead, a, False),
            ("third_party", self.customer_a, manager, False),
            ("other_customer", self.customer_a2, a, False),
        ]
        return {
            key: self.activity(record, user, manual=manual,
                               summary=f"{key.replace('_', ' ')} work")
            for key, record, user, manual in spec
        }

    def set_policy(self, policy, company=None):
        (company or self.company_a).task_follow_policy = policy
        self.env.flush_all()  # visible to the XML-RPC server too

    def handover_mails(self, user=None):
        """The handover e-mails to ``user``, after the queue's cron job ran."""
        self.env["crm.task.follow.handover"]._cron_send_mails()
        user = user or self.associate_a2
        return self.env["mail.mail"].sudo().search([
            ("recipient_ids", "in", user.partner_id.ids),
            ("subject", "ilike", "handed over to you"),
        ])

    def changer_notifications(self):
        """In-app notifications about handed-over work: still pending for the
        commit, or already written to bus.bus (load() flushes the cursor)."""
        values = list(self.env.cr.precommit.data.get("bus.bus.values", []))
        values += self.env["bus.bus"].sudo().search_read(
            [("message", "like", "handed over")], ["message"])
        return [v for v in values if '"simple_notification"' in v["message"]
                and "handed over" in v["message"]]


class BatchMixin:
    @classmethod
    def setup_batch_data(cls, count=20):
        env, a = cls.env, cls.company_a

        def rep(login):
            return new_test_user(env, login=login, password=login,
                                 groups="sales_team.group_sale_salesman", company_id=a.id,
                                 company_ids=[(6, 0, a.ids)], name=login.replace("_", " ").title(),
                                 email=f"{login}@example.com")

        cls.rep_c = rep("rm_rep_c")
        cls.rep_d = rep("rm_rep_d")
        cls.team_a.member_ids |= cls.rep_c | cls.rep_d
        Partner = env["res.partner"].with_context(tracking_disable=True)
        cls.book = Partner.create([
            {"name": f"Book Customer {i:02d}", "is_company": True, "company_id": a.id}
            for i in range(count)
        ])
        env["crm.relationship"].with_company(a)._assign(
            cls.book, cls.associate_a, company=a, reason="setup")
        cls.Batch = env["crm.relationship.batch"]

    def setUp(self):
        super().setUp()
        # the cron commits after each chunk; a test transaction cannot: count instead
        self.commits = []
        self.patch(type(self.Batch), "_batch_commit",
                   lambda batch: self.commits.append(batch.env.cr))

    def new_batch(self, lines, user=None, **vals):
        """lines: list of (line vals, [(target user, share), ...])"""
        return self.Batch.with_user(user or self.manager_a).create(dict(vals, line_ids=[
            (0, 0, dict(line, target_ids=[(0, 0, {"user_id": u.id, "share": s, "sequence": i})
                                          for i, (u, s) in enumerate(targets)]))
            for line, targets in lines
        ]))

    def rep_line(self, source=None, **kw):
        return dict({"kind": "rep", "source_user_id": (source or self.associate_a).id}, **kw)

    def run_cron(self, **kw):
        return self.Batch._cron_process_batches(**kw)

    def current_user(self, partner, role=None, company=None):
        return self.current(partner, company=company, role=role).user_id

    def result_counts(self, batch):
        rels = self.env["crm.relationship"].search([
            ("batch_id", "=", batch.id), ("is_current", "=", True)])
        return Counter(rel.user_id.name for rel in rels)

    def preview_counts(self, batch):
        return Counter({t.user_id.name: t.preview_count
                        for t in batch.line_ids.target_ids if t.preview_count})
