# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo.tests import tagged

from .common import RelationshipHttpCase, TaskFollowMixin


@tagged("post_install", "-at_install")
class TestTaskFollowTour(TaskFollowMixin, RelationshipHttpCase):
    def test_archive_user_asks_for_successor_tour(self):
        self.setup_task_follow_data()
        self.set_policy("all")
        work = self.open_work()
        self.start_tour(
            f"/odoo/action-base.action_res_users/{self.associate_a.id}",
            "crm_task_follow_archive_tour", login=self.admin.login, timeout=120,
        )
        self.env.invalidate_all()
        self.assertFalse(self.associate_a.active)
        rel = self.current(self.customer_a)
        self.assertEqual(rel.user_id, self.associate_a2)
        self.assertEqual(rel.source, "mass")
        self.assertEqual(rel.previous_id.end_reason, "Left the company")
        for key, act in work.items():
            self.assertTrue(act.exists(), f"{key}: no activity is deleted")
        self.assertEqual(work["lead_manual"].user_id, self.associate_a2)
        self.assertEqual(len(self.handover_mails()), 2, "customer A and customer A2")
