# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Colleague on leads, private to each company; lead offers between companies."""
from unittest.mock import patch

from lxml import etree

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import Form, tagged
from odoo.tools.safe_eval import safe_eval

from odoo.addons.mail.tests.common import MockEmail

from ..context_keys import SERVER
from .common import LeadColleagueMixin, RelationshipCase


# post_install: Odoo sends no "you have been assigned" notification while the
# registry is still loading (at_install)
@tagged("post_install", "-at_install")
class TestLeadColleague(LeadColleagueMixin, MockEmail, RelationshipCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.setup_shared_lead()

    # -- the field ----------------------------------------------------------
    def test_colleague_is_salesperson_both_ways(self):
        lead = self.lead_a.with_user(self.manager_a)
        self.assertEqual(lead.colleague_id, self.associate_a)
        lead.colleague_id = self.associate_a2
        self.assertEqual(lead.user_id, self.associate_a2)
        lead.user_id = self.associate_a
        self.assertEqual(lead.colleague_id, self.associate_a)
        lead.write({"colleague_id": False})
        self.assertFalse(lead.user_id)
        created = self.env["crm.lead"].with_user(self.manager_a).create({
            "name": "By colleague", "colleague_id": self.associate_a2.id})
        self.assertEqual(created.user_id, self.associate_a2)
        self.assertEqual(
            self.env["crm.lead"].with_user(self.manager_a).search(
                [("colleague_id", "=", self.associate_a2.id)]),
            created)
        with self.assertRaisesRegex(ValidationError, "same person"):
            lead.write({"colleague_id": self.associate_a.id, "user_id": self.associate_a2.id})
        self.assertFalse(lead.user_id)

    def test_colleague_of_another_company_never_moves_the_lead(self):
        """Without a team, Odoo would move a lead to its new Salesperson's company;
        a colleague of another company is refused instead (user of both companies)."""
        lead = self.env["crm.lead"].create({
            "name": "No team", "company_id": self.company_a.id, "team_id": False,
            "user_id": self.associate_a.id})
        as_admin = lead.with_user(self.admin).with_context(
            allowed_company_ids=[self.company_a.id, self.company_b.id])
        with self.assertRaisesRegex(ValidationError, "does not work in company"):
            with self.env.cr.savepoint():
                as_admin.write({"colleague_id": self.associate_b.id})
        lead.invalidate_recordset()
        self.assertEqual((lead.company_id, lead.user_id), (self.company_a, self.associate_a))

    def test_colleague_bad_users_refused(self):
        lead = self.lead_a.with_user(self.manager_a)
        for user, message in ((self.archived, "is archived"),
                              (self.portal, "not an internal user"),
                              (self.associate_b, "does not work in company")):
            with self.subTest(user=user.login), self.assertRaisesRegex(ValidationError, message):
                with self.env.cr.savepoint():
                    lead.write({"colleague_id": user.id})
            self.assertEqual(lead.user_id, self.associate_a)
        with self.assertRaisesRegex(ValidationError, "is archived"):
            with self.env.cr.savepoint():
                self.env["crm.lead"].with_user(self.manager_a).create(
                    {"name": "X", "colleague_id": self.archived.id})
        self.assertFalse(self.env["crm.lead"].search([("name", "=", "X")]))

    def test_colleague_field_domain(self):
        """The Colleague dropdown of a company A lead offers A's internal users only."""
        domain = safe_eval(self.env["crm.lead"]._fields["colleague_id"].domain, {
            "company_id": self.company_a.id, "current_company_id": self.company_a.id})
        offered = self.env["res.users"].with_user(self.manager_a).search(domain)
        self.assertIn(self.associate_a2, offered)
        self.assertNotIn(self.associate_b, offered, "a user of company B only")
        self.assertNotIn(self.portal, offered, "not an internal user")
        self.assertNotIn(self.archived, offered)

    def test_ui_creation_sets_creator_and_context(self):
        seen = []
        Lead = type(self.env["crm.lead"])
        original = Lead.create

        def create(records, vals_list):
            seen.append(records.env.context.get("crm_rm_ui_create"))
            return original(records, vals_list)

        with patch.object(Lead, "create", create):
            [res] = self.env["crm.lead"].with_user(self.associate_a).web_save(
                {"name": "Typed in the form"}, {"colleague_id": {}})
            lead = self.env["crm.lead"].browse(res["id"])
            self.assertEqual(lead.colleague_id, self.associate_a)
            self.assertEqual(seen, [SERVER])  # a server flag, not a client value
            # created by other channels: no UI flag
            self.env["crm.lead"].with_user(self.associate_a).create({"name": "RPC"})
            self.assertEqual(seen, [SERVER, None])
        # the creator can clear it straight away
        lead.with_user(self.associate_a).web_save({"colleague_id": False}, {})
        self.assertFalse(lead.user_id)
        # a form cleared before saving keeps no colleague
        [res] = self.env["crm.lead"].with_user(self.associate_a).web_save(
            {"name": "No colleague", "user_id": False}, {})
        self.assertFalse(self.env["crm.lead"].browse(res["id"]).user_id)

    def test_form_shows_colleague(self):
        """The form shows the Salesperson itself, labelled Colleague: every
        module's Form(crm.lead) sets user_id as in Odoo."""
        with Form(self.env["crm.lead"].with_user(self.manager_a)) as form:
            form.name = "Form lead"
            self.assertEqual(form.user_id, self.manager_a)
            form.user_id = self.associate_a2
        self.assertEqual(form.record.user_id, self.associate_a2)
        self.assertEqual(form.record.colleague_id, self.associate_a2)
        for lead_type in ("lead", "opportunity"):
            lead = self.env["crm.lead"].with_user(self.manager_a).create({
                "name": f"A {lead_type}", "type": lead_type, "company_id": self.company_a.id,
                "user_id": self.associate_a2.id})
            with self.subTest(type=lead_type), Form(lead) as form:
                form.user_id = self.associate_a
            self.assertEqual(lead.colleague_id, self.associate_a)

    def test_form_colleague_field(self):
        """One visible user_id, labelled Colleague, with the colleague's domain and
        help; the Salesperson fields of crm's form stay hidden."""
        arch = self.env["crm.lead"].with_user(self.manager_a).get_view(
            self.env.ref("crm.crm_lead_view_form").id, "form")["arch"]
        tree = etree.fromstring(arch)
        shown = [node for node in tree.iter("field")
                 if node.get("name") in ("user_id", "colleague_id")
                 and node.get("invisible") not in ("1", "True")]
        self.assertEqual(len(shown), 1)
        node = shown[0]
        self.assertEqual((node.get("name"), node.get("string")), ("user_id", "Colleague"))
        self.assertEqual(node.get("domain"), self.env["crm.lead"]._fields["colleague_id"].domain)
        self.assertEqual(node.get("help"), self.env["crm.lead"]._fields["colleague_id"].help)
        self.assertTrue(node.xpath("ancestor::group[@name='crm_rm_colleague']"))

    def test_many2one_records_in_write_and_create(self):
        """Odoo accepts records as many2one values: so does the colleague check."""
        Lead = self.env["crm.lead"].with_user(self.manager_a)
        lead = self.lead_a.with_user(self.manager_a)
        lead.write({"user_id": self.associate_a2})
        self.assertEqual(lead.user_id, self.associate_a2)
        lead.write({"colleague_id": self.associate_a})
        self.assertEqual(lead.user_id, self.associate_a)
        lead.write({"colleague_id": self.associate_a2, "user_id": self.associate_a2.id})
        self.assertEqual(lead.user_id, self.associate_a2, "a record and its id: the same person")
        lead.write({"user_id": self.env["res.users"]})
        self.assertFalse(lead.user_id)
        for user, message in ((self.associate_b, "does not work in company"),
                              (self.archived, "is archived")):
            with self.subTest(user=user.login), self.assertRaisesRegex(ValidationError, message):
                with self.env.cr.savepoint():
                    lead.write({"user_id": user})
        with self.assertRaisesRegex(ValueError, "Wrong value"):
            lead.write({"user_id": self.associate_a | self.associate_a2})
        with self.assertRaisesRegex(ValueError, "Wrong value"):
            lead.write({"colleague_id": self.company_a})
        created = Lead.create([
            {"name": "Record values", "user_id": self.associate_a, "team_id": self.team_a,
             "company_id": self.company_a},
            {"name": "Record colleague", "colleague_id": self.associate_a2,
             "partner_id": self.shared},
        ])
        self.assertEqual(created.user_id, self.associate_a | self.associate_a2)
        self.assertEqual(created[0].team_id, self.team_a)
        self.assertEqual(created[1].partner_id, self.shared)

    def test_search_filters(self):
        Lead = self.env["crm.lead"].with_user(self.associate_b).with_context(allowed_company_ids=self.company_b.ids)
        self.assertIn(self.lead_b, Lead.search([("colleague_id", "=", self.associate_b.id)]))
        shared = Lead.search([("crm_rm_shared", "=", True)])
        self.assertIn(self.lead_b, shared)
        self.assertFalse(shared.filtered(lambda lead: not lead.crm_rm_shared))
        self.assertNotIn(self.lead_b, Lead.search([("crm_rm_shared", "=", False)]))
        shared_a = self.env["crm.lead"].with_user(self.manager_a).search(
            [("crm_rm_shared", "=", True)])
        self.assertIn(self.lead_a, shared_a)
        self.assertNotIn(self.lead_b, shared_a)
        alone = self.env["crm.lead"].with_user(self.manager_a).create({"name": "Alone"})
        self.assertIn(alone, self.env["crm.lead"].with_user(self.manager_a).search(
            [("crm_rm_shared", "=", False)]))
        self.assertNotIn(alone, shared_a | self.env["crm.lead"].with_user(self.manager_a).search(
            [("crm_rm_shared", "!=", False)]))
        self.assertNotIn(self.lead_a, self.env["crm.lead"].with_user(self.manager_a).search(
            [("crm_rm_shared", "=", False)]))
        self.lead_b.with_user(self.associate_b).colleague_id = False
        unassigned = Lead.search([("colleague_id", "=", False), ("crm_rm_my_company", "=", True)])
        self.assertIn(self.lead_b, unassigned)
        self.assertNotIn(self.lead_a, unassigned)
        for field in ("user_id", "colleague_id"):
            groups = Lead.read_group([], [field], [field])
            self.assertFalse(set(g[field][0] for g in groups if g[field]) & set(self.a_users.ids))

    # -- offers ---------------------------------------------------------------
    def test_accept_creates_own_lead(self):
        self.assertEqual(self.offer.state, "accepted")
        self.assertEqual(self.lead_b.company_id, self.company_b)
        self.assertEqual(self.lead_b.colleague_id, self.associate_b)
        self.assertEqual(self.lead_b.partner_id, self.shared)
        self.assertEqual(self.lead_b.expected_revenue, 5000)
        self.assertEqual(self.lead_a.colleague_id, self.associate_a)
        self.assertTrue(self.lead_a.crm_rm_shared)
        self.assertTrue(self.lead_b.with_user(self.associate_b).crm_rm_shared)
        self.assertEqual(self.offer.with_user(self.associate_b).with_context(
            allowed_company_ids=self.company_b.ids).own_lead_id, self.lead_b)
        self.assertEqual(self.offer.with_user(self.associate_a).own_lead_id, self.lead_a)
        # the acceptor can change or clear the colleague straight away
        self.lead_b.with_user(self.associate_b).colleague_id = False
        self.assertEqual(self.lead_a.user_id, self.associate_a)

    def test_view_offers_only_of_readable_leads(self):
        action = self.lead_b.with_user(self.associate_b).with_context(
            allowed_company_ids=self.company_b.ids).action_view_crm_rm_offers()
        self.assertEqual(action["domain"], [("id", "in", self.offer.ids)])
        # the offers are looked up as superuser: not for a lead of another company
        with self.assertRaises(AccessError):
            self.lead_a.with_user(self.associate_b).with_context(
                allowed_company_ids=self.company_b.ids).action_view_crm_rm_offers()

    def test_lead_company_of_meetings_and_notifications(self):
        """The helper fields of the record rules, computed for a batch at once."""
        Event = self.env["calendar.event"]
        by_res = Event.create({
            "name": "Linked by res_id only", "start": "2030-01-11 10:00:00",
            "stop": "2030-01-11 11:00:00",
            "res_model_id": self.env["ir.model"]._get_id("crm.lead"), "res_id": self.lead_b.id,
        })
        no_lead = Event.create({"name": "No lead", "start": "2030-01-12 10:00:00",
                                "stop": "2030-01-12 11:00:00"})
        events = self.meeting_a | by_res | no_lead
        events.invalidate_recordset(["crm_rm_lead_company_id"])
        self.assertEqual([e.crm_rm_lead_company_id for e in events],
                         [self.company_a, self.company_b, self.env["res.company"]])
        notifications = self.env["mail.notification"].search([
            ("mail_message_id.model", "=", "crm.lead"),
            ("mail_message_id.res_id", "in", (self.lead_a | self.lead_b).ids)])
        self.assertTrue(notifications)
        notifications.invalidate_recordset(["crm_rm_lead_company_id"])
        expected = {self.lead_a.id: self.company_a, self.lead_b.id: self.company_b}
        for notification in notifications:
            self.assertEqual(notification.crm_rm_lead_company_id,
                             expected[notification.mail_message_id.res_id])

    def test_offer_bad_input(self):
        Offer = self.env["crm.lead.offer"].with_user(self.associate_a)
        lead = self.env["crm.lead"].with_user(self.associate_a).create(
            {"name": "Second deal", "company_id": self.company_a.id})
        with self.assertRaisesRegex(UserError, "belongs to Company A already"):
            Offer._offer_leads(lead, self.company_a)
        no_company = self.env["crm.lead"].with_user(self.associate_a).create(
            {"name": "Nobody's deal"})
        no_company.sudo().write({"company_id": False, "team_id": False})
        self.assertFalse(no_company.company_id)
        with self.assertRaisesRegex(UserError, "belongs to no company"):
            Offer._offer_leads(no_company, self.company_b)
        with self.assertRaisesRegex(UserError, "already accepted to Company B"):
            Offer._offer_leads(self.lead_a, self.company_b)
        self.assertEqual(self.env["crm.lead.offer"].search_count([("name", "=", "Second deal")]), 0)
        with self.assertRaisesRegex(UserError, "is accepted; only a pending offer"):
            self.offer.with_user(self.associate_b).with_context(allowed_company_ids=self.company_b.ids).action_accept()
        offer = Offer._offer_leads(lead, self.company_b)
        with self.assertRaisesRegex(UserError, "already offered"):
            Offer._offer_leads(lead, self.company_b)
        # only the receiving company answers, only the offering company withdraws
        with self.assertRaises(AccessError):
            offer.with_user(self.associate_a).action_accept()
        with self.assertRaises(AccessError):
            offer.with_user(self.associate_b).with_context(allowed_company_ids=self.company_b.ids).action_withdraw()
        offer.with_user(self.associate_a).action_withdraw()
        count = self.env["crm.lead"].search_count([])
        for method in ("action_accept", "action_decline"):
            with self.assertRaisesRegex(UserError, "is withdrawn; only a pending offer"):
                getattr(offer.with_user(self.associate_b).with_context(
                    allowed_company_ids=self.company_b.ids), method)()
        self.assertEqual(offer.state, "withdrawn")
        self.assertEqual(self.env["crm.lead"].search_count([]), count)
        # a user of company B only cannot offer company A's lead
        with self.assertRaises(AccessError):
            self.env["crm.lead.offer"].with_user(self.associate_b).with_context(
                allowed_company_ids=self.company_b.ids)._offer_leads(
                lead.with_user(self.associate_b), self.company_b)

    def test_wizard_offer_and_decline_notifies_offering_side(self):
        lead = self.env["crm.lead"].with_user(self.associate_a).create(
            {"name": "Declined deal", "company_id": self.company_a.id})
        wizard = self.env["crm.lead.offer.wizard"].with_user(self.associate_a).with_context(
            active_model="crm.lead", active_ids=lead.ids).create(
            {"to_company": str(self.company_b.id), "note": "Yours?"})
        self.assertIn((str(self.company_b.id), "Company B"),
                      wizard._selection_to_company())
        wizard.action_offer()
        offer = self.env["crm.lead.offer"].search([("name", "=", "Declined deal")])
        self.assertEqual(offer.state, "offered")
        self.assertEqual(offer.create_uid, self.env.ref("base.user_root"))
        incoming = self.as_b("crm.lead.offer").search([("is_incoming", "=", True),
                                                        ("state", "=", "offered")])
        self.assertEqual(incoming, offer)
        # company A's users don't see it as incoming
        self.assertFalse(self.env["crm.lead.offer"].with_user(self.associate_a).search(
            [("is_incoming", "=", True), ("id", "=", offer.id)]))
        with self.mock_mail_gateway():
            action = offer.with_user(self.associate_b).with_context(
                allowed_company_ids=self.company_b.ids).action_open_decline()
            self.env[action["res_model"]].with_user(self.associate_b).with_context(
                action["context"], allowed_company_ids=self.company_b.ids).create(
                {"reason": "Out of our area"}).action_decline()
        self.assertEqual(offer.state, "declined")
        message = lead.message_ids[0]
        self.assertIn("Company B declined the offer", message.body)
        self.assertIn("Out of our area", message.body)
        self.assertEqual(message.author_id, self.env.ref("base.partner_root"))
        self.assertIn(self.associate_a.partner_id, message.partner_ids)
        activity = lead.activity_ids.filtered(lambda act: act.user_id == self.associate_a)
        self.assertTrue(activity)
        self.assertNotIn(self.associate_b.name, message.body + str(activity.note))
        self.assertNotEqual(activity.create_uid, self.associate_b)

    # -- privacy (ORM) ----------------------------------------------------------
    def _assert_no_a_colleague(self, user, company_ids):
        self.env.invalidate_all()
        Lead = self.env["crm.lead"].with_user(user).with_context(allowed_company_ids=company_ids)
        with self.assertRaises(AccessError):
            Lead.browse(self.lead_a.id).read(["user_id"])
        with self.assertRaises(AccessError):
            Lead.browse(self.lead_a.id).web_read({"colleague_id": {}})
        for field in ("user_id", "colleague_id"):
            self.assertFalse(Lead.search([(field, "in", self.a_users.ids)]))
            self.assertFalse(Lead.search_read([(field, "in", self.a_users.ids)], [field]))
            rows = Lead.search_read([], [field])
            self.assertFalse({r[field][0] for r in rows if r[field]} & set(self.a_users.ids))
            res = Lead.web_search_read([], {field: {"fields": {"display_name": {}}}})
            self.assertFalse({r[field]["id"] for r in res["records"] if r[field]}
                             & set(self.a_users.ids))
        self.assertNotIn(self.lead_a, Lead.search([]))
        groups = Lead.read_group([], ["user_id"], ["user_id"])
        self.assertFalse({g["user_id"][0] for g in groups if g["user_id"]} & set(self.a_users.ids))
        groups = Lead._read_group([], ["user_id"], ["__count"])
        self.assertFalse({u.id for u, __ in groups} & set(self.a_users.ids))
        groups = Lead.read_group([], ["colleague_id"], ["colleague_id"])
        self.assertFalse({g["colleague_id"][0] for g in groups if g["colleague_id"]}
                         & set(self.a_users.ids))
        self.assertIn(self.associate_b.id,
                      {g["colleague_id"][0] for g in groups if g["colleague_id"]})
        export = Lead.search([]).export_data(["name", "user_id/name", "colleague_id/name"])
        self.assertFalse(set(self.a_names) & {v for row in export["datas"] for v in row})
        [row] = Lead.browse(self.lead_b.id).web_read({"colleague_id": {}, "user_id": {}})
        self.assertNotIn(row["user_id"], self.a_users.ids)
        self.assertNotIn(row["colleague_id"], self.a_users.ids)

        env_model = lambda name: self.env[name].with_user(user).with_context(  # noqa: E731
            allowed_company_ids=company_ids)
        # chatter of A's lead: nothing; of B's lead: no A user anywhere
        self.assertFalse(env_model("mail.message").search(
            [("model", "=", "crm.lead"), ("res_id", "=", self.lead_a.id)]))
        messages = env_model("mail.message").search(
            [("model", "=", "crm.lead"), ("res_id", "=", self.lead_b.id)])
        self.assertTrue(messages)
        for message in messages.sudo():
            self.assertNotIn(message.author_id, self.a_users.partner_id)
            self.assertNotIn(message.create_uid, self.a_users)
            self.assertFalse(message.partner_ids & self.a_users.partner_id)
            for name in self.a_names:
                self.assertNotIn(name, message.body or "")
            self.assertFalse(set(message.tracking_value_ids.mapped("old_value_integer")
                                 + message.tracking_value_ids.mapped("new_value_integer"))
                             & set(self.a_users.ids))
            for name in self.a_names:
                self.assertNotIn(name, str(message.tracking_value_ids.mapped("old_value_char"))
                                 + str(message.tracking_value_ids.mapped("new_value_char")))
        with self.assertRaises(AccessError):
            env_model("mail.tracking.value").search([])
        for lead in (self.lead_a, self.lead_b):
            followers = env_model("mail.followers").search(
                [("res_model", "=", "crm.lead"), ("res_id", "=", lead.id)])
            self.assertFalse(followers.sudo().partner_id & self.a_users.partner_id)
            activities = env_model("mail.activity").search(
                [("res_model", "=", "crm.lead"), ("res_id", "=", lead.id)])
            self.assertFalse(activities.sudo().user_id & self.a_users)
            self.assertFalse(activities.sudo().create_uid & self.a_users)
            notifications = env_model("mail.notification").search(
                [("mail_message_id", "in", lead.sudo().message_ids.ids)])
            self.assertFalse(notifications.sudo().res_partner_id & self.a_users.partner_id)
        self.assertFalse(env_model("mail.followers").search(
            [("res_model", "=", "crm.lead"), ("res_id", "=", self.lead_a.id)]))
        self.assertFalse(env_model("mail.notification").search(
            [("mail_message_id", "in", self.lead_a.sudo().message_ids.ids)]))
        self.assertFalse(env_model("mail.activity").search(
            [("res_model", "=", "crm.lead"), ("res_id", "=", self.lead_a.id)]))
        # meetings of A's lead
        Event = env_model("calendar.event")
        self.assertFalse(Event.search([("opportunity_id", "=", self.lead_a.id)]))
        self.assertFalse(Event.search([("res_model", "=", "crm.lead"),
                                       ("res_id", "=", self.lead_a.id)]))
        self.assertFalse(Event.search([("user_id", "in", self.a_users.ids)]))
        with self.assertRaises(AccessError):
            Event.browse(self.meeting_a.id).read(["user_id"])
        self.assertFalse(env_model("calendar.attendee").search(
            [("event_id", "=", self.meeting_a.id)]))
        self.assertFalse(env_model("calendar.attendee").search(
            [("partner_id", "in", self.a_users.partner_id.ids)]))
        # the offer holds neutral data only
        offer = env_model("crm.lead.offer").browse(self.offer.id)
        row = offer.read()[0]
        for field in ("lead_id", "offered_by_id", "decided_by_id", "to_lead_id"):
            self.assertNotIn(field, row)
            with self.assertRaises(AccessError):
                offer.read([field])
        self.assertEqual(row["own_lead_id"][0], self.lead_b.id)
        self.assertNotIn(row["create_uid"][0], self.a_users.ids)
        self.assertNotIn(row["write_uid"][0], self.a_users.ids)
        for name in self.a_names:
            self.assertNotIn(name, str(row))

    def test_privacy_b_only_users(self):
        for user in (self.associate_b, self.manager_b):
            with self.subTest(user=user.login):
                self._assert_no_a_colleague(user, self.company_b.ids)

    def test_meeting_attendees_and_own_company_still_see_meetings(self):
        Event = self.env["calendar.event"]
        self.assertTrue(Event.with_user(self.associate_a).search([("id", "=", self.meeting_a.id)]))
        self.assertTrue(Event.with_user(self.manager_a).search([("id", "=", self.meeting_a.id)]))
        self.meeting_a.partner_ids |= self.associate_b.partner_id
        self.assertTrue(Event.with_user(self.associate_b).search([("id", "=", self.meeting_a.id)]))
        # an invited attendee sees who else is invited
        self.assertEqual(self.env["calendar.attendee"].with_user(self.associate_b).search(
            [("event_id", "=", self.meeting_a.id)]).partner_id,
            self.associate_a.partner_id | self.associate_b.partner_id)
        other = Event.with_user(self.associate_b).create({
            "name": "Not about a lead", "start": "2030-01-11 10:00:00",
            "stop": "2030-01-11 11:00:00"})
        self.assertTrue(Event.with_user(self.manager_a).search([("id", "=", other.id)]))

    def test_privacy_user_in_both_companies(self):
        """A user of both companies sees each side within the companies they
        work in (allowed companies), like any multi-company record."""
        Lead = self.env["crm.lead"].with_user(self.user_ab)
        self._assert_no_a_colleague(self.user_ab, self.company_b.ids)
        in_a = Lead.with_context(allowed_company_ids=self.company_a.ids).search(
            [("id", "in", (self.lead_a | self.lead_b).ids)])
        self.assertEqual(in_a, self.lead_a)
        both = Lead.with_context(allowed_company_ids=(self.company_a | self.company_b).ids)
        self.assertEqual(both.search([("id", "in", (self.lead_a | self.lead_b).ids)]),
                         self.lead_a | self.lead_b)
        self.assertTrue(both.env["calendar.event"].search([("id", "=", self.meeting_a.id)]))
        # and company A never sees B's colleague either
        self.assertFalse(self.env["crm.lead"].with_user(self.associate_a).search(
            [("user_id", "=", self.associate_b.id)]))
        with self.assertRaises(AccessError):
            self.lead_b.with_user(self.manager_a).read(["user_id"])

    # -- notifications ----------------------------------------------------------
    def _notified(self, user, lead, since_id):
        return self.env["mail.message"].sudo().search([
            ("model", "=", "crm.lead"), ("res_id", "=", lead.id), ("id", ">", since_id),
            ("notification_ids.res_partner_id", "=", user.partner_id.id),
        ])

    def _last_message_id(self):
        return self.env["mail.message"].sudo().search([], order="id desc", limit=1).id

    def test_notify_colleague_on_actions_of_others(self):
        self.associate_a.notification_type = "inbox"
        lead = self.lead_a
        start = self._last_message_id()
        lead.with_user(self.manager_a).write({"user_id": self.associate_a2.id})
        self.assertTrue(self._notified(self.associate_a2, lead, start))
        lead.with_user(self.manager_a).write({"user_id": self.associate_a.id})
        start = self._last_message_id()
        # own actions don't notify
        lead.with_user(self.associate_a).message_post(
            body="my own note", message_type="comment", subtype_xmlid="mail.mt_note")
        self.assertFalse(self._notified(self.associate_a, lead, start))
        for action in (
            lambda: lead.with_user(self.manager_a).message_post(
                body="a note", message_type="comment", subtype_xmlid="mail.mt_note"),
            lambda: lead.with_user(self.manager_a).activity_schedule(
                "mail.mail_activity_data_todo", user_id=self.manager_a.id, summary="Follow"),
            lambda: lead.with_user(self.manager_a).write(
                {"stage_id": self.env["crm.stage"].search(
                    [("id", "!=", lead.stage_id.id)], limit=1).id}),
        ):
            start = self._last_message_id()
            action()
            notified = self._notified(self.associate_a, lead, start)
            self.assertTrue(notified)
            self.assertEqual(notified.notification_ids.filtered(
                lambda n: n.res_partner_id == self.associate_a.partner_id).notification_type,
                "inbox")

    def test_relay_from_other_company_without_names(self):
        self.associate_a.notification_type = "email"
        self.associate_b.notification_type = "email"
        stage = self.env["crm.stage"].search([("id", "!=", self.lead_b.stage_id.id)], limit=1)
        start = self._last_message_id()
        with self.mock_mail_gateway():
            self.lead_b.with_user(self.associate_b).with_context(allowed_company_ids=self.company_b.ids).write(
                {"stage_id": stage.id})
            self.lead_b.with_user(self.manager_b).with_context(allowed_company_ids=self.company_b.ids).message_post(
                body="B internal note naming Rm Assoc B", message_type="comment",
                subtype_xmlid="mail.mt_note")
            self.lead_b.with_user(self.associate_b).with_context(allowed_company_ids=self.company_b.ids).activity_schedule("mail.mail_activity_data_call",
                                                  user_id=self.associate_b.id)
        relayed = self.env["mail.message"].search([
            ("model", "=", "crm.lead"), ("res_id", "=", self.lead_a.id), ("id", ">", start)])
        self.assertEqual(len(relayed), 3)
        self.assertIn(f"Company B moved the lead to stage {stage.name}", relayed[-1].body)
        for message in relayed:
            self.assertEqual(message.author_id, self.env.ref("base.partner_root"))
            self.assertEqual(message.create_uid, self.env.ref("base.user_root"))
            self.assertEqual(message.partner_ids, self.associate_a.partner_id)
            for name in (self.associate_b.name, self.manager_b.name):
                self.assertNotIn(name, message.body)
        self.assertNotIn("B internal note", str(relayed.mapped("body")))
        # nobody of B follows A's lead
        self.assertFalse(self.lead_a.message_partner_ids
                         & (self.associate_b | self.manager_b).partner_id)
        # e-mails: A's colleague is told, nothing of B's people in them
        mails_to_a = [m for m in self._mails if self.associate_a.email in str(m["email_to"])]
        self.assertEqual(len(mails_to_a), 3)
        for mail in self._mails:
            if self.associate_a.email in str(mail["email_to"]):
                for name in (self.associate_b.name, self.manager_b.name):
                    self.assertNotIn(name, mail["body"] + mail["subject"])

    def test_relay_batch_one_summary_per_colleague(self):
        """A write on many shared leads logs a note on each linked lead and sends
        each colleague of the other company one summary, not one per lead."""
        Offer = self.env["crm.lead.offer"]
        lead2 = self.env["crm.lead"].with_user(self.associate_a).create(
            {"name": "Second shared deal", "company_id": self.company_a.id}).with_env(self.env)
        offer2 = Offer.with_user(self.associate_a)._offer_leads(
            lead2.with_user(self.associate_a), self.company_b)
        self.env.invalidate_all()
        action = offer2.with_user(self.associate_b).with_context(
            allowed_company_ids=self.company_b.ids).action_accept()
        lead2_b = self.env["crm.lead"].browse(action["res_id"])
        self.associate_b.notification_type = "inbox"
        stage = self.env["crm.stage"].search([], order="sequence desc", limit=1)
        start = self._last_message_id()
        (self.lead_a | lead2).with_user(self.manager_a).write({"stage_id": stage.id})
        for lead_b in (self.lead_b, lead2_b):
            [note] = self.env["mail.message"].search([
                ("model", "=", "crm.lead"), ("res_id", "=", lead_b.id), ("id", ">", start)])
            self.assertIn(f"Company A moved the lead to stage {stage.name}", note.body)
            self.assertEqual(note.create_uid, self.env.ref("base.user_root"))
            self.assertEqual(note.author_id, self.env.ref("base.partner_root"))
        summary = self.env["mail.message"].search([
            ("id", ">", start), ("partner_ids", "in", self.associate_b.partner_id.ids)])
        self.assertEqual(len(summary), 1)
        self.assertIn("Company A updated 2 of your shared leads", summary.body)
        self.assertEqual(summary.notification_ids.res_partner_id, self.associate_b.partner_id)
        for name in self.a_names:
            self.assertNotIn(name, summary.body)
        # A's colleague is told once too (one summary, the manager changed two leads)
        told_a = self.env["mail.message"].search([
            ("id", ">", start), ("partner_ids", "in", self.associate_a.partner_id.ids)])
        self.assertEqual(len(told_a), 1)
        self.assertIn("changed the stage of 2 of your leads", told_a.body)

    def test_mails_to_b_never_name_a_colleague(self):
        for user in self.a_users | self.associate_b | self.manager_b:
            user.notification_type = "email"
        self.lead_b.with_user(self.associate_b).message_subscribe(
            partner_ids=self.manager_b.partner_id.ids)
        stage = self.env["crm.stage"].search([("id", "!=", self.lead_a.stage_id.id)], limit=1)
        with self.mock_mail_gateway():
            lead = self.lead_a.with_user(self.manager_a)
            lead.write({"stage_id": stage.id})
            lead.message_post(body="note by A's manager about Rm Assoc A", message_type="comment",
                              subtype_xmlid="mail.mt_note")
            lead.activity_schedule("mail.mail_activity_data_todo", user_id=self.manager_a.id)
            self.lead_a.with_user(self.manager_a).write({"user_id": self.associate_a2.id})
            self.lead_a.with_user(self.manager_a).action_set_lost()
        b_emails = {self.associate_b.email, self.manager_b.email}
        to_b = [m for m in self._mails if b_emails & {e.split("<")[-1].strip(">") for e in
                                                       m["email_to"]} or
                any(e in str(m["email_to"]) for e in b_emails)]
        self.assertTrue(to_b, "B's colleague is told about A's actions")
        for mail in to_b:
            for name in self.a_names:
                self.assertNotIn(name, mail["body"] + mail["subject"] + str(mail["email_from"]))
        for mail in self._new_mails.filtered(
                lambda m: m.recipient_ids & (self.associate_b | self.manager_b).partner_id):
            for name in self.a_names:
                self.assertNotIn(name, (mail.body_html or "") + (mail.subject or ""))
            self.assertFalse(mail.recipient_ids & self.a_users.partner_id)
