# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import tagged

from .common import RelationshipCase


@tagged("post_install", "-at_install")
class TestRelationshipHistory(RelationshipCase):
    def test_assign_creates_and_history_is_kept(self):
        first = self.assign(self.customer_a, self.associate_a, reason="first")
        self.assertTrue(first.is_current)
        self.assertEqual(self.customer_a.with_company(self.company_a).user_id, self.associate_a)
        second = self.assign(self.customer_a, self.associate_a2, reason="handover")
        self.assertFalse(first.is_current, "the old relationship is ended, not deleted")
        self.assertTrue(first.exists())
        self.assertEqual(second.previous_id, first)
        self.assertEqual(first.end_reason, "handover")
        history = self.env["crm.relationship"].search([("partner_id", "=", self.customer_a.id)])
        self.assertEqual(history, first | second)
        self.assertEqual(self.current(self.customer_a), second)

    def test_one_current_per_customer_company_role(self):
        self.assign(self.customer_a, self.associate_a)
        self.assign(self.customer_a, self.associate_a2, role=self.role_cs)
        self.assign(self.customer_a, self.associate_a2)
        rels = self.env["crm.relationship"].search([
            ("partner_id", "=", self.customer_a.id), ("is_current", "=", True)])
        self.assertEqual(len(rels), 2)
        self.assertEqual(set(rels.role_id.ids), {self.role_am.id, self.role_cs.id})
        # assigning the same rep again is a no-op
        self.assertFalse(self.assign(self.customer_a, self.associate_a2))

    def test_relationship_on_contact_goes_to_commercial_entity(self):
        rel = self.assign(self.shared_contact, self.associate_a)
        self.assertEqual(rel.partner_id, self.shared)
        self.assertEqual(self.shared_contact.with_company(self.company_a).user_id, self.associate_a)

    def test_secondary_role_does_not_touch_salesperson(self):
        self.assign(self.customer_a, self.associate_a)
        self.assign(self.customer_a, self.associate_a2, role=self.role_cs)
        self.assertEqual(self.customer_a.user_id, self.associate_a)

    def test_history_is_immutable(self):
        rel = self.assign(self.customer_a, self.associate_a)
        with self.assertRaises(UserError):
            rel.write({"partner_id": self.customer_a2.id})
        with self.assertRaises(UserError):
            rel.write({"role_id": self.role_cs.id})
        self.assign(self.customer_a, self.associate_a2)
        with self.assertRaises(UserError):
            rel.write({"user_id": self.associate_a.id})

    def test_write_user_on_relationship_replaces_it(self):
        rel = self.assign(self.customer_a, self.associate_a)
        rel.write({"user_id": self.associate_a2.id})
        self.assertFalse(rel.is_current)
        self.assertEqual(self.current(self.customer_a).user_id, self.associate_a2)
        self.assertEqual(self.customer_a.user_id, self.associate_a2)

    def test_create_replaces_current(self):
        self.assign(self.customer_a, self.associate_a)
        new = self.env["crm.relationship"].create({
            "partner_id": self.customer_a.id, "user_id": self.associate_a2.id,
            "role_id": self.role_am.id, "company_id": self.company_a.id, "source": "import",
        })
        self.assertEqual(self.current(self.customer_a), new)
        self.assertEqual(new.source, "import")
        self.assertEqual(self.customer_a.user_id, self.associate_a2)


