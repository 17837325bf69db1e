# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, fields, models


class ResUsers(models.Model):
    _inherit = "res.users"

    relationship_ids = fields.One2many(
        "crm.relationship", "user_id", string="Customer Relationships",
        domain=[("is_current", "=", True)],
    )
    relationship_count = fields.Integer(
        compute="_compute_relationship_count", string="Customers"
    )

    @api.depends("relationship_ids")
    def _compute_relationship_count(self):
        data = self.env["crm.relationship"]._read_group(
            [("user_id", "in", self.ids), ("is_current", "=", True)],
            ["user_id"], ["__count"],
        )
        counts = {user.id: count for user, count in data}
        for user in self:
            user.relationship_count = counts.get(user.id, 0)

    def action_view_relationships(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "crm_relationship_manager.crm_relationship_action"
        )
        action["domain"] = [("user_id", "=", self.id)]
        return action


# ----------------------------------------------------------------------
# Away dates for rotation pools (issue 4)
# ----------------------------------------------------------------------
from odoo import _  # noqa: E402
from odoo.exceptions import AccessError  # noqa: E402


class ResUsersAway(models.Model):
    _inherit = "res.users"

    away_until = fields.Date(
        string="Away Until",
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
            return super(ResUsersAway, self.sudo()).write(vals)
        return super().write(vals)
