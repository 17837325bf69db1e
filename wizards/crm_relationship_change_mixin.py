# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, fields, models


class CrmRelationshipChangeMixin(models.AbstractModel):
    """What the wizards that give customers a new rep share: the customers, the
    company, their current reps (for the role of the change) and the new rep."""

    _name = "crm.relationship.change.mixin"
    _description = "Customers Changing Rep (wizard mixin)"

    partner_ids = fields.Many2many(
        "res.partner", string="Customers", required=True,
        domain="[('is_company', '=', True)]",
    )
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self._default_company(),
        domain=lambda self: [("id", "in", self.env.companies.ids)],
    )
    current_user_ids = fields.Many2many(
        "res.users", string="Current Reps", compute="_compute_current_user_ids"
    )
    user_id = fields.Many2one(
        "res.users", string="New Rep", required=True,
        domain="[('share', '=', False), ('company_ids', 'in', company_id)]",
    )

    @api.model
    def _default_company(self):
        """The company of the customers the wizard opens on, when they all
        belong to one of the enabled companies; else the current company."""
        ids = self.env.context.get("default_partner_ids") or []
        if all(isinstance(pid, int) for pid in ids):
            companies = self.env["res.partner"].browse(ids).commercial_partner_id.company_id
            if len(companies) == 1 and companies in self.env.companies:
                return companies
        return self.env.company

    def _change_role(self):
        """The role whose reps change: the company's primary role by default."""
        self.ensure_one()
        return self.company_id._get_relationship_primary_role()

    @api.depends("partner_ids", "company_id")
    def _compute_current_user_ids(self):
        for wizard in self:
            rels = self.env["crm.relationship"].search([
                ("partner_id", "in", wizard.partner_ids.commercial_partner_id.ids),
                ("company_id", "=", wizard.company_id.id),
                ("role_id", "=", wizard._change_role().id),
                ("is_current", "=", True),
            ])
            wizard.current_user_ids = rels.user_id
