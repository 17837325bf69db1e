# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Clients control nothing but data: every custom context key the addon reads
is declared in ``context_keys.CONTEXT_KEYS``, and each server-only one, sent by
an XML-RPC client, changes nothing (history, notifications, activities, pool
assignment). Driven by the declared list: a new key is tested as soon as it is
declared, and reading an undeclared key fails ``test_keys_are_declared``."""
import re
from pathlib import Path

from odoo.tests import tagged

from ..context_keys import CONTEXT_KEYS
from .common import RelationshipHttpCase

ADDON = Path(__file__).resolve().parent.parent

# what a client would send for a key (the default is True); ids are resolved
# in the test (names of the fixtures)
CLIENT_VALUES = {
    "crm_rel_source": "mass",
    "crm_rel_reason": "forged reason",
    "crm_task_follow_policy": "none",
    "crm_rm_keep_activities_of": "users",
    "crm_rm_rotation_skip_user_ids": "pool_reps",
}


@tagged("post_install", "-at_install")
class TestContextKeys(RelationshipHttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        a = cls.company_a
        # the company's policy moves every activity: a forged policy or skip would not
        a.task_follow_policy = "all"
        cls.reps = env["res.users"]
        for login in ("ck_rep1", "ck_rep2"):
            cls.reps |= env["res.users"].create({
                "name": login, "login": login, "email": f"{login}@example.com",
                "company_id": a.id, "company_ids": [(6, 0, a.ids)],
                "groups_id": [(6, 0, [env.ref("sales_team.group_sale_salesman").id])]})
        cls.team_r = env["crm.team"].create({
            "name": "Keys Team", "company_id": a.id, "user_id": cls.manager_a.id,
            "member_ids": [(6, 0, cls.reps.ids)]})
        cls.pool = env["crm.rotation.pool"].create({
            "name": "Keys pool", "company_id": a.id, "team_id": cls.team_r.id,
            "fallback_user_id": cls.manager_a.id})
        cls.todo = env.ref("mail.mail_activity_data_todo")

    def rpc(self, *args, **kwargs):
        # the server reads the database: what the test wrote through the ORM first
        self.env.flush_all()
        result = super().rpc(*args, **kwargs)
        self.env.invalidate_all()
        return result

    def client_value(self, key):
        value = CLIENT_VALUES.get(key, True)
        if value == "users":
            return (self.associate_a | self.associate_a2 | self.manager_a).ids
        if value == "pool_reps":
            return self.reps.ids
        return value

    def messages_to(self, partner, since):
        return self.env["mail.message"].sudo().search_count(
            [("id", ">", since), ("partner_ids", "in", partner.ids)])

    def scenario(self, context):
        """Every call a key could change, as an associate and a manager over
        XML-RPC with ``context``; returns what came out, without record ids."""
        env = self.env
        Partner = env["res.partner"].with_context(tracking_disable=True)
        a = self.company_a
        c1, c2, c3 = (Partner.create({"name": f"Keys {i}", "is_company": True,
                                      "company_id": a.id}) for i in range(3))
        self.assign(c1, self.associate_a2)
        self.assign(c3, self.associate_a)
        act_c1 = c1.activity_schedule(act_type_xmlid="mail.mail_activity_data_todo",
                                      user_id=self.associate_a2.id)
        lead = env["crm.lead"].create({"name": "Keys lead", "type": "opportunity",
                                       "user_id": self.associate_a.id,
                                       "team_id": self.team_a.id, "company_id": a.id})
        lead_b = env["crm.lead"].create({"name": "Keys lead B", "type": "opportunity",
                                         "user_id": self.associate_b.id,
                                         "company_id": self.company_b.id})
        env["crm.lead.offer"].sudo().create({
            "name": "Keys offer", "state": "accepted", "company_id": a.id,
            "to_company_id": self.company_b.id, "lead_id": lead.id, "to_lead_id": lead_b.id})
        moved = env["crm.lead"].create({"name": "Keys moved", "type": "opportunity",
                                        "user_id": self.associate_a.id, "company_id": a.id})
        act_moved = moved.activity_schedule(act_type_xmlid="mail.mail_activity_data_todo",
                                            user_id=self.associate_a.id)
        stage = env["crm.stage"].search([("id", "!=", lead.stage_id.id)], limit=1)
        env.flush_all()
        since = env["mail.message"].sudo().search([], order="id desc", limit=1).id
        kw = {"context": context}
        out = {}

        def rel(partner):
            current = self.current(partner)
            return (current.user_id.login, current.source, current.reason)

        # relationships: an associate hands over (relationship write) and takes
        # an unowned customer (Salesperson write); a manager creates one
        rel_c1 = self.current(c1)
        self.rpc(self.associate_a2, "crm.relationship", "write", [rel_c1.id],
                 {"user_id": self.associate_a.id}, **kw)
        self.rpc(self.associate_a, "res.partner", "write", [c2.id],
                 {"user_id": self.associate_a.id}, **kw)
        self.rpc(self.manager_a, "crm.relationship", "create",
                 [{"partner_id": c3.id, "user_id": self.associate_a2.id}], **kw)
        self.rpc(self.manager_a, "res.partner", "write", [c2.id],
                 {"user_id": self.associate_a2.id}, **kw)
        env.invalidate_all()
        out["relationships"] = [rel(c1), rel(c2), rel(c3)]
        out["c1 activity follows"] = act_c1.exists().user_id.login
        # leads: a pool assigns a new lead; stage, activity and note by a manager
        lead_id = self.rpc(self.associate_a, "crm.lead", "create",
                           {"name": "Keys pooled", "team_id": self.team_r.id}, **kw)
        pooled = env["crm.lead"].browse(lead_id)
        out["pool"] = (pooled.user_id in self.reps, pooled.rotation_pool_id == self.pool)
        self.rpc(self.manager_a, "crm.lead", "write", [lead.id], {"stage_id": stage.id}, **kw)
        self.rpc(self.manager_a, "crm.lead", "write", [moved.id],
                 {"user_id": self.associate_a2.id}, **kw)
        out["lead activity follows"] = act_moved.exists().user_id.login
        activity_id = self.rpc(self.manager_a, "mail.activity", "create", {
            "res_model_id": env["ir.model"]._get_id("crm.lead"), "res_id": lead.id,
            "activity_type_id": self.todo.id, "user_id": self.manager_a.id,
            "summary": "Keys call"}, **kw)
        out["activity automated"] = env["mail.activity"].browse(activity_id).automated
        self.rpc(self.manager_a, "crm.lead", "message_post", [lead.id],
                 body="Keys note", message_type="comment", subtype_xmlid="mail.mt_note", **kw)
        env.invalidate_all()
        out["colleague told"] = self.messages_to(self.associate_a.partner_id, since)
        out["other company told"] = self.messages_to(self.associate_b.partner_id, since)
        out["relayed notes"] = env["mail.message"].sudo().search_count(
            [("id", ">", since), ("model", "=", "crm.lead"), ("res_id", "=", lead_b.id)])
        # an activity deleted by its user is deleted
        own = lead.activity_schedule(act_type_xmlid="mail.mail_activity_data_todo",
                                     user_id=self.associate_a.id)
        self.rpc(self.associate_a, "mail.activity", "unlink", [own.id], **kw)
        env.invalidate_all()
        out["deleted activity kept"] = bool(own.exists())
        return out

    def test_keys_sent_by_clients_change_nothing(self):
        baseline = self.scenario({})
        # the scenario does observe what the keys would change
        self.assertEqual(baseline["relationships"][0], (self.associate_a.login, "odoo", False))
        self.assertEqual(baseline["c1 activity follows"], self.associate_a.login)
        self.assertEqual(baseline["lead activity follows"], self.associate_a2.login)
        self.assertEqual(baseline["pool"], (True, True))
        self.assertTrue(baseline["activity automated"])
        self.assertTrue(baseline["colleague told"])
        self.assertTrue(baseline["relayed notes"])
        self.assertFalse(baseline["deleted activity kept"])
        server_only = [key for key in CONTEXT_KEYS.values() if key.server_only]
        self.assertGreaterEqual(len(server_only), 12)
        for key in server_only:
            with self.subTest(key=key.name):
                self.assertEqual(self.scenario({key.name: self.client_value(key.name)}),
                                 baseline)
        # and all of them at once
        self.assertEqual(self.scenario({key.name: self.client_value(key.name)
                                        for key in server_only}), baseline)

    def test_keys_are_declared(self):
        """The addon reads its context keys through the declared constants only,
        and every declared key is read somewhere."""
        direct = re.compile(
            r"""(?:context|ctx)\.get\(\s*["'](crm_\w+)|"""
            r"""with_context\([^)]*?\b(crm_\w+)\s*=|"""
            r"""server_value\([^,]+,\s*["'](crm_\w+)""")
        sources = [path for folder in ("models", "wizards") for path in (ADDON / folder).glob("*.py")]
        sources += [ADDON / "hooks.py"]
        text = {path: path.read_text() for path in sources}
        for path, content in text.items():
            for match in direct.finditer(content):
                name = next(group for group in match.groups() if group)
                self.fail(f"{path.name} reads or sets the context key {name} directly; "
                          "declare it in context_keys.py and use its constant")
        constants = (ADDON / "context_keys.py").read_text()
        every = "\n".join(text.values())
        for key in CONTEXT_KEYS.values():
            self.assertTrue(key.doc, key.name)
            const = re.search(rf"^(\w+) = _declare\(\s*\"{key.name}\"", constants, re.M)
            self.assertTrue(const, key.name)
            self.assertRegex(every, rf"\b{const.group(1)}\b", f"{key.name} is never used")
