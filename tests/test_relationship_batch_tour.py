# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo.tests import tagged

from .common import BatchMixin, RelationshipHttpCase
from .tour_screenshots import screenshot_at_end


@tagged("post_install", "-at_install")
class TestRelationshipBatchTour(BatchMixin, RelationshipHttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.setup_batch_data(count=5)

    def test_manage_relationships_tour(self):
        lead = self.env["crm.lead"].create({
            "name": "Renewal", "partner_id": self.book[0].id, "user_id": self.associate_a.id,
            "company_id": self.company_a.id, "team_id": self.team_a.id,
        })
        self.start_tour(f"/odoo/action-base.action_res_users/{self.associate_a.id}",
                        "crm_relationship_batch_tour", login=self.manager_a.login, timeout=180)
        batch = self.Batch.search([("user_id", "=", self.manager_a.id)])
        self.assertEqual(len(batch), 1)
        self.assertEqual(batch.state, "queued")
        self.assertEqual(len(batch.line_ids), 1, "the discarded audience line is not kept")
        self.assertEqual(batch.line_ids.source_user_id, self.associate_a)
        self.assertEqual(batch.line_ids.target_ids.user_id, self.rep_c | self.rep_d)
        # the cron worker processes it in the background
        self.run_cron()
        self.assertEqual(batch.state, "done")
        self.assertEqual(self.result_counts(batch), {"Rm Rep C": 3, "Rm Rep D": 2})
        self.assertEqual(lead.user_id, self.rep_c)
        with screenshot_at_end("screenshot_batch"):
            self.start_tour(f"/odoo/action-crm_relationship_manager.crm_relationship_batch_action/"
                            f"{batch.id}", "crm_relationship_batch_done_tour",
                            login=self.manager_a.login, timeout=120)
