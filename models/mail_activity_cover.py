# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Activities handed over by a temporary cover say whom they cover for."""
from odoo import fields, models


class MailActivity(models.Model):
    _inherit = "mail.activity"

    crm_rm_cover_id = fields.Many2one(
        "crm.rep.cover", string="Temporary Cover", readonly=True, copy=False,
        index="btree_not_null", ondelete="set null",
        help="Handed over by this temporary cover; given back on the rep's return.")
    crm_rm_covering_for_id = fields.Many2one(
        related="crm_rm_cover_id.user_id", string="Covering For",
        help="The assignee covers for this rep, who is away: the activity goes back "
        "to them on their return.")