@tagged("post_install", "-at_install")
class TestSalespersonSync(RelationshipCase):
    def test_partner_form_write_creates_relationship(self):
        self.customer_a.with_user(self.manager_a).write({"user_id": self.associate_a.id})
        rel = self.current(self.customer_a)
        self.assertEqual(rel.user_id, self.associate_a)
        self.assertEqual(rel.changed_by_id, self.manager_a)
        self.assertEqual(rel.source, "odoo")

    def test_list_multi_edit(self):
        partners = self.customer_a | self.customer_a2 | self.shared
        # the web client's multi-edit is one write on the selected records
        partners.with_user(self.manager_a).write({"user_id": self.associate_a2.id})
        for partner in partners:
            self.assertEqual(self.current(partner).user_id, self.associate_a2)
        self.assertEqual(self.shared_contact.user_id, self.associate_a2)

    def test_clearing_salesperson_ends_relationship(self):
        rel = self.assign(self.customer_a, self.associate_a)
        self.customer_a.with_user(self.manager_a).write({"user_id": False})
        self.assertFalse(rel.is_current)
        self.assertFalse(self.current(self.customer_a))

    def test_create_partner_with_salesperson(self):
        partner = self.env["res.partner"].with_user(self.associate_a).create({
            "name": "New Co", "is_company": True, "user_id": self.associate_a.id})
        self.assertEqual(self.current(partner).user_id, self.associate_a)
        contact = self.env["res.partner"].create({"name": "New Contact", "parent_id": partner.id})
        self.assertEqual(contact.user_id, self.associate_a, "contacts inherit the parent's rep")
        self.assertFalse(self.env["crm.relationship"].search([("partner_id", "=", contact.id)]))

    def test_import_is_a_relationship_change(self):
        """base_import's load() sets the Salesperson: recorded as an import."""
        result = self.env["res.partner"].with_user(self.manager_a).with_context(
            import_file=True).load(
            ["id", "name", "is_company", "user_id/id"],
            [[self._xmlid(self.customer_a), "Customer A", "1", self._xmlid(self.associate_a2)]],
        )
        self.assertFalse(result["messages"], result["messages"])
        rel = self.current(self.customer_a)
        self.assertEqual(rel.user_id, self.associate_a2)
        self.assertEqual(rel.source, "import")

    def _xmlid(self, record):
        """The external id of ``record``, made on the fly if it has none."""
        if xmlid := record.get_external_id().get(record.id):
            return xmlid
        name = f"{record._table}_{record.id}"
        self.env["ir.model.data"].create({
            "module": "__test__", "name": name, "model": record._name, "res_id": record.id})
        return f"__test__.{name}"

    def test_relationship_to_salesperson(self):
        self.assign(self.shared, self.associate_a)
        self.assertEqual(self.shared.with_company(self.company_a).user_id, self.associate_a)
        self.assertFalse(self.shared.with_company(self.company_b).user_id)


