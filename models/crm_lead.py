# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""crm.lead: who may be its Salesperson, Update Assignment, and the task-follow
policy on the Salesperson write path. The colleague and shared leads are in
crm_lead_colleague.py, rotation pools in crm_lead_rotation.py, the lead move
in crm_lead_move.py."""
from collections import defaultdict

from odoo import _, api, models
from odoo.exceptions import AccessError, UserError, ValidationError

from ..context_keys import TASK_FOLLOW_SKIP, server_value


class CrmLead(models.Model):
    _inherit = "crm.lead"

    @api.constrains("user_id")
    def _check_user_id_owner(self):
        """The Salesperson (colleague) of a lead can own records of its company
        (``res.users._crm_rm_check_owner``). OdooBot, the archived superuser, is
        accepted: it is Odoo's default Salesperson of leads created by the
        system (data files, mail gateway)."""
        # per Salesperson and company, not per lead
        groups = self.filtered("user_id").grouped(lambda lead: (lead.user_id, lead.company_id))
        for (user, company), leads in groups.items():
            user._crm_rm_check_owner(company, allow_odoobot=True, what=_(
                "the salesperson of lead %(lead)s", lead=leads[0].name))

    @api.constrains("company_id")
    def _check_company_id_owner(self):
        """A lead moved to another company keeps a Salesperson of that company;
        an archived Salesperson stays on the leads they had (as in Odoo)."""
        self.filtered(lambda lead: lead.user_id.sudo().active)._check_user_id_owner()

    def _check_company(self, fnames=None):
        """Odoo checks the companies of linked records lead by lead (one
        ``filtered_domain`` per lead and field). The outcome depends only on the
        lead's company and the linked records, so check them set-wise: per
        company and field, the union of the linked records is filtered once.
        Leads linked to a record of another company are then checked by Odoo's
        own method, which raises its usual error naming them."""
        if len(self) < 2:
            return super()._check_company(fnames)
        if fnames is None or {"company_id", "company_ids"} & set(fnames):
            fnames = self._fields
        names = [name for name in fnames
                 if self._fields[name].relational and self._fields[name].check_company]
        if any(self._fields[name].company_dependent for name in names):
            return super()._check_company(fnames)
        leads = self.sudo()
        by_company = defaultdict(list)
        for lead in leads:
            by_company[lead.company_id].append(lead.id)
        suspects = set()
        for company, ids in by_company.items():
            company_leads = leads.browse(ids)
            for name in names:
                linked = company_leads[name]
                if not linked:
                    continue
                domain = linked._check_company_domain(company)
                if not domain:
                    continue
                if "company_id" in linked._fields and linked._fields["company_id"].store:
                    linked.fetch(["company_id"])  # not every column of the linked records
                wrong = linked - linked.with_context(active_test=False).filtered_domain(domain)
                if wrong:
                    suspects.update(company_leads.filtered(lambda lead: lead[name] & wrong).ids)
        if suspects:
            return super(CrmLead, self.browse(sorted(suspects)))._check_company(fnames)
        return None

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
        companies = self.env["res.company"].union(*(
            lead.company_id or lead.team_id.company_id or self.env.company for lead in self))
        for company in companies:
            user._crm_rm_check_owner(company)
        for lead in self:
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
        list multi-edit, XML-RPC/JSON-RPC) ends here: write, then apply the
        task-follow policy once to the leads whose Salesperson changed.
        ``crm_task_follow_skip`` (set by server code only) skips it: a lead move
        (``_crm_rm_move_owner``) leaves the policy to its caller."""
        if "user_id" not in vals or server_value(self.env.context, TASK_FOLLOW_SKIP):
            return super().write(vals)
        previous = {lead.id: lead.user_id for lead in self}
        res = super().write(vals)
        groups = defaultdict(list)
        # sudo: an associate who hands a lead over can no longer read it
        for lead in self.sudo():
            old_user = previous[lead.id]
            if old_user and lead.user_id and old_user != lead.user_id:
                company = lead.company_id or self.env.company
                groups[(old_user, lead.user_id, company)].append(lead.id)
        if groups:
            self.env["crm.task.follow"]._apply_lead_changes(groups)
        return res

    @api.model
    def _crm_rm_company_lead_query(self, operator, value):
        """Query of the lead ids whose company is ``operator value`` ('in' only),
        ``False`` in ``value`` meaning leads without company; for record rules."""
        if operator not in ("in", "="):
            raise UserError(_("Operator %(operator)s is not supported here.", operator=operator))
        value = value if isinstance(value, (list, tuple)) else [value]
        ids = [v for v in value if v]
        domain = [("company_id", "in", ids)]
        if False in value or None in value:
            domain = ["|", ("company_id", "=", False)] + domain
        return self.sudo().with_context(active_test=False)._search(domain)

