# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from collections import defaultdict

from odoo import _, api, models
from odoo.exceptions import AccessError, ValidationError


class CrmLead(models.Model):
    _inherit = "crm.lead"

    @api.constrains("user_id", "company_id")
    def _check_user_id_company(self):
        """The Salesperson of a lead is an active internal user of its company."""
        for lead in self.filtered("user_id"):
            user = lead.user_id.sudo()
            if user.share:
                raise ValidationError(
                    _("%(user)s is not an internal user and cannot be the salesperson "
                      "of lead %(lead)s.", user=user.name, lead=lead.name)
                )
            if lead.company_id and lead.company_id not in user.company_ids:
                raise ValidationError(
                    _("%(user)s does not work in company %(company)s and cannot be the "
                      "salesperson of lead %(lead)s.", user=user.name,
                      company=lead.company_id.name, lead=lead.name)
                )

    def action_open_update_assignment(self):
        return {
            "type": "ir.actions.act_window",
            "name": _("Update Assignment"),
            "res_model": "crm.lead.update.assignment",
            "view_mode": "form",
            "target": "new",
            "context": {"default_lead_ids": self.ids},
        }

    def _update_assignment(self, user, reason=False):
        """Transfer leads to ``user``, a member of each lead's sales team.

        Associates may only transfer leads assigned to them; managers any lead of
        their allowed companies. Checked here, on the server, for every caller.
        """
        if not self:
            return True
        Relationship = self.env["crm.relationship"]
        me = self.env.user
        if not self.env.su:
            for lead in self:
                if lead.company_id and lead.company_id not in self.env.companies:
                    raise AccessError(
                        _("Lead %(lead)s belongs to company %(company)s, which is not one "
                          "of your allowed companies.", lead=lead.name,
                          company=lead.company_id.name)
                    )
            if not Relationship._is_relationship_manager(me):
                if not me.has_group("crm_relationship_manager.group_relationship_associate"):
                    raise AccessError(_("You are not allowed to transfer leads."))
                foreign = self.filtered(lambda lead: lead.user_id != me)
                if foreign:
                    raise AccessError(
                        _("As a Relationship Associate you can only transfer leads "
                          "assigned to you; %(lead)s is assigned to %(rep)s.",
                          lead=foreign[0].name,
                          rep=foreign[0].user_id.name or _("nobody"))
                    )
        if not user:
            raise ValidationError(_("Choose the rep to transfer the leads to."))
        for lead in self:
            company = lead.company_id or lead.team_id.company_id or self.env.company
            Relationship._check_rep(user, company)
            team = lead.team_id
            if not team:
                raise ValidationError(
                    _("Lead %(lead)s has no sales team; set one before transferring it.",
                      lead=lead.name)
                )
            if user not in (team.sudo().member_ids | team.sudo().user_id):
                raise ValidationError(
                    _("%(user)s is not a member of sales team %(team)s of lead %(lead)s.",
                      user=user.name, team=team.name, lead=lead.name)
                )
        self.write({"user_id": user.id})
        body = _("Assignment updated to %(rep)s by %(by)s.", rep=user.name, by=me.name)
        if reason:
            body = _("%(body)s Reason: %(reason)s", body=body, reason=reason)
        self._message_log_batch(bodies=dict.fromkeys(self.ids, body))
        return True

    # ------------------------------------------------------------------
    # Task-follow policy on the Salesperson write path
    # ------------------------------------------------------------------
    def write(self, vals):
        """Every way of changing a lead's Salesperson (lead form, Update Assignment,
        list multi-edit, XML-RPC/JSON-RPC) ends here: apply the task-follow
        policy once per write to the leads whose Salesperson changed.
        ``crm_task_follow_skip`` skips it (a relationship change moving the
        account's leads applies the policy itself)."""
        if "user_id" not in vals or self.env.context.get("crm_task_follow_skip"):
            return super().write(vals)
        previous = {lead.id: lead.user_id for lead in self}
        res = super().write(vals)
        groups = defaultdict(list)
        for lead in self:
            old_user = previous[lead.id]
            if old_user and lead.user_id and old_user != lead.user_id:
                company = lead.company_id or self.env.company
                groups[(old_user, lead.user_id, company)].append(lead.id)
        if groups:
            self.env["crm.task.follow"]._apply_lead_changes(groups)
        return res
