# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""18.0.1.4.0: the customer import is a service of its own (crm.customer.import).

The retention job is a no-update record: point the existing one at the service
that now holds the purge.
"""
from odoo import SUPERUSER_ID, api


def migrate(cr, version):
    if not version:
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    cron = env.ref("crm_relationship_manager.ir_cron_purge_import_archived_customers",
                   raise_if_not_found=False)
    if cron:
        cron.write({
            "model_id": env["ir.model"]._get_id("crm.customer.import"),
            "code": "model._cron_purge_import_archived()",
        })
