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
        notice to the other companies working on the lead."""
        if not self:
            return
        me = self.env.user
        leads = self.env["crm.lead"].sudo().browse(set(self.mapped("res_id"))).exists()
        by_lead = {lead.id: lead for lead in leads}
        for activity in self.sudo():
            lead = by_lead.get(activity.res_id)
            if not lead:
                continue
            if lead.user_id and lead.user_id != activity.user_id:
                lead._crm_rm_notify_colleague(
                    _("%(user)s scheduled an activity %(activity)s for %(assignee)s on your lead "
                      "%(lead)s, due on %(date)s.", user=me.name,
                      activity=activity.activity_type_id.name or activity.summary or "",
                      assignee=activity.user_id.name or _("nobody"), lead=lead.name,
                      date=activity.date_deadline),
                    _("Activity scheduled on %(lead)s", lead=lead.name),
                )
            lead.with_env(self.env)._crm_rm_relay(lambda lead, company, activity=activity: _(
                "%(company)s scheduled an activity %(activity)s on its side of the lead, "
                "due on %(date)s.", company=company.name,
                activity=activity.activity_type_id.name or "", date=activity.date_deadline))
