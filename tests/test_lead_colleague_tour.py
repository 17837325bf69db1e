# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo.tests import tagged

from .common import RelationshipHttpCase
from .tour_screenshots import screenshot_at_end


@tagged("post_install", "-at_install")
class TestLeadColleagueTour(RelationshipHttpCase):
    def test_assign_and_clear_colleague_tour(self):
        lead = self.env["crm.lead"].create({
            "name": "Colleague tour deal", "type": "opportunity", "user_id": self.associate_a.id,
            "team_id": self.team_a.id, "company_id": self.company_a.id,
        })
        self.start_tour(f"/odoo/action-crm.crm_lead_opportunities/{lead.id}",
                        "crm_lead_colleague_tour", login=self.manager_a.login, timeout=120)
        self.assertFalse(lead.colleague_id)
        self.assertFalse(lead.user_id)
        tracked = lead.message_ids.tracking_value_ids.filtered(
            lambda t: t.field_id.name == "user_id")
        self.assertEqual(set(tracked.mapped("new_value_integer")), {self.associate_a2.id, 0})

    def test_optional_colleague_column_tour(self):
        self.env["crm.lead"].create({
            "name": "Colleague tour deal", "type": "opportunity", "user_id": self.associate_a2.id,
            "team_id": self.team_a.id, "company_id": self.company_a.id,
        })
        with screenshot_at_end("screenshot_colleague"):
            self.start_tour("/odoo/action-crm.crm_lead_opportunities?view_type=list",
                            "crm_lead_colleague_column_tour", login=self.manager_a.login,
                            timeout=120)

    def test_accept_offer_tour(self):
        lead = self.env["crm.lead"].create({
            "name": "Tour offered deal", "type": "opportunity", "user_id": self.associate_a.id,
            "partner_name": "Tour Customer", "company_id": self.company_a.id,
            "team_id": self.team_a.id, "expected_revenue": 1234,
        })
        offer = self.env["crm.lead.offer"].with_user(self.associate_a)._offer_leads(
            lead.with_user(self.associate_a), self.company_b)
        self.start_tour("/odoo/action-crm_relationship_manager.crm_lead_offer_action",
                        "crm_lead_offer_accept_tour", login=self.associate_b.login, timeout=120)
        self.assertEqual(offer.state, "accepted")
        accepted = self.env["crm.lead"].search([("name", "=", "Tour offered deal"),
                                                 ("company_id", "=", self.company_b.id)])
        self.assertEqual(accepted.user_id, self.associate_b)
        self.assertEqual(lead.user_id, self.associate_a)
