# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Away dates: until when a rep gets no new leads from rotation pools (and
cannot own records on those dates, see res_users_eligibility.py)."""
from odoo import _, fields, models
from odoo.exceptions import AccessError


class ResUsers(models.Model):
    _inherit = "res.users"

    away_until = fields.Date(
        help="Until this day (included) the rep gets no new leads from rotation pools; "
        "their turns are kept for their return. Set by the rep or a manager.",
    )

    @property
    def SELF_READABLE_FIELDS(self):
        return super().SELF_READABLE_FIELDS + ["away_until"]

    @property
    def SELF_WRITEABLE_FIELDS(self):
        return super().SELF_WRITEABLE_FIELDS + ["away_until"]

    def write(self, vals):
        """Relationship managers may set the away date of the users of their
        companies (they cannot otherwise write users)."""
        if (set(vals) == {"away_until"} and not self.env.su
                and self.env["crm.relationship"]._is_relationship_manager()
                and not self.env.user.has_group("base.group_erp_manager")):
            companies = self.env.user.company_ids
            foreign = self.filtered(lambda user: not (user.sudo().company_ids & companies))
            if foreign:
                raise AccessError(
                    _("You cannot set the away date of %(user)s: they work in none of your "
                      "companies.", user=foreign[0].name))
            return super(ResUsers, self.sudo()).write(vals)
        return super().write(vals)
