# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Capacity of a listed pool member (see crm_rotation_pool_capacity.py).

A member's capacity *is* Odoo's ``crm.team.member.assignment_max`` of their
membership of the pool's team: shown and edited on the member line, written to
the team membership. Only a user who is not in the team has a capacity of their
own on the line (``own_capacity``).
"""
from odoo import _, api, fields, models
from odoo.exceptions import ValidationError


class CrmRotationPoolMember(models.Model):
    _inherit = "crm.rotation.pool.member"

    team_member_id = fields.Many2one(
        "crm.team.member", string="Team Membership", compute="_compute_team_member_id",
        help="The user's membership of the pool's sales team, which holds their capacity.",
    )
    capacity = fields.Integer(
        compute="_compute_capacity", inverse="_inverse_capacity",
        help="Maximum load of this member (what counts is the pool's Capacity option). "
        "For a member of the pool's sales team this is their 'Average Leads Capacity "
        "(on 30 days)' in the team, changed here for the team too.",
    )
    own_capacity = fields.Integer(
        default=30,
        help="Capacity used while the user is not a member of the pool's sales team.",
    )
    capacity_load = fields.Integer(
        string="Load", compute="_compute_capacity_load",
        help="The member's current load, counted as the pool's Capacity option says.",
    )
    at_capacity = fields.Boolean(compute="_compute_capacity_load")

    @api.depends("user_id", "pool_id.team_id")
    def _compute_team_member_id(self):
        TeamMember = self.env["crm.team.member"].sudo()
        memberships = TeamMember.search_fetch([
            ("crm_team_id", "in", self.pool_id.team_id._origin.ids),
            ("user_id", "in", self.user_id._origin.ids),
        ], ["crm_team_id", "user_id", "assignment_max"])
        by_key = {(tm.crm_team_id.id, tm.user_id.id): tm for tm in memberships}
        for member in self:
            member.team_member_id = by_key.get(
                (member.pool_id.team_id._origin.id, member.user_id._origin.id), TeamMember)

    # not on team_member_id.assignment_max (a non-searchable path): read anew
    # with each access of a fresh record cache
    @api.depends("user_id", "pool_id.team_id", "own_capacity")
    def _compute_capacity(self):
        for member in self:
            team_member = member.team_member_id
            member.capacity = team_member.assignment_max if team_member else member.own_capacity

    def _inverse_capacity(self):
        for member in self:
            # refused by _check_own_capacity before the team membership is touched
            member.own_capacity = member.capacity
            if member.team_member_id:
                # the line is the team membership's capacity, edited in the pool
                # (pool members are edited by administrators only)
                member.team_member_id.sudo().assignment_max = member.capacity

    @api.constrains("own_capacity")
    def _check_own_capacity(self):
        for member in self:
            if member.own_capacity < 0:
                raise ValidationError(_(
                    "The capacity of %(user)s in rotation pool %(pool)s cannot be negative.",
                    user=member.user_id.name, pool=member.pool_id.name))

    @api.depends("user_id", "capacity", "pool_id.capacity_mode")
    def _compute_capacity_load(self):
        limits = {}
        for pool in self.pool_id:
            members = self.filtered(lambda m, pool=pool: m.pool_id == pool)
            limits[pool] = pool._origin._capacity_loads(members.user_id._origin.ids) \
                if pool._origin.id else {}
        for member in self:
            _capacity, load = limits.get(member.pool_id, {}).get(
                member.user_id._origin.id, (0, 0))
            member.capacity_load = load
            member.at_capacity = (member.pool_id.capacity_mode != "none"
                                  and load >= member.capacity)
