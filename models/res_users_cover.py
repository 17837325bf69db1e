# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""A rep's user form shows their current temporary cover."""
from odoo import api, fields, models


class ResUsers(models.Model):
    _inherit = "res.users"

    crm_rm_cover_id = fields.Many2one(
        "crm.rep.cover", string="Current Cover", compute="_compute_crm_rm_cover",
        groups="crm_relationship_manager.group_relationship_associate",
        help="The confirmed cover of this user today in the current company.")
    crm_rm_cover_note = fields.Char(
        string="Covered", compute="_compute_crm_rm_cover",
        groups="crm_relationship_manager.group_relationship_associate")

    @property
    def SELF_READABLE_FIELDS(self):
        return super().SELF_READABLE_FIELDS + ["crm_rm_cover_id", "crm_rm_cover_note"]

    @api.depends_context("company", "tz")
    def _compute_crm_rm_cover(self):
        today = fields.Date.context_today(self)
        company = self.env.company
        covers = self.env["crm.rep.cover"]._covers_of(self, company, today)
        for user in self:
            cover = covers.get((user.id, company.id))
            user.crm_rm_cover_id = cover.id if cover else False
            user.crm_rm_cover_note = cover._cover_note() if cover else False
