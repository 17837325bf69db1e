# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo.tests import tagged

from .common import RelationshipHttpCase
from .test_user_usage import UsageMixin
from .tour_screenshots import screenshot_at_end


@tagged("post_install", "-at_install")
class TestUserUsageTour(UsageMixin, RelationshipHttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.setup_usage_data()

    def test_usage_view_tour(self):
        self.start_tour(
            f"/odoo/action-base.action_res_users/{self.associate_a.id}",
            "crm_user_usage_tour", login=self.admin.login, timeout=120,
        )

    def test_archive_refused_then_completed_tour(self):
        with screenshot_at_end("screenshot_departure"):
            self.start_tour(
                f"/odoo/action-base.action_res_users/{self.associate_a.id}",
                "crm_user_archive_refused_tour", login=self.admin.login, timeout=120,
            )
        self.env.invalidate_all()
        self.assertFalse(self.associate_a.active)
        a2 = self.associate_a2
        self.assertEqual(self.current(self.customer_a).user_id, a2)
        self.assertEqual(self.current(self.customer_a).previous_id.end_reason, "Left the company")
        self.assertEqual(self.team_led.user_id, a2)
        self.assertEqual(self.pool_a.fallback_user_id, a2)
        self.assertEqual(self.filter.user_id, a2)
        self.assertEqual(self.future_meeting.user_id, a2)
        handover = self.env["crm.user.handover"].search([("user_id", "=", self.associate_a.id)])
        self.assertEqual(handover.reason, "Left the company")
        self.assertTrue(handover.pending_count)

    def test_give_back_tour(self):
        self.env["res.users.reassign"].with_user(self.admin).create({
            "user_id": self.associate_a.id, "successor_id": self.associate_a2.id,
            "archive_user": True}).action_apply()
        self.filter.user_id = self.manager_a  # changed meanwhile: kept
        self.start_tour(
            f"/odoo/action-base.action_res_users/{self.associate_a.id}",
            "crm_user_give_back_tour", login=self.admin.login, timeout=120,
        )
        self.env.invalidate_all()
        self.assertTrue(self.associate_a.active)
        self.assertEqual(self.team_led.user_id, self.associate_a)
        self.assertEqual(self.current(self.customer_a).user_id, self.associate_a)
        self.assertEqual(self.filter.user_id, self.manager_a)
