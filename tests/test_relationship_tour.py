# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo.tests import tagged

from .common import RelationshipHttpCase
from .tour_screenshots import screenshot_at_end


@tagged("post_install", "-at_install")
class TestRelationshipTour(RelationshipHttpCase):
    def test_update_relationship_tour(self):
        self.assign(self.customer_a, self.associate_a, reason="Initial")
        self.assign(self.customer_a, self.associate_a2, role=self.role_cs)
        with screenshot_at_end("screenshot_relationships"):
            self.start_tour(
                f"/odoo/action-base.action_partner_form/{self.customer_a.id}",
                "crm_relationship_update_tour", login=self.manager_a.login, timeout=120,
            )
        rel = self.current(self.customer_a)
        self.assertEqual(rel.user_id, self.associate_a2)
        self.assertEqual(rel.reason, "Territory change")
        self.assertEqual(rel.changed_by_id, self.manager_a)
        self.assertEqual(rel.previous_id.user_id, self.associate_a)
