# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Activities handed over by a temporary cover say whom they cover for."""
from odoo import fields, models


class MailActivity(models.Model):
    _inherit = "mail.activity"

    crm_rm_covering_for_id = fields.Many2one(
        "res.users", string="Covering For", compute="_compute_crm_rm_covering_for_id",
        help="The assignee covers for this rep, who is away: the activity goes back "
        "to them on their return.")

    def _compute_crm_rm_covering_for_id(self):
        # the cover's items say it (nothing is written on the activities): one
        # query for all the activities shown
        items = self.env["crm.rep.cover.item"].sudo().search_fetch(
            [("kind", "=", "activity"), ("res_id", "in", self.ids), ("state", "=", "given")],
            ["res_id", "cover_id", "to_user_id"])
        covering = {item.res_id: item for item in items}
        for activity in self:
            item = covering.get(activity.id)
            activity.crm_rm_covering_for_id = item.cover_id.user_id \
                if item and item.to_user_id == activity.user_id else False
