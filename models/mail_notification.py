# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, fields, models

from .mail_message import shared_partner_ids, without_stamp, written_vals


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


class MailNotificationCompanyPrivacy(models.Model):
    """The company stamp of shared customers (see models/mail_message.py)."""

    _inherit = "mail.notification"

    crm_rm_company_id = fields.Many2one(
        "res.company", string="Private to Company", readonly=True, copy=False,
        index="btree_not_null",
        help="Notification of an internal user about a message on a customer shared "
        "by several companies: only the users of the company in which that user "
        "follows the customer (or of the posting company) see who was notified.")

    @api.model_create_multi
    def create(self, vals_list):
        vals_list = [without_stamp(vals) for vals in vals_list]
        message_ids = list({vals.get("mail_message_id") for vals in vals_list
                            if vals.get("mail_message_id") and vals.get("res_partner_id")})
        # the messages were just posted: their model is in the cache, no query
        # unless they are on customers
        messages = self.env["mail.message"].sudo().browse(message_ids).filtered(
            lambda m: m.model == "res.partner" and m.res_id)
        if messages:
            shared = shared_partner_ids(self.env, messages.mapped("res_id"))
            record_of = {m.id: m.res_id for m in messages if m.res_id in shared}
            if record_of:
                self._crm_rm_stamp(vals_list, record_of)
        return super().create(vals_list)

    def _crm_rm_stamp(self, vals_list, record_of):
        """Stamp the notifications of employees on messages of shared customers
        (``record_of``: message id -> customer id), in two queries."""
        pids = {vals["res_partner_id"] for vals in vals_list
                if vals.get("mail_message_id") in record_of}
        employees = set(self.env["res.users"].sudo().with_context(active_test=False).search(
            [("partner_id", "in", list(pids)), ("share", "=", False)]).partner_id.ids)
        if not employees:
            return
        followers = self.env["mail.followers"].sudo().search_fetch([
            ("res_model", "=", "res.partner"), ("res_id", "in", list(set(record_of.values()))),
            ("partner_id", "in", list(employees)), ("crm_rm_company_id", "!=", False),
        ], ["res_id", "partner_id", "crm_rm_company_id"])
        stamp_of = {(f.res_id, f.partner_id.id): f.crm_rm_company_id.id for f in followers}
        company = self.env.company.id
        for vals in vals_list:
            record = record_of.get(vals.get("mail_message_id"))
            if record and vals["res_partner_id"] in employees:
                vals["crm_rm_company_id"] = stamp_of.get((record, vals["res_partner_id"]), company)

    def write(self, vals):
        vals = written_vals(self.env, vals)
        return super().write(vals)

    def _filtered_for_web_client(self):
        # the chatter lists each message's notifications, which Odoo does not
        # filter by record rules: the rule above, in Python (no query per message)
        if not self.env.su:
            companies = set(self.env.companies.ids)
            me = self.env.user.partner_id
            # browse: no forbidden record left in the prefetch set
            self = self.browse([  # noqa: PLW0642
                n.id for n in self.sudo()
                if not n.crm_rm_company_id or n.crm_rm_company_id.id in companies
                or n.res_partner_id == me])
        return super()._filtered_for_web_client()
