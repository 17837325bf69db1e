# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import _, api, models


class MailActivity(models.Model):
    _inherit = "mail.activity"

    @api.model_create_multi
    def create(self, vals_list):
        activities = super().create(vals_list)
        if not self.env.context.get("crm_rm_relay"):
            activities.filtered(lambda act: act.res_model == "crm.lead")._crm_rm_lead_activity_notify()
        return activities

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
