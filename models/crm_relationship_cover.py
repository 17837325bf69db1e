# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Relationships during a temporary cover: unchanged, but they say who covers."""
from odoo import api, fields, models


class CrmRelationship(models.Model):
    _inherit = "crm.relationship"

    cover_note = fields.Char(
        string="Temporary Cover", compute="_compute_cover_note",
        groups="crm_relationship_manager.group_relationship_associate",
        help="The rep is away: who covers for them, and until when.")

    @api.depends_context("tz")
    def _compute_cover_note(self):
        today = fields.Date.context_today(self)
        current = self.filtered("is_current")
        covers = self.env["crm.rep.cover"]._covers_of(
            current.user_id, current.company_id, today)
        for rel in self:
            cover = covers.get((rel.user_id.id, rel.company_id.id)) if rel.is_current else None
            rel.cover_note = cover._cover_note() if cover else False
