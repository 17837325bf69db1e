# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, fields, models


class CrmLeadUpdateAssignment(models.TransientModel):
    """Update Assignment: transfer leads to another member of their sales team."""

    _name = "crm.lead.update.assignment"
    _description = "Update Lead Assignment"

    lead_ids = fields.Many2many("crm.lead", string="Leads", required=True)
    team_member_ids = fields.Many2many(
        "res.users", compute="_compute_team_member_ids", string="Team Members"
    )
    user_id = fields.Many2one(
        "res.users", string="New Salesperson", required=True,
        domain="[('id', 'in', team_member_ids)]",
    )
    reason = fields.Char()

    @api.depends("lead_ids")
    def _compute_team_member_ids(self):
        for wizard in self:
            teams = wizard.lead_ids.team_id.sudo()
            members = teams.member_ids | teams.user_id
            companies = wizard.lead_ids.company_id
            wizard.team_member_ids = members.filtered(
                lambda u: u.active and not u.share and companies <= u.company_ids
            )

    def action_apply(self):
        self.ensure_one()
        self.lead_ids._update_assignment(self.user_id, reason=self.reason)
        return {"type": "ir.actions.act_window_close"}
