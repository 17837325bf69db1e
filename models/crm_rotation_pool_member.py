# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import _, api, fields, models
from odoo.exceptions import ValidationError


class CrmRotationPoolMember(models.Model):
    """A user listed explicitly in a rotation pool, with their weight.

    Listing a user adds them to the pool (even a Sales Administrator, who is
    otherwise left out) and sets how many turns per cycle they get.
    """

    _name = "crm.rotation.pool.member"
    _description = "Rotation Pool Member"
    _order = "pool_id, sequence, id"

    pool_id = fields.Many2one(
        "crm.rotation.pool", required=True, index=True, ondelete="cascade"
    )
    company_id = fields.Many2one(related="pool_id.company_id", store=True)
    sequence = fields.Integer(default=10)
    user_id = fields.Many2one(
        "res.users", string="Member", required=True, ondelete="cascade",
        domain="[('share', '=', False), ('company_ids', 'in', company_id)]",
    )
    weight = fields.Integer(
        default=1, required=True,
        help="Turns per cycle: a weight of 3 gives this member three leads for every "
        "lead of a member with weight 1.",
    )
    away_until = fields.Date(related="user_id.away_until")

    _sql_constraints = [
        ("pool_user_uniq", "unique(pool_id, user_id)",
         "A user can be listed only once per rotation pool."),
    ]

    @api.constrains("weight")
    def _check_weight(self):
        for member in self:
            if member.weight <= 0:
                raise ValidationError(
                    _("The weight of %(user)s in rotation pool %(pool)s must be a positive "
                      "number of turns, not %(weight)s.", user=member.user_id.name,
                      pool=member.pool_id.name, weight=member.weight)
                )

    @api.constrains("user_id", "pool_id")
    def _check_user_company(self):
        for member in self:
            member.user_id._crm_rm_check_owner(member.pool_id.company_id, what=_(
                "a member of rotation pool %(pool)s", pool=member.pool_id.name))
