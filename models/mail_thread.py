# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Searching records by follower, and the searches of customers through their
activities and messages, respect the company stamps of shared customers (see
models/mail_message.py)."""
from odoo import api, fields, models
from odoo.osv import expression


class MailThread(models.AbstractModel):
    _inherit = "mail.thread"

    @api.model
    def _search_message_partner_ids(self, operator, operand):
        """Searching records by follower: Odoo searches every follower as
        superuser; a follower private to another company must not match (it would
        tell who follows a shared customer there)."""
        # Odoo's own checks first (portal users may only search themselves)
        result = super()._search_message_partner_ids(operator, operand)
        if self.env.su:
            return result
        neg = ""
        if operator in expression.NEGATIVE_TERM_OPERATORS:
            neg = "not "
            operator = expression.TERM_OPERATORS_NEGATION[operator]
        followers = self.env["mail.followers"].sudo()._search([
            ("res_model", "=", self._name),
            ("partner_id", operator, operand),
            "|", "|", ("crm_rm_company_id", "=", False),
            ("crm_rm_company_id", "in", self.env.companies.ids),
            ("partner_id", "=", self.env.user.partner_id.id),
        ])
        return [("id", neg + "in", followers.subselect("res_id"))]


class ResPartner(models.Model):
    _inherit = "res.partner"

    # Odoo searches activities and messages of a record through a join that
    # skips their record rules (auto_join): on customers, searches go through
    # the rules, so that no filter finds a shared customer by another company's
    # activity, assignee or note.
    activity_ids = fields.One2many(auto_join=False)
    message_ids = fields.One2many(auto_join=False)
