# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, fields, models


class MailNotification(models.Model):
    _inherit = "mail.notification"

    # Only used by the record rule crm_lead_colleague_security.xml: Odoo lets any
    # employee read every notification; those of a lead's messages are private to
    # the companies that may read the lead (they would reveal its colleague).
    crm_rm_lead_company_id = fields.Many2one(
        "res.company", string="Company of the Notified Lead",
        compute="_compute_crm_rm_lead_company_id", search="_search_crm_rm_lead_company_id")

    @api.depends("mail_message_id")
    def _compute_crm_rm_lead_company_id(self):
        # one query for all the leads, not one per notification
        messages = self.sudo().mail_message_id.filtered(lambda m: m.model == "crm.lead" and m.res_id)
        leads = self.env["crm.lead"].sudo().with_context(active_test=False).browse(
            set(messages.mapped("res_id"))).exists()
        companies = {lead.id: lead.company_id for lead in leads}
        for notification in self:
            message = notification.sudo().mail_message_id
            notification.crm_rm_lead_company_id = (
                companies.get(message.res_id, False) if message.model == "crm.lead" else False)

    def _search_crm_rm_lead_company_id(self, operator, value):
        leads = self.env["crm.lead"]._crm_rm_company_lead_query(operator, value)
        messages = self.env["mail.message"].sudo()._search(
            [("model", "=", "crm.lead"), ("res_id", "in", leads)])
        return [("mail_message_id", "in", messages)]
