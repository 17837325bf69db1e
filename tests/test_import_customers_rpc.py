# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""import_customers over a real XML-RPC server: the contract, and malformed
payloads each refused with a clear fault and nothing half-written."""
import xmlrpc.client

from odoo.tests import tagged

from .common import RelationshipHttpCase

ROW = {"external_ref": "RPC-NEW", "name": "New over RPC"}


@tagged("post_install", "-at_install")
class TestImportCustomersRpc(RelationshipHttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Partner = cls.env["res.partner"].with_context(tracking_disable=True)
        cls.own = Partner.create({"name": "Own", "is_company": True,
                                  "company_id": cls.company_a.id, "external_ref": "RPC-1"})
        cls.other = Partner.create({"name": "Other", "is_company": True,
                                    "company_id": cls.company_a.id, "external_ref": "RPC-2"})
        cls.assign(cls, cls.own, cls.associate_a)
        cls.assign(cls, cls.other, cls.associate_a2)

    def counts(self):
        env = self.env
        env.flush_all()
        env.invalidate_all()
        return (
            env["res.partner"].with_context(active_test=False).search_count([]),
            env["res.partner"].with_context(active_test=False).search_count(
                [("active", "=", False)]),
            env["crm.relationship"].search_count([]),
            env["crm.relationship"].search_count([("is_current", "=", True)]),
            env["crm.lead"].with_context(active_test=False).search_count([]),
            env["mail.activity"].search_count([]),
            env["mail.message"].search_count([]),
        )

    def test_contract_over_rpc(self):
        result = self.rpc(self.manager_a, "res.partner", "import_customers",
                          [{"external_ref": " rpc-1 ", "city": "Graz"},
                           {"external_ref": "RPC-2"},
                           dict(ROW, country_code="AT")],
                          transfer_mode=False, mode="update", rep_id=self.associate_a.id)
        self.assertEqual(set(result), {"results", "archived_ids", "counts"})
        self.assertEqual([r["action"] for r in result["results"]],
                         ["updated", "conflict", "created"])
        self.assertEqual(result["results"][0], {
            "row": 0, "external_ref": " rpc-1 ", "partner_id": self.own.id,
            "action": "updated", "message": ""})
        self.assertIn("transfer mode", result["results"][1]["message"])
        self.assertEqual(result["counts"], {
            "created": 1, "updated": 1, "restored": 0, "transferred": 0,
            "restored_transferred": 0, "conflict": 1, "error": 0})
        self.assertEqual(result["archived_ids"], [])
        self.env.invalidate_all()
        self.assertEqual(self.own.city, "Graz")
        # idempotent: the second call only updates, and changes nothing
        before = self.counts()
        again = self.rpc(self.associate_a, "res.partner", "import_customers",
                         [dict(ROW, country_code="AT")])
        self.assertEqual(again["results"][0]["action"], "updated")
        self.assertEqual(self.counts(), before)
        # transfer mode and update_delete, rep defaults to the caller
        result = self.rpc(self.manager_a, "res.partner", "import_customers",
                          [{"external_ref": "RPC-2"}], transfer_mode=True,
                          mode="update_delete", rep_id=self.associate_a2.id)
        self.assertEqual(result["results"][0]["action"], "updated")
        result = self.rpc(self.manager_a, "res.partner", "import_customers",
                          [{"external_ref": "RPC-1"}], True, "update_delete",
                          self.associate_a2.id)
        self.assertEqual(result["results"][0]["action"], "transferred")
        self.env.invalidate_all()
        self.assertEqual(self.current(self.own).user_id, self.associate_a2)

    def test_malformed_payloads(self):
        a, m = self.associate_a, self.manager_a
        big = [{}] * 50_001
        # (caller, args, kwargs, fault type, part of the message)
        cases = [
            (m, ["not a list"], {}, "UserError", "must be a list"),
            (m, [42], {}, "UserError", "must be a list"),
            (m, [{"external_ref": "x"}], {}, "UserError", "must be a list"),
            (m, [None], {}, "UserError", "must be a list"),
            (m, [True], {}, "UserError", "must be a list"),
            (m, [[1]], {}, "UserError", "Row 0 is not a dict"),
            (m, [["RPC-1"]], {}, "UserError", "Row 0 is not a dict"),
            (m, [[ROW, None]], {}, "UserError", "Row 1 is not a dict"),
            (m, [[ROW, "row"]], {}, "UserError", "Row 1 is not a dict"),
            (m, [[ROW, [ROW]]], {}, "UserError", "Row 1 is not a dict"),
            (m, [[dict(ROW, foo=1)]], {}, "UserError", "unknown field foo"),
            (m, [[dict(ROW, user_id=a.id)]], {}, "UserError", "user_id cannot be imported"),
            (m, [[dict(ROW, company_id=1)]], {}, "UserError", "company_id cannot be imported"),
            (m, [[dict(ROW, id=1)]], {}, "UserError", "id cannot be imported"),
            (m, [[dict(ROW, active=False)]], {}, "UserError", "active cannot be imported"),
            (m, [[dict(ROW, external_ref_key="x")]], {}, "UserError", "external_ref_key"),
            (m, [[dict(ROW, import_archived_date="2020-01-01")]], {}, "UserError",
             "import_archived_date"),
            (m, [[dict(ROW, parent_id=1)]], {}, "UserError", "parent_id cannot be imported"),
            (m, [[dict(ROW, country_id=1)]], {}, "UserError", "country_id cannot be imported"),
            (m, [[dict(ROW, password="x")]], {}, "UserError", "password"),
            (m, [[dict(ROW, **{"": "x"})]], {}, "UserError", "unknown field"),
            (m, [[ROW, dict(ROW, external_ref="b", Name="x")]], {}, "UserError",
             "Row 1: unknown field Name"),
            (m, [[ROW]], {"mode": "delete"}, "UserError", "Unknown import mode"),
            (m, [[ROW]], {"mode": ""}, "UserError", "Unknown import mode"),
            (m, [[ROW]], {"mode": 1}, "UserError", "Unknown import mode"),
            (m, [[ROW]], {"mode": "UPDATE"}, "UserError", "Unknown import mode"),
            (m, [[ROW]], {"mode": ["update"]}, "UserError", "Unknown import mode"),
            (m, [[ROW]], {"transfer_mode": "yes"}, "UserError", "transfer_mode"),
            (m, [[ROW]], {"transfer_mode": 1}, "UserError", "transfer_mode"),
            (m, [[ROW]], {"transfer_mode": [True]}, "UserError", "transfer_mode"),
            (m, [[ROW]], {"rep_id": str(a.id)}, "UserError", "rep_id must be the id"),
            (m, [[ROW]], {"rep_id": 1.5}, "UserError", "rep_id must be the id"),
            (m, [[ROW]], {"rep_id": [a.id]}, "UserError", "rep_id must be the id"),
            (m, [[ROW]], {"rep_id": True}, "UserError", "rep_id must be the id"),
            (m, [[ROW]], {"rep_id": 99_999_999}, "UserError", "Unknown rep"),
            (m, [[ROW]], {"rep_id": -3}, "UserError", "Unknown rep"),
            (m, [[ROW]], {"rep_id": self.archived.id}, "ValidationError", "archived"),
            (m, [[ROW]], {"rep_id": self.portal.id}, "ValidationError", "not an internal user"),
            (m, [[ROW]], {"rep_id": self.associate_b.id}, "ValidationError",
             "does not work in company"),
            (a, [[ROW]], {"rep_id": self.associate_a2.id}, "AccessError",
             "only import customers for yourself"),
            (self.manager_b, [[ROW]], {"rep_id": a.id, "context": {
                "allowed_company_ids": [self.company_a.id]}}, "AccessError", None),
            (self.portal, [[ROW]], {}, "AccessError", "not allowed to import customers"),
            (m, [big], {}, "UserError", "Too many rows"),
        ]
        before = self.counts()
        for user, args, kwargs, fault, message in cases:
            label = repr((args, kwargs))[:120] if args and args[0] is not big else "50,001 rows"
            with self.subTest(payload=label):
                text = self.assertRpcFault(fault, user, "res.partner", "import_customers",
                                           *args, message=message, **kwargs)
                self.assertNotIn("Traceback", text.splitlines()[0])
                self.assertEqual(self.counts(), before, "nothing half-written")
        # options outside the contract: a clear error naming them and the accepted ones
        accepted = "Accepted options: transfer_mode, mode, rep_id"
        for args, kwargs, message in [
            ([[ROW]], {"dry_run": True}, "Unknown import option(s): dry_run. " + accepted),
            ([[ROW]], {"modee": "update", "dry_run": True},
             "Unknown import option(s): dry_run, modee. " + accepted),
            ([[ROW], False, "update", None, "extra"], {}, "at most 3 options"),
            ([[ROW], False], {"transfer_mode": True}, "transfer_mode is given twice"),
        ]:
            with self.subTest(signature=repr((args, kwargs))):
                self.assertRpcFault("UserError", m, "res.partner", "import_customers",
                                    *args, message=message, **kwargs)
        # the options may still be given by position, in the documented order
        result = self.rpc(m, "res.partner", "import_customers", [ROW], False, "update", a.id)
        self.assertEqual(result["counts"]["created"], 1)
        before = self.counts()
        # no rows at all: Python's own error (the rows are required)
        with self.assertRaises(xmlrpc.client.Fault) as ctx:
            self.rpc(m, "res.partner", "import_customers")
        self.assertIn("argument", ctx.exception.faultString)
        self.assertEqual(self.counts(), before)

    def test_malformed_rows_are_row_errors(self):
        rows = [
            {"name": "no reference"},
            {"external_ref": "", "name": "empty reference"},
            {"external_ref": "   ", "name": "blank reference"},
            {"external_ref": ["RPC-X"], "name": "list reference"},
            {"external_ref": {"a": 1}, "name": "struct reference"},
            {"external_ref": True, "name": "bool reference"},
            {"external_ref": "RPC-E1"},  # nothing to create it with
            {"external_ref": "RPC-E2", "name": ""},
            {"external_ref": "RPC-E3", "name": 12},
            {"external_ref": "RPC-E4", "name": "x", "email": ["a@b.c"]},
            {"external_ref": "RPC-E5", "name": "x", "is_company": "yes"},
            {"external_ref": "RPC-E6", "name": "x", "country_code": "XX"},
            {"external_ref": "RPC-E7", "name": "x", "country_code": 33},
            {"external_ref": "RPC-2", "city": "Somewhere"},  # another rep's customer
        ]
        before = self.counts()
        result = self.rpc(self.associate_a, "res.partner", "import_customers", rows)
        actions = [r["action"] for r in result["results"]]
        self.assertEqual(actions, ["error"] * 13 + ["conflict"], result["results"])
        for res in result["results"]:
            self.assertTrue(res["message"], res)
        self.assertEqual(result["counts"]["error"], 13)
        self.assertEqual(self.counts(), before, "nothing written")
        self.env.invalidate_all()
        self.assertFalse(self.other.city)

    def test_only_the_import_marks_customers_for_its_purge(self):
        """The purge deletes customers archived by an import: no user may mark one
        (a salesperson may write partners but not delete them)."""
        for vals in ({"import_archived_date": "2000-01-01 00:00:00"},
                     {"active": False, "import_archived_company_id": self.company_a.id}):
            self.assertRpcFault("AccessError", self.associate_a, "res.partner", "write",
                                [self.other.id], vals, message="archived by an import")
        self.assertRpcFault("AccessError", self.manager_a, "res.partner", "create",
                            [{"name": "Planted", "import_archived_date": "2000-01-01 00:00:00"}],
                            message="archived by an import")
        self.other.invalidate_recordset()
        self.assertTrue(self.other.active)
        self.assertFalse(self.other.import_archived_date)
