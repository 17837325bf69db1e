# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError


class ResUsersReassign(models.TransientModel):
    """Reassign resources: hand all of a user's customers and open leads to a
    successor, with their open activities per the task-follow policy."""

    _name = "res.users.reassign"
    _description = "Reassign a user's resources"

    user_id = fields.Many2one("res.users", string="User", required=True, readonly=True,
                              ondelete="cascade")
    successor_id = fields.Many2one(
        "res.users", string="Successor",
        domain="[('share', '=', False), ('id', '!=', user_id)]",
        help="Takes over every current relationship and open lead of the user.",
    )
    reason = fields.Char()
    archive_user = fields.Boolean(
        string="Archive the user afterwards",
        help="Archive the user once everything is handed over. Their remaining "
        "activities are kept, never deleted.",
    )
    relationship_count = fields.Integer(compute="_compute_counts", string="Customers")
    lead_count = fields.Integer(compute="_compute_counts", string="Open leads")
    activity_count = fields.Integer(compute="_compute_counts", string="Open activities")
    task_follow_policy = fields.Char(compute="_compute_counts", string="Activities")

    @api.depends("user_id")
    def _compute_counts(self):
        policies = dict(self.env["res.company"]._fields["task_follow_policy"]
                        ._description_selection(self.env))
        for wizard in self:
            rels, leads, acts = wizard.user_id._get_open_resources()[wizard.user_id.id] \
                if wizard.user_id else (0, 0, 0)
            wizard.relationship_count = rels
            wizard.lead_count = leads
            wizard.activity_count = acts
            wizard.task_follow_policy = policies.get(self.env.company.task_follow_policy)

    def _check_input(self):
        self.ensure_one()
        Rel = self.env["crm.relationship"]
        if not (self.env.su or Rel._is_relationship_manager()):
            raise AccessError(_("Only relationship managers can reassign a user's resources."))
        user, successor = self.user_id, self.successor_id.sudo()
        if not successor:
            raise UserError(_("Choose the successor who takes over the resources of "
                              "%(user)s.", user=user.name))
        if successor == user:
            raise UserError(_("%(user)s cannot be their own successor.", user=user.name))
        if not successor.active:
            raise UserError(_("%(successor)s is archived and cannot take over the resources "
                              "of %(user)s.", successor=successor.name, user=user.name))
        if successor.share:
            raise UserError(_("%(successor)s is not an internal user and cannot take over "
                              "customers.", successor=successor.name))
        missing = self._get_companies() - successor.company_ids
        if missing:
            raise UserError(_(
                "%(successor)s does not work in company %(company)s, where %(user)s has "
                "customers or open leads; choose a successor of that company.",
                successor=successor.name, company=missing[0].name, user=user.name))

    def _get_relationships(self):
        return self.env["crm.relationship"].sudo().search(
            [("user_id", "=", self.user_id.id), ("is_current", "=", True)])

    def _get_leads(self):
        return self.env["crm.lead"].sudo().search(
            [("user_id", "=", self.user_id.id), ("stage_id.is_won", "=", False)])

    def _get_companies(self):
        return self._get_relationships().company_id | self._get_leads().company_id

    def action_apply(self):
        self._check_input()
        user, successor = self.user_id, self.successor_id
        reason = self.reason or _("Resources of %(user)s reassigned to %(successor)s",
                                  user=user.name, successor=successor.name)
        Rel = self.env["crm.relationship"]
        rels = self._get_relationships()
        lead_count = len(self._get_leads())
        for (company, role), group in rels.grouped(lambda r: (r.company_id, r.role_id)).items():
            Rel.with_company(company)._assign(
                group.partner_id.with_env(self.env), successor, role=role, company=company,
                source="mass", reason=reason)
            if role == company._get_relationship_primary_role():
                # the hook applied the policy to these accounts' activities
                Rel.with_company(company)._move_open_leads(
                    group.partner_id, user, successor, company)
        # other open leads (no customer, or customers the user does not own):
        # the lead write path applies the policy to their activities
        leads = self._get_leads()
        for company, group in leads.grouped("company_id").items():
            group.with_env(self.env).with_company(company or self.env.company).write(
                {"user_id": successor.id})
        if self.archive_user:
            user.with_context(crm_rm_keep_activities_of=user.ids).action_archive()
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success",
                "message": _("%(customers)s customer relationship(s) and %(leads)s open "
                             "lead(s) of %(user)s handed over to %(successor)s.",
                             customers=len(rels), leads=lead_count,
                             user=user.name, successor=successor.name),
                # reload the user form behind the dialog (archived ribbon, counts)
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }
