# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import fields, models

from .res_partner_import_customers import ACTION_LABELS


class ResPartnerImportCustomersLine(models.TransientModel):
    _name = "res.partner.import.customers.line"
    _description = "Import Customers Result Line"
    _order = "row"

    wizard_id = fields.Many2one("res.partner.import.customers", required=True,
                                ondelete="cascade")
    row = fields.Integer(string="Line")
    external_ref = fields.Char(string="Customer Number")
    partner_id = fields.Many2one("res.partner", string="Customer")
    action = fields.Selection(ACTION_LABELS, string="Result")
    message = fields.Char()
