# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Tracking values of company-dependent fields (the Salesperson): private to the
company whose value changed. See models/mail_message.py."""
from odoo import api, fields, models


class MailTrackingValue(models.Model):
    _inherit = "mail.tracking.value"

    crm_rm_company_id = fields.Many2one(
        "res.company", string="Company of the Value", readonly=True,
        help="Set on the tracking of a company-dependent field (the Salesperson): "
        "the company whose value changed. Only its users see the line.")

    @api.model
    def _create_tracking_values(self, initial_value, new_value, col_name, col_info, record):
        values = super()._create_tracking_values(initial_value, new_value, col_name, col_info, record)
        field = record._fields.get(col_name)
        if values and field is not None and field.company_dependent:
            values["crm_rm_company_id"] = record.env.company.id
        return values

    def _crm_rm_filter_company(self, env):
        companies = set(env.companies.ids)
        return self.filtered(
            lambda tracking: not tracking.crm_rm_company_id
            or tracking.crm_rm_company_id.id in companies)

    def _filter_has_field_access(self, env):
        # the chatter (mail.message _to_store) and every formatting route
        return super()._filter_has_field_access(env)._crm_rm_filter_company(env)

    def _filter_free_field_access(self):
        # the tracking summary of notification e-mails goes to any follower:
        # a company's value is not for everybody
        return super()._filter_free_field_access().filtered(lambda t: not t.crm_rm_company_id)