@tagged("post_install", "-at_install")
class TestRelationshipPermissions(RelationshipCase):
    """The matrix: associate / manager / admin x own / other's / other company."""

    def test_associate_hands_over_own(self):
        self.assign(self.customer_a, self.associate_a)
        self.assign(self.customer_a, self.associate_a2, as_user=self.associate_a)
        self.assertEqual(self.current(self.customer_a).user_id, self.associate_a2)

    def test_associate_cannot_take_others(self):
        rel = self.assign(self.customer_a, self.associate_a2)
        with self.assertRaisesRegex(AccessError, "where you are the current rep"):
            self.assign(self.customer_a, self.associate_a, as_user=self.associate_a)
        with self.assertRaisesRegex(AccessError, "where you are the current rep"):
            self.customer_a.with_user(self.associate_a).write({"user_id": self.associate_a.id})
        with self.assertRaises(AccessError):
            rel.with_user(self.associate_a).write({"user_id": self.associate_a.id})
        self.assertEqual(self.current(self.customer_a), rel, "nothing changed")

    def test_associate_unowned_only_for_self(self):
        with self.assertRaisesRegex(AccessError, "only take customers without a rep for yourself"):
            self.assign(self.customer_a, self.associate_a2, as_user=self.associate_a)
        self.assign(self.customer_a, self.associate_a, as_user=self.associate_a)
        self.assertEqual(self.current(self.customer_a).user_id, self.associate_a)

    def test_associate_cannot_end(self):
        self.assign(self.customer_a, self.associate_a)
        with self.assertRaises(AccessError):
            self.customer_a.with_user(self.associate_a).write({"user_id": False})

    def test_associate_cannot_delete_history(self):
        rel = self.assign(self.customer_a, self.associate_a)
        with self.assertRaises(AccessError):
            rel.with_user(self.associate_a).unlink()
        with self.assertRaises(AccessError):
            rel.with_user(self.manager_a).unlink()

    def test_manager_changes_any_in_own_company(self):
        self.assign(self.customer_a, self.associate_a)
        self.assign(self.customer_a, self.associate_a2, as_user=self.manager_a)
        self.assertEqual(self.current(self.customer_a).user_id, self.associate_a2)
        self.assign(self.customer_a2, self.associate_a, as_user=self.team_leader)
        self.assertEqual(self.current(self.customer_a2).user_id, self.associate_a)

    def test_manager_other_company_refused(self):
        with self.assertRaisesRegex(AccessError, "Company A"):
            self.assign(self.shared, self.associate_a, as_user=self.manager_b,
                        company=self.company_a)
        self.assertFalse(self.current(self.shared))

    def test_admin_changes_any(self):
        self.assign(self.customer_b, self.associate_b, company=self.company_b)
        rel = self.env["crm.relationship"].with_user(self.admin).with_company(self.company_b)._assign(
            self.customer_b, self.manager_b, company=self.company_b)
        self.assertEqual(rel.user_id, self.manager_b)

    def test_target_must_be_valid(self):
        with self.assertRaisesRegex(ValidationError, "archived"):
            self.assign(self.customer_a, self.archived)
        with self.assertRaisesRegex(ValidationError, "not an internal user"):
            self.assign(self.customer_a, self.portal)
        with self.assertRaisesRegex(ValidationError, "does not work in company"):
            self.assign(self.customer_a, self.associate_b)
        self.assertFalse(self.current(self.customer_a))

    def test_user_without_group_refused(self):
        plain = self.env["res.users"].create({
            "name": "Plain", "login": "rm_plain", "company_id": self.company_a.id,
            "company_ids": [(6, 0, self.company_a.ids)],
            "groups_id": [(6, 0, self.env.ref("base.group_user").ids)],
        })
        with self.assertRaises(AccessError):
            self.assign(self.customer_a, plain, as_user=plain)


