# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Manual versus automated activities (Odoo 18's ``automated`` flag).

The task-follow policy 'automated' moves only activities that were not
scheduled by hand. Odoo sets the flag in ``activity_schedule`` (code, automation
rules, server actions) but leaves it false for imports and plain ``create``
calls (XML-RPC/JSON-RPC, other modules' code). Here an activity is manual only
when a user scheduled it in the UI: the activity form (``web_save``), the
Schedule Activity dialog (one activity, or an activity plan the user launches
from it) and a meeting created in the calendar. Those paths set the context key
``MANUAL_KEY`` (a server flag: a client cannot send it); everything else is
automated.
"""
from odoo import api, fields, models

from ..context_keys import ACTIVITY_MANUAL as MANUAL_KEY
from ..context_keys import KEEP_ACTIVITIES_OF, RELAY, SERVER, server_value
from .mail_message import shared_partner_ids, without_stamp, written_vals


class MailActivity(models.Model):
    _inherit = "mail.activity"

    @api.model_create_multi
    def create(self, vals_list):
        manual = server_value(self.env.context, MANUAL_KEY) and not self.env.context.get("import_file")
        if not manual:
            vals_list = [dict(vals, automated=True) for vals in vals_list]
        activities = super().create(vals_list)
        if not server_value(self.env.context, RELAY):
            activities.filtered(lambda act: act.res_model == "crm.lead")._crm_rm_lead_activity_notify()
        return activities

    def web_save(self, vals, specification, next_id=None):
        # the activity form of the web client: scheduled by hand
        return super(MailActivity, self.with_context(**{MANUAL_KEY: SERVER})).web_save(
            vals, specification, next_id=next_id)

    def unlink(self):
        # Archiving a user must not delete their activities (Odoo's mail module
        # unlinks them in res.users.action_archive): keep those, they stay
        # assigned to the archived user until someone reassigns them.
        keep_of = server_value(self.env.context, KEEP_ACTIVITIES_OF)
        if keep_of:
            self = self.filtered(lambda act: act.user_id.id not in keep_of)
        return super().unlink()

    def _crm_rm_lead_activity_notify(self):
        """Tell the lead's colleague about an activity someone else scheduled on
        their lead (the assignee is told by Odoo already), and relay a neutral
        notice to the other companies working on the lead. Set-wise."""
        if not self:
            return
        me = self.env.user
        Lead = self.env["crm.lead"]
        leads = Lead.sudo().browse(set(self.sudo().mapped("res_id"))).exists()
        last = {}  # lead id -> last activity scheduled on it in this batch
        for activity in self.sudo():
            last[activity.res_id] = activity
        leads = leads.filtered(lambda lead: lead.id in last)
        to_tell = leads.filtered(lambda lead: lead.user_id != last[lead.id].user_id)

        def what(activity):
            return activity.activity_type_id.name or activity.summary or self.env._("an activity")

        to_tell._crm_rm_notify_colleague(
            lambda lead: self.env._("%(user)s scheduled %(activity)s for %(assignee)s on your lead "
                           "%(lead)s, due on %(date)s.", user=me.name,
                           activity=what(last[lead.id]),
                           assignee=last[lead.id].user_id.name or self.env._("nobody"), lead=lead.name,
                           date=last[lead.id].date_deadline),
            lambda lead: self.env._("Activity scheduled on %(lead)s", lead=lead.name),
            lambda leads: self.env._("%(user)s scheduled activities on %(count)s of your leads: %(leads)s",
                            user=me.name, count=len(leads),
                            leads=Lead._crm_rm_lead_names(leads)),
        )
        leads.with_env(self.env)._crm_rm_relay(lambda lead, company: self.env._(
            "%(company)s scheduled %(activity)s on its side of the lead, due on %(date)s.",
            company=company.name, activity=what(last[lead.id].with_env(lead.env)),
            date=last[lead.id].date_deadline))


class MailActivityCompanyPrivacy(models.Model):
    """The company stamp of shared customers (see models/mail_message.py)."""

    _inherit = "mail.activity"

    crm_rm_company_id = fields.Many2one(
        "res.company", string="Private to Company", readonly=True, copy=False,
        index="btree_not_null",
        help="Activity on a customer shared by several companies, scheduled in this "
        "company: only its users and the assignee see it.")

    @api.model_create_multi
    def create(self, vals_list):
        vals_list = [without_stamp(vals) for vals in vals_list]
        partner_model = self.env["ir.model"]._get_id("res.partner")

        def on_partner(vals):
            return vals.get("res_model") == "res.partner" or vals.get("res_model_id") == partner_model

        shared = shared_partner_ids(self.env, [
            vals.get("res_id") for vals in vals_list if on_partner(vals)])
        if shared:
            company = self.env.company.id
            for vals in vals_list:
                if on_partner(vals) and vals.get("res_id") in shared:
                    vals["crm_rm_company_id"] = company
        return super().create(vals_list)

    def write(self, vals):
        vals = written_vals(self.env, vals)
        return super().write(vals)
