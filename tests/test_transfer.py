# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Customer numbers, Transfer Customer, import_customers, retention."""
import base64
import io
from datetime import timedelta
from unittest.mock import patch

import psycopg2

from odoo import fields
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import RelationshipCase


@tagged("post_install", "-at_install")
class TestTransfer(RelationshipCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Partner = cls.env["res.partner"].with_context(tracking_disable=True)
        cls.stage_new = cls.env["crm.stage"].search([("is_won", "=", False)], limit=1)
        cls.stage_won = cls.env["crm.stage"].search([("is_won", "=", True)], limit=1)

    # helpers ------------------------------------------------------------
    def customer(self, ref, rep, archived=False, company=None, **vals):
        company = company or self.company_a
        partner = self.Partner.create(dict(
            {"name": f"Customer {ref}", "is_company": True, "company_id": company.id,
             "external_ref": ref}, **vals))
        if rep:
            self.assign(partner, rep, company=company)
        if archived:
            partner.active = False
        return partner

    def imp(self, user, rows, company=None, **kw):
        Partner = self.env["res.partner"].with_user(user)
        if company:
            Partner = Partner.with_company(company)
        return Partner.import_customers(rows, **kw)

    def by_ref(self, result):
        return {res["external_ref"]: res for res in result["results"]}

    # external reference ---------------------------------------------------
    def test_external_ref_unique_per_company_case_and_space_insensitive(self):
        first = self.customer("AB-1", self.associate_a)
        self.assertEqual(first.external_ref_key, "ab-1")
        with self.assertRaises(ValidationError) as ctx:
            self.customer("  ab-1 ", self.associate_a2)
        self.assertIn("ab-1", str(ctx.exception))
        self.assertIn(first.name, str(ctx.exception))
        first.active = False  # archived customers keep their number
        with self.assertRaises(ValidationError):
            self.customer("AB-1", None)
        # another company may use the same number ...
        other = self.customer("AB-1", self.associate_b, company=self.company_b)
        self.assertTrue(other)
        # ... but a customer shared by all companies may not
        with self.assertRaises(ValidationError):
            self.Partner.create({"name": "Shared", "external_ref": "ab-1"})
        self.assertEqual(self.Partner.search([("external_ref", "ilike", "ab-1")]), other)

    def test_external_ref_unique_index_in_sql(self):
        self.customer("IDX-1", self.associate_a)
        second = self.customer("IDX-2", self.associate_a)
        self.env.flush_all()
        with self.assertRaises(psycopg2.IntegrityError), mute_logger("odoo.sql_db"), \
                self.env.cr.savepoint():
            self.env.cr.execute(
                "UPDATE res_partner SET external_ref_key = 'idx-1' WHERE id = %s", [second.id])

    def test_external_ref_in_views(self):
        for view_ref in ("base.view_partner_form", "base.view_partner_tree",
                         "base.view_res_partner_filter"):
            arch = self.env["res.partner"].get_views([(self.env.ref(view_ref).id, "form"
                                                      if "form" in view_ref else "list"
                                                      if "tree" in view_ref else "search")])
            self.assertIn("external_ref", str(arch), view_ref)
        importable = self.env["base_import.import"].get_fields_tree("res.partner")
        self.assertIn("external_ref", [field["name"] for field in importable])

    # transfer wizard and history --------------------------------------------
    def _customer_with_history(self, ref, rep):
        customer = self.customer(ref, rep)
        contact = self.Partner.create({"name": f"Contact {ref}", "parent_id": customer.id})
        customer.with_user(rep).message_post(body="Call notes: wants a discount",
                                             message_type="comment",
                                             subtype_xmlid="mail.mt_note")
        Lead = self.env["crm.lead"].with_context(mail_create_nolog=True)
        lead_open = Lead.create({"name": f"Open {ref}", "partner_id": contact.id,
                                 "user_id": rep.id, "team_id": self.team_a.id,
                                 "type": "opportunity", "stage_id": self.stage_new.id})
        lead_won = Lead.create({"name": f"Won {ref}", "partner_id": customer.id,
                                "user_id": rep.id, "team_id": self.team_a.id,
                                "type": "opportunity", "stage_id": self.stage_won.id})
        # a lead without stage (imported, stage cleared) is open too
        lead_nostage = Lead.create({"name": f"No stage {ref}", "partner_id": customer.id,
                                    "user_id": rep.id, "team_id": self.team_a.id})
        lead_nostage.stage_id = False
        todo = self.env.ref("mail.mail_activity_data_todo")
        act_customer = customer.activity_schedule(act_type_xmlid="mail.mail_activity_data_todo",
                                                  user_id=rep.id, summary="visit")
        act_lead = lead_open.activity_schedule(activity_type_id=todo.id, user_id=rep.id,
                                               summary="send offer")
        act_other = customer.activity_schedule(activity_type_id=todo.id,
                                               user_id=self.manager_a.id, summary="mine")
        now = fields.Datetime.now()
        Event = self.env["calendar.event"].with_context(no_mail_to_attendees=True)
        future = Event.create({"name": "Future", "user_id": rep.id,
                               "start": now + timedelta(days=3), "stop": now + timedelta(days=3, hours=1),
                               "partner_ids": [(6, 0, [rep.partner_id.id, contact.id])]})
        past = Event.create({"name": "Past", "user_id": rep.id,
                             "start": now - timedelta(days=3), "stop": now - timedelta(days=3, hours=-1),
                             "partner_ids": [(6, 0, [rep.partner_id.id, customer.id])]})
        unrelated = Event.create({"name": "Unrelated", "user_id": rep.id,
                                  "start": now + timedelta(days=2), "stop": now + timedelta(days=2, hours=1),
                                  "partner_ids": [(6, 0, [rep.partner_id.id])]})
        return {"customer": customer, "contact": contact, "lead_open": lead_open,
                "lead_nostage": lead_nostage,
                "lead_won": lead_won, "act_customer": act_customer, "act_lead": act_lead,
                "act_other": act_other, "future": future, "past": past, "unrelated": unrelated}

    def assertHistoryMoved(self, h, old, new):
        self.assertEqual(self.current(h["customer"]).user_id, new)
        self.assertEqual(h["customer"].with_company(self.company_a).user_id, new)
        self.assertEqual(h["lead_open"].user_id, new, "open lead moved")
        self.assertEqual(h["lead_nostage"].user_id, new, "open lead without stage moved")
        self.assertEqual(h["lead_won"].user_id, old, "won lead stays")
        self.assertEqual(h["act_customer"].user_id, new, "activity on the customer moved")
        self.assertEqual(h["act_lead"].user_id, new, "activity on the open lead moved")
        self.assertEqual(h["act_other"].user_id, self.manager_a, "others' activities stay")
        self.assertEqual(h["future"].user_id, new, "future meeting moved")
        self.assertIn(new.partner_id, h["future"].partner_ids)
        self.assertNotIn(old.partner_id, h["future"].partner_ids)
        self.assertEqual(h["past"].user_id, old, "past meeting stays")
        self.assertEqual(h["unrelated"].user_id, old, "meeting without the customer stays")
        # messages stay on the customer and the new rep reads them
        bodies = h["customer"].with_user(new).message_ids.mapped("body")
        self.assertTrue(any("wants a discount" in str(body) for body in bodies), bodies)
        self.assertIn(new.partner_id, h["customer"].message_partner_ids)

    def test_transfer_wizard_moves_whole_history(self):
        h = self._customer_with_history("H-1", self.associate_a2)
        old_rel = self.current(h["customer"])
        wizard = self.env["res.partner.transfer"].with_user(self.manager_a).with_context(
            default_partner_ids=h["customer"].ids).create(
            {"user_id": self.associate_a.id, "reason": "departure", "note": "leaves in May"})
        self.assertEqual(wizard.current_user_ids, self.associate_a2)
        wizard.action_transfer()
        self.assertHistoryMoved(h, self.associate_a2, self.associate_a)
        new_rel = self.current(h["customer"])
        self.assertEqual(new_rel.source, "transfer")
        self.assertEqual(new_rel.reason, "Departure: leaves in May")
        self.assertEqual(new_rel.previous_id, old_rel)
        self.assertFalse(old_rel.is_current)
        self.assertEqual(old_rel.end_reason, "Departure: leaves in May")

    def test_transfer_action_bound_to_partner_action_menu(self):
        action = self.env.ref("crm_relationship_manager.res_partner_transfer_action")
        self.assertEqual(action.binding_model_id.model, "res.partner")

    def test_transfer_wizard_permissions(self):
        mine = self.customer("P-1", self.associate_a)
        theirs = self.customer("P-2", self.associate_a2)
        Wizard = self.env["res.partner.transfer"].with_user(self.associate_a)
        # associates hand over their own customers
        Wizard.create({"partner_ids": [(6, 0, mine.ids)], "user_id": self.associate_a2.id,
                       "reason": "territory"}).action_transfer()
        self.assertEqual(self.current(mine).user_id, self.associate_a2)
        # ... but cannot take another rep's
        with self.assertRaises(AccessError):
            Wizard.create({"partner_ids": [(6, 0, theirs.ids)], "user_id": self.associate_a.id,
                           "reason": "other"}).action_transfer()
        self.assertEqual(self.current(theirs).user_id, self.associate_a2)
        # managers of another company cannot
        with self.assertRaises(AccessError):
            self.env["res.partner.transfer"].with_user(self.manager_b).with_company(
                self.company_a).create({"partner_ids": [(6, 0, theirs.ids)],
                                        "user_id": self.associate_a.id, "reason": "other"})
        with self.assertRaises(ValidationError):
            self.env["res.partner.transfer"].with_user(self.manager_a).create(
                {"partner_ids": [(6, 0, theirs.ids)], "user_id": self.archived.id,
                 "reason": "other"}).action_transfer()

    def test_import_transfer_moves_whole_history(self):
        h = self._customer_with_history("H-2", self.associate_a2)
        result = self.imp(self.manager_a, [{"external_ref": "h-2 "}], transfer_mode=True,
                          rep_id=self.associate_a.id)
        self.assertEqual(result["results"][0]["action"], "transferred", result)
        self.assertHistoryMoved(h, self.associate_a2, self.associate_a)
        self.assertEqual(self.current(h["customer"]).source, "transfer")

    # resolution branches ------------------------------------------------------
    def test_resolution_branches(self):
        for transfer_mode in (False, True):
            for mode in ("update", "update_delete"):
                with self.subTest(transfer_mode=transfer_mode, mode=mode):
                    self._check_branches(transfer_mode, mode)

    def _check_branches(self, transfer_mode, mode):
        p = f"{int(transfer_mode)}{mode}-"
        own = self.customer(p + "own", self.associate_a)
        own_archived = self.customer(p + "own-arch", self.associate_a, archived=True)
        other = self.customer(p + "other", self.associate_a2)
        other_archived = self.customer(p + "other-arch", self.associate_a2, archived=True)
        nobody = self.customer(p + "nobody", None)
        absent = self.customer(p + "absent", self.associate_a)
        others_absent = self.customer(p + "others-absent", self.associate_a2)
        rows = [
            {"external_ref": p + "own", "city": "Lyon"},
            {"external_ref": (p + "OWN-ARCH").upper()},
            {"external_ref": " " + p + "other"},
            {"external_ref": p + "other-arch"},
            {"external_ref": p + "nobody"},
            {"external_ref": p + "new", "name": "New one", "email": "new@example.com",
             "country_code": "fr", "is_company": True},
        ]
        result = self.imp(self.manager_a, rows, transfer_mode=transfer_mode, mode=mode,
                          rep_id=self.associate_a.id)
        actions = [res["action"] for res in result["results"]]
        if transfer_mode:
            expected = ["updated", "restored", "transferred", "restored_transferred",
                        "transferred", "created"]
        else:
            expected = ["updated", "conflict", "conflict", "conflict", "conflict", "created"]
        self.assertEqual(actions, expected, result["results"])
        self.assertEqual(result["counts"]["created"], 1)
        self.assertEqual(sum(result["counts"].values()), len(rows))
        self.assertEqual(own.city, "Lyon")
        created = self.env["res.partner"].browse(result["results"][5]["partner_id"])
        self.assertEqual((created.name, created.email, created.country_id.code,
                          created.company_id, created.external_ref),
                         ("New one", "new@example.com", "FR", self.company_a, p + "new"))
        self.assertEqual(self.current(created).user_id, self.associate_a)
        self.assertEqual(self.current(created).source, "import")
        if transfer_mode:
            for partner in (own_archived, other, other_archived, nobody):
                self.assertTrue(partner.active)
                self.assertEqual(self.current(partner).user_id, self.associate_a)
            self.assertEqual(self.current(other).source, "transfer")
        else:
            conflicts = result["results"][1:5]
            self.assertIn("transfer mode", conflicts[1]["message"])
            self.assertIn(self.associate_a2.name, conflicts[1]["message"])
            self.assertFalse(own_archived.active)
            self.assertFalse(other_archived.active)
            self.assertEqual(self.current(other).user_id, self.associate_a2)
            self.assertFalse(self.current(nobody))
        if mode == "update_delete":
            self.assertIn(absent.id, result["archived_ids"])
            self.assertFalse(absent.active)
            self.assertTrue(absent.import_archived_date)
            self.assertEqual(absent.import_archived_company_id, self.company_a)
            self.assertEqual(self.current(absent).user_id, self.associate_a, "history kept")
            # never archive another rep's customers, nor the imported ones
            self.assertTrue(others_absent.active)
            self.assertNotIn(others_absent.id, result["archived_ids"])
            self.assertTrue(own.active)
            self.assertNotIn(own.id, result["archived_ids"])
        else:
            self.assertEqual(result["archived_ids"], [])
            self.assertTrue(absent.active)
        # clean the rep's portfolio for the next combination
        (own | absent | created | own_archived | other | other_archived | nobody).write(
            {"active": False})

    def test_duplicate_reference_and_idempotence(self):
        own = self.customer("I-1", self.associate_a, email="old@example.com")
        rows = [{"external_ref": "I-1", "email": "new@example.com", "name": own.name},
                {"external_ref": "I-2", "name": "Second", "city": "Bern", "country_code": "CH"},
                {"external_ref": " i-2", "name": "Duplicate"}]
        first = self.imp(self.associate_a, rows)
        self.assertEqual([r["action"] for r in first["results"]], ["updated", "created", "error"])
        self.assertIn("appears twice", first["results"][2]["message"])
        created = self.env["res.partner"].browse(first["results"][1]["partner_id"])
        self.assertEqual(created.name, "Second")
        rels = self.env["crm.relationship"].search_count([])
        messages = self.env["mail.message"].search_count([])
        partners = self.env["res.partner"].with_context(active_test=False).search_count([])
        Partner = type(self.env["res.partner"])
        with patch.object(Partner, "write", autospec=True, side_effect=Partner.write) as write:
            second = self.imp(self.associate_a, rows[:2])
        self.assertEqual([r["action"] for r in second["results"]], ["updated", "updated"])
        self.assertFalse([c for c in write.call_args_list if set(c.args[0].ids) & {own.id, created.id}])
        self.assertEqual(self.env["crm.relationship"].search_count([]), rels)
        self.assertEqual(self.env["mail.message"].search_count([]), messages)
        self.assertEqual(
            self.env["res.partner"].with_context(active_test=False).search_count([]), partners)

    def test_bad_rows_do_not_lose_the_others(self):
        rows = [{"external_ref": "R-1", "name": "Good 1"},
                {"external_ref": "R-2", "name": "Bad\x00name"},  # refused by PostgreSQL
                {"external_ref": "R-3", "email": 42, "name": "Bad type"},
                {"external_ref": "", "name": "No ref"},
                {"external_ref": "R-4"},  # no name to create it
                {"external_ref": "R-5", "name": "Good 2", "country_code": "ZZ"},
                {"external_ref": "R-6", "name": "Good 3"}]
        with mute_logger("odoo.addons.crm_relationship_manager.models.crm_customer_import",
                         "odoo.sql_db"):
            result = self.imp(self.associate_a, rows)
        actions = [r["action"] for r in result["results"]]
        self.assertEqual(actions, ["created", "error", "error", "error", "error", "error",
                                   "created"], result["results"])
        messages = [r["message"] for r in result["results"]]
        self.assertIn("NUL", messages[1])
        self.assertIn("email", messages[2])
        self.assertIn("external_ref", messages[3])
        self.assertIn("name", messages[4])
        self.assertIn("ZZ", messages[5])
        self.assertFalse(self.env["res.partner"].search([("external_ref", "=", "R-2")]))
        self.assertEqual(len(self.env["res.partner"].search(
            [("external_ref", "in", ["R-1", "R-6"])])), 2)

    def test_contact_reference_is_an_error(self):
        customer = self.customer("C-1", self.associate_a)
        self.Partner.create({"name": "Person", "parent_id": customer.id, "external_ref": "C-2"})
        result = self.imp(self.associate_a, [{"external_ref": "C-2"}], transfer_mode=True)
        self.assertEqual(result["results"][0]["action"], "error")
        self.assertIn("contact", result["results"][0]["message"])

    # permissions --------------------------------------------------------------------
    def test_import_permissions(self):
        theirs = self.customer("PERM-1", self.associate_a2)
        # associates for themselves only
        with self.assertRaises(AccessError):
            self.imp(self.associate_a, [], rep_id=self.associate_a2.id)
        result = self.imp(self.associate_a, [{"external_ref": "PERM-1"}], transfer_mode=True)
        self.assertEqual(result["results"][0]["action"], "error")
        self.assertIn("Relationship Associate", result["results"][0]["message"])
        self.assertEqual(self.current(theirs).user_id, self.associate_a2)
        # unowned customers may be taken
        free = self.customer("PERM-2", None)
        result = self.imp(self.associate_a, [{"external_ref": "PERM-2"}], transfer_mode=True)
        self.assertEqual(result["results"][0]["action"], "transferred")
        self.assertEqual(self.current(free).user_id, self.associate_a)
        # managers for any rep of their companies
        result = self.imp(self.team_leader, [{"external_ref": "PERM-1"}], transfer_mode=True,
                          rep_id=self.associate_a.id)
        self.assertEqual(result["results"][0]["action"], "transferred")
        with self.assertRaises(ValidationError):  # rep of another company
            self.imp(self.manager_a, [], rep_id=self.associate_b.id)
        with self.assertRaises(AccessError):  # not one of the manager's companies
            self.imp(self.manager_b, [], company=self.company_a, rep_id=self.associate_a.id)
        with self.assertRaises(AccessError):
            self.imp(self.portal, [])
        with self.assertRaises(ValidationError):
            self.imp(self.manager_a, [], rep_id=self.archived.id)

    def test_whole_call_errors_before_any_change(self):
        for kwargs, rows in [({"mode": "replace"}, []), ({}, {"external_ref": "x"}),
                             ({}, [{"external_ref": "W-1", "name": "W"}, "row"]),
                             ({}, [{"external_ref": "W-1", "name": "W", "user_id": 2}]),
                             ({}, [{"external_ref": "W-1", "name": "W", "colour": 2}]),
                             ({"rep_id": "7"}, [{"external_ref": "W-1", "name": "W"}]),
                             ({"rep_id": 999999}, [{"external_ref": "W-1", "name": "W"}]),
                             ({"transfer_mode": "yes"}, [{"external_ref": "W-1", "name": "W"}])]:
            with self.subTest(kwargs=kwargs, rows=rows), self.assertRaises(UserError):
                self.imp(self.manager_a, rows, **kwargs)
        with patch("odoo.addons.crm_relationship_manager.models.crm_customer_import."
                   "IMPORT_MAX_ROWS", 2), self.assertRaises(UserError):
            self.imp(self.manager_a, [{"external_ref": f"W-{i}", "name": "W"} for i in range(3)])
        self.assertFalse(self.env["res.partner"].search([("external_ref", "=like", "W-%")]))

    # retention -----------------------------------------------------------------------
    def test_retention_cron(self):
        keep = self.customer("T-keep", self.associate_a)
        old = self.customer("T-old", self.associate_a)
        old_contact = self.Partner.create({"name": "Old contact", "parent_id": old.id})
        old_sub_contact = self.Partner.create({"name": "Old sub-contact",
                                               "parent_id": old_contact.id})
        recent = self.customer("T-recent", self.associate_a)
        restored = self.customer("T-restored", self.associate_a)
        linked = self.customer("T-linked", self.associate_a, email="linked@example.com")
        user = self.env["res.users"].with_context(no_reset_password=True).create(
            {"name": "Linked", "login": "t_linked", "partner_id": linked.id})
        user.active = False
        self.assertEqual(user.partner_id, linked)
        result = self.imp(self.associate_a, [{"external_ref": "T-keep"}], mode="update_delete")
        archived = self.env["res.partner"].browse(result["archived_ids"])
        self.assertEqual(archived & (old | recent | restored | linked),
                         old | recent | restored | linked)
        self.assertNotIn(keep, archived)
        self.assertEqual(self.company_a.customer_import_retention_days, 14)
        now = fields.Datetime.now()
        (old | restored | linked).write({"import_archived_date": now - timedelta(days=15)})
        recent.import_archived_date = now - timedelta(days=13)
        # restoring inside the window keeps everything
        result = self.imp(self.associate_a, [{"external_ref": "T-restored"}], transfer_mode=True)
        self.assertEqual(result["results"][0]["action"], "restored")
        self.assertFalse(restored.import_archived_date)
        rel = self.current(restored)
        with mute_logger("odoo.sql_db"):
            stats = self.env["crm.customer.import"]._cron_purge_import_archived()
        self.assertEqual(stats, {"deleted": 1, "anonymised": 1})
        self.assertFalse(old.exists())
        self.assertFalse(old_contact.exists())
        self.assertFalse(old_sub_contact.exists())
        self.assertTrue(recent.exists())
        self.assertEqual(self.current(restored), rel)
        self.assertTrue(restored.active)
        self.assertTrue(linked.exists())
        self.assertEqual(linked.name, f"Deleted customer {linked.id}")
        self.assertFalse(linked.email or linked.external_ref or linked.import_archived_date)
        # a longer retention keeps them longer
        self.company_a.customer_import_retention_days = 30
        recent.import_archived_date = now - timedelta(days=20)
        self.env["crm.customer.import"]._cron_purge_import_archived()
        self.assertTrue(recent.exists())
        self.company_a.customer_import_retention_days = 10
        # each company's own retention period: 20 days is over in A, not in B
        other = self.customer("T-other", self.associate_b, company=self.company_b)
        other.write({"active": False, "import_archived_date": now - timedelta(days=20),
                     "import_archived_company_id": self.company_b.id})
        self.company_b.customer_import_retention_days = 30
        self.env.ref("crm_relationship_manager.ir_cron_purge_import_archived_customers") \
            .method_direct_trigger()
        self.assertFalse(recent.exists())
        self.assertTrue(other.exists())
        self.company_b.customer_import_retention_days = 15
        self.env["crm.customer.import"]._cron_purge_import_archived()
        self.assertFalse(other.exists())
        with self.assertRaises(ValidationError):
            self.company_a.customer_import_retention_days = -1

    # UI import ----------------------------------------------------------------------
    def _wizard(self, user, content, filename, **vals):
        return self.env["res.partner.import.customers"].with_user(user).create(dict(
            {"file": base64.b64encode(content), "filename": filename}, **vals))

    def test_ui_import_csv(self):
        self.customer("U-1", self.associate_a2)
        content = ("external_ref;name;city;is_company\n"
                   "U-1;Moved;Basel;yes\n"
                   "U-2;Brand new;Zürich;1\n"
                   ";;;\n").encode()
        wizard = self._wizard(self.manager_a, content, "customers.csv", transfer_mode=True,
                              user_id=self.associate_a.id)
        action = wizard.action_import()
        self.assertEqual(action["res_id"], wizard.id)
        self.assertEqual(wizard.state, "done")
        self.assertEqual(wizard.line_ids.mapped("action"), ["transferred", "created"])
        self.assertEqual(wizard.line_ids.mapped("row"), [2, 3])
        self.assertEqual(wizard.line_ids[1].partner_id.city, "Zürich")
        self.assertIn("Transferred: 1", wizard.summary)
        csv_text = base64.b64decode(wizard.result_file).decode()
        self.assertIn("U-2", csv_text)
        self.assertIn("transferred", csv_text)
        self.assertEqual(wizard.result_filename, "customer_import_result.csv")

    def test_ui_import_xlsx_and_errors(self):
        import openpyxl

        book = openpyxl.Workbook()
        sheet = book.active
        sheet.append(["External_Ref", "Name", "ZIP"])
        sheet.append([1001, "Numbered", 8000])
        buffer = io.BytesIO()
        book.save(buffer)
        wizard = self._wizard(self.associate_a, buffer.getvalue(), "customers.xlsx")
        wizard.action_import()
        self.assertEqual(wizard.line_ids.action, "created")
        self.assertEqual((wizard.line_ids.partner_id.external_ref, wizard.line_ids.partner_id.zip),
                         ("1001", "8000"))
        with self.assertRaises(UserError):
            self._wizard(self.associate_a, b"name\nx\n", "bad.csv").action_import()
        with self.assertRaises(UserError):  # unknown column: whole call refused
            self._wizard(self.associate_a, b"external_ref,password\nx,y\n", "bad.csv").action_import()
        with self.assertRaises(AccessError):
            self._wizard(self.associate_a, b"external_ref\nx\n", "a.csv",
                         user_id=self.associate_a2.id).action_import()