@tagged("post_install", "-at_install")
class TestLeadAssignment(RelationshipCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.lead = cls.env["crm.lead"].create({
            "name": "Lead A", "team_id": cls.team_a.id, "user_id": cls.associate_a.id,
            "company_id": cls.company_a.id, "type": "opportunity"})

    def test_associate_transfers_own_lead(self):
        self.lead.with_user(self.associate_a)._update_assignment(self.associate_a2, reason="holiday")
        self.assertEqual(self.lead.user_id, self.associate_a2)
        self.assertIn("holiday", self.lead.message_ids[0].body)

    def test_associate_cannot_transfer_others(self):
        self.lead.user_id = self.associate_a2
        with self.assertRaises(AccessError):
            self.lead.with_user(self.associate_a)._update_assignment(self.associate_a)
        self.assertEqual(self.lead.user_id, self.associate_a2)

    def test_target_must_be_team_member(self):
        with self.assertRaisesRegex(ValidationError, "not a member of sales team"):
            self.lead.with_user(self.manager_a)._update_assignment(self.team_leader)
        with self.assertRaisesRegex(ValidationError, "archived"):
            self.lead.with_user(self.manager_a)._update_assignment(self.archived)
        self.assertEqual(self.lead.user_id, self.associate_a)

    def test_manager_transfers_any_in_company(self):
        self.lead.with_user(self.manager_a)._update_assignment(self.associate_a2)
        self.assertEqual(self.lead.user_id, self.associate_a2)
        with self.assertRaises(AccessError):
            self.lead.with_user(self.manager_b).with_company(self.company_b)._update_assignment(
                self.associate_a)

    def test_wizard(self):
        wizard = self.env["crm.lead.update.assignment"].with_user(self.associate_a).create({
            "lead_ids": [(6, 0, self.lead.ids)], "user_id": self.associate_a2.id})
        self.assertIn(self.associate_a2, wizard.team_member_ids)
        self.assertNotIn(self.associate_b, wizard.team_member_ids)
        wizard.action_apply()
        self.assertEqual(self.lead.user_id, self.associate_a2)

    def test_lead_salesperson_other_company_refused(self):
        with self.assertRaisesRegex(ValidationError, "does not work in company"):
            self.lead.write({"user_id": self.associate_b.id, "company_id": self.company_a.id})
        with self.assertRaisesRegex(ValidationError, "does not work in company"):
            self.env["crm.lead"].create({"name": "Bad", "user_id": self.associate_b.id,
                                         "company_id": self.company_a.id})


@tagged("post_install", "-at_install")
class TestRelationshipPrivacy(RelationshipCase):
    """A customer shared by two companies: each sees only its own rep."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Rel = cls.env["crm.relationship"]
        cls.rel_a = Rel.with_company(cls.company_a)._assign(
            cls.shared, cls.associate_a, company=cls.company_a)
        cls.rel_b = Rel.with_company(cls.company_b)._assign(
            cls.shared, cls.associate_b, company=cls.company_b)

    def _as(self, user, company):
        # the web client sends the companies the user works in as allowed_company_ids
        return self.env(user=user, context={"allowed_company_ids": [company.id]})

    def test_each_company_sees_its_own_rep(self):
        cases = [
            (self.associate_b, self.company_b, self.associate_b, self.rel_b),
            (self.manager_b, self.company_b, self.associate_b, self.rel_b),
            (self.user_ab, self.company_b, self.associate_b, self.rel_b),
            (self.user_ab, self.company_a, self.associate_a, self.rel_a),
            (self.associate_a, self.company_a, self.associate_a, self.rel_a),
        ]
        for user, company, rep, rel in cases:
            with self.subTest(user=user.login, company=company.name):
                # every request starts with an empty cache; so does each user here
                self.env.invalidate_all()
                env = self._as(user, company)
                partner = env["res.partner"].browse(self.shared.id)
                self.assertEqual(partner.user_id, rep)
                self.assertEqual(partner.read(["user_id"])[0]["user_id"][0], rep.id)
                other = (self.associate_a | self.associate_b) - rep
                self.assertFalse(env["res.partner"].search(
                    [("id", "=", self.shared.id), ("user_id", "=", other.id)]))
                self.assertTrue(env["res.partner"].search(
                    [("id", "=", self.shared.id), ("user_id", "=", rep.id)]))
                groups = env["res.partner"].read_group(
                    [("id", "=", self.shared.id)], ["user_id"], ["user_id"])
                self.assertEqual([g["user_id"][0] for g in groups], [rep.id])
                exported = partner.export_data(["user_id"])["datas"]
                self.assertEqual(exported, [[rep.name]])
                web = env["res.partner"].web_search_read(
                    [("id", "=", self.shared.id)], {"user_id": {"fields": {"display_name": {}}}})
                self.assertEqual(web["records"][0]["user_id"]["id"], rep.id)
                rels = env["crm.relationship"].search([("partner_id", "=", self.shared.id)])
                self.assertEqual(rels, rel)
                rel_groups = env["crm.relationship"].read_group(
                    [("partner_id", "=", self.shared.id)], ["user_id"], ["user_id"])
                self.assertEqual({g["user_id"][0] for g in rel_groups}, {rep.id})
                self.assertEqual(partner.relationship_ids, rel)

    def test_other_company_relationship_unreadable(self):
        env = self._as(self.associate_b, self.company_b)
        with self.assertRaises(AccessError):
            env["crm.relationship"].browse(self.rel_a.id).read(["user_id"])

    def test_change_in_one_company_leaves_other(self):
        self.assign(self.shared, self.associate_a2, as_user=self.manager_a)
        self.assertEqual(self.shared.with_company(self.company_b).user_id, self.associate_b)
        self.assertTrue(self.rel_b.is_current)
