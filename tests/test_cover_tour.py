# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo.tests import tagged

from .common import RelationshipHttpCase, TaskFollowMixin
from .tour_screenshots import screenshot_at_end


@tagged("post_install", "-at_install")
class TestCoverTour(TaskFollowMixin, RelationshipHttpCase):
    def test_setting_a_cover_and_watching_it_return_tour(self):
        self.setup_task_follow_data()
        work = self.open_work()
        with screenshot_at_end("screenshot_cover"):
            self.start_tour("/odoo/action-crm_relationship_manager.crm_rep_cover_action",
                            "crm_rep_cover_tour", login=self.manager_a.login, timeout=120)
        cover = self.env["crm.rep.cover"].search([("user_id", "=", self.associate_a.id)])
        self.assertEqual(cover.state, "ended")
        self.assertEqual(cover.cover_user_id, self.associate_a2)
        self.assertEqual(cover.ended_by_id, self.manager_a)
        self.assertEqual(set(cover.item_ids.mapped("state")), {"returned"})
        self.assertEqual(len(cover.item_ids), 6)
        self.assertEqual(work["lead_auto"].user_id, self.associate_a, "given back")
