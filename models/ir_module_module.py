# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import models

from ..hooks import restore_plain_salesperson


class IrModuleModule(models.Model):
    _inherit = "ir.module.module"

    def module_uninstall(self):
        """Restore Odoo's plain Salesperson column once the addon's data is deleted.

        Odoo has no hook after the deletion of a module's records: the
        ``uninstall_hook`` runs before it, while the ORM still treats
        ``res_partner.user_id`` as the per-company (jsonb) column.
        """
        res = super().module_uninstall()
        if "crm_relationship_manager" in self.mapped("name"):
            self.env.flush_all()
            restore_plain_salesperson(self.env.cr)
        return res
