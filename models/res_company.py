# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import _, api, fields, models
from odoo.exceptions import ValidationError


class ResCompany(models.Model):
    _inherit = "res.company"

    @api.model
    def _default_relationship_primary_role(self):
        return self.env.ref(
            "crm_relationship_manager.role_account_manager", raise_if_not_found=False
        )

    relationship_primary_role_id = fields.Many2one(
        "crm.relationship.role",
        string="Salesperson Role",
        default=_default_relationship_primary_role,
        ondelete="restrict",
        help="The rep of this role is the customer's standard Salesperson in this "
        "company; both are kept in sync in both directions.",
    )

    task_follow_policy = fields.Selection(
        [
            ("none", "Update account ownership only"),
            ("automated", "Also reassign open automated activities"),
            ("all", "Also reassign all open activities"),
        ],
        string="Account and task ownership changes",
        default="none",
        required=True,
        help="What happens to the previous owner's open activities when a customer "
        "or lead changes owner.",
    )

    def _get_relationship_primary_role(self):
        """Return the primary role of the company (falls back on the default role)."""
        self.ensure_one()
        return self.relationship_primary_role_id or self._default_relationship_primary_role()

    @api.model
    def _set_default_relationship_role(self):
        """Give every existing company the default primary role (install time)."""
        role = self._default_relationship_primary_role()
        if role:
            self.search([("relationship_primary_role_id", "=", False)]).write(
                {"relationship_primary_role_id": role.id}
            )

    customer_import_retention_days = fields.Integer(
        string="Retention of customers removed by imports (days)",
        default=14,
        help="Customers archived by an import in 'update and delete' mode are deleted "
        "(or anonymised when links forbid deletion) after this many days; restoring "
        "them before keeps everything.",
    )

    @api.constrains("customer_import_retention_days")
    def _check_customer_import_retention_days(self):
        for company in self:
            if company.customer_import_retention_days < 0:
                raise ValidationError(
                    _("The retention period of %(company)s cannot be negative.",
                      company=company.name))
