# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from markupsafe import Markup, escape

from odoo import _, api, fields, models

from .crm_rotation_pool import ROTATION_REASONS


class CrmRotationLog(models.Model):
    """One decision of a rotation pool: who got a new lead, and why."""

    _name = "crm.rotation.log"
    _description = "Lead Rotation Decision"
    _order = "id desc"
    _rec_name = "lead_id"

    pool_id = fields.Many2one(
        "crm.rotation.pool", required=True, index=True, ondelete="cascade",
        readonly=True,
    )
    company_id = fields.Many2one(
        "res.company", required=True, index=True, readonly=True,
        help="The pool's company (written with the decision).",
    )
    lead_id = fields.Many2one(
        "crm.lead", index="btree_not_null", ondelete="set null", readonly=True
    )
    partner_id = fields.Many2one(
        "res.partner", string="Customer", ondelete="set null", readonly=True
    )
    user_id = fields.Many2one(
        "res.users", string="Assigned To", required=True, index=True, ondelete="cascade",
        readonly=True,
    )
    reason = fields.Selection(ROTATION_REASONS, required=True, readonly=True)
    turn = fields.Integer(
        readonly=True,
        help="Rotation turn number within the pool (0 for sticky and fallback decisions).",
    )
    covered_user_id = fields.Many2one(
        "res.users", string="Covering For", ondelete="set null", readonly=True,
        help="The customer's rep, who was away: the lead went to the rotation instead.",
    )
    skipped = fields.Text(
        string="Skipped Members", readonly=True,
        help="Members passed over for this lead, and why.",
    )
    email_pending = fields.Boolean(
        readonly=True, index="btree_not_null",
        help="The pool's 'new lead' e-mail is still to be sent (by the scheduled action "
        "'CRM: send rotation pool e-mails', every minute).",
    )

    @api.model
    def _cron_send_pool_emails(self, limit=1000):
        """Send each pool's e-mail list one 'new lead' e-mail per assigned lead.

        Queued by the lead creation (``email_pending``) and sent here in batches,
        so that creating a lead does not pay for building e-mails.
        """
        self.env["crm.rotation.pool"]._prune_states()
        logs = self.sudo().search([("email_pending", "=", True)], limit=limit, order="id")
        from_address = self.env["ir.mail_server"].sudo()._get_default_from_address()
        mails = []
        for log in logs.filtered(lambda log: log.lead_id and log.pool_id.notify_emails):
            pool, lead = log.pool_id, log.lead_id
            email_to = ",".join(
                part.strip() for part in pool.notify_emails.replace(";", ",").split(",")
                if part.strip())
            mails.append({
                "subject": _("New lead %(lead)s assigned to %(rep)s", lead=lead.name,
                             rep=log.user_id.name),
                "body_html": Markup("<p>%s</p><p>%s</p>") % (
                    _("A new lead %(lead)s came in through rotation pool %(pool)s.",
                      lead=escape(lead.name), pool=escape(pool.name)),
                    _("It is assigned to %(rep)s (%(reason)s).", rep=escape(log.user_id.name),
                      reason=dict(self._fields["reason"]._description_selection(self.env))[
                          log.reason]),
                ),
                "email_to": email_to,
                "email_from": lead.company_id.email_formatted or from_address,
                "model": "crm.lead",
                "res_id": lead.id,
                "auto_delete": True,
            })
        if mails:
            self.env["mail.mail"].sudo().create(mails)
        logs.write({"email_pending": False})
        if len(logs) == limit:
            self.env.ref("crm_relationship_manager.ir_cron_rotation_pool_emails").sudo()._trigger()
        return len(mails)
