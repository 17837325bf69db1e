# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""18.0.1.2.0: the work of each company on a shared customer is private to it.

New internal messages, tracking values, activities, followers and notifications
on customers without company are stamped with their company when created. Those
created since the addon was installed are stamped here with the best guess the
data allows: the main company of the author (messages), of the assignee
(activities), of the following user (followers). See
docs/shared_customer_privacy.md.
"""
from odoo import SUPERUSER_ID, api

from odoo.addons.crm_relationship_manager.models.mail_message import stamp_existing


def migrate(cr, version):
    if not version:
        return
    stamp_existing(api.Environment(cr, SUPERUSER_ID, {}))
