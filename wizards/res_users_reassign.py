# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.fields import Command

from ..context_keys import KEEP_ACTIVITIES_OF, ROTATION_SKIP_USER_IDS, ServerIds


class ResUsersReassign(models.TransientModel):
    """Reassign resources: hand all of a user's customers and open leads to a
    successor, with their open activities per the task-follow policy."""

    _name = "res.users.reassign"
    _description = "Reassign a user's resources"

    user_id = fields.Many2one("res.users", required=True, readonly=True,
                              ondelete="cascade")
    successor_id = fields.Many2one(
        "res.users", 
        domain="[('share', '=', False), ('id', '!=', user_id)]",
        help="Takes over every current relationship and open lead of the user.",
    )
    target = fields.Selection(
        [("user", "A successor"), ("pool", "A rotation pool")], string="Hand over to",
        required=True, default="user",
        help="A successor takes everything; a rotation pool shares the customers and "
        "open leads among its members in turn.")
    pool_id = fields.Many2one(
        "crm.rotation.pool", string="Rotation Pool",
        domain="[('company_id', 'in', allowed_company_ids)]",
        help="Customers and open leads are shared among the pool's eligible members in "
        "strict turn order (the user handing over is skipped); the fallback owner takes "
        "them when no member is eligible.")
    reason = fields.Char()
    archive_user = fields.Boolean(
        string="Archive the user afterwards",
        help="Archive the user once everything is handed over. Their remaining "
        "activities are kept, never deleted.",
    )
    config_successor_id = fields.Many2one(
        "res.users", string="Successor for the configuration",
        compute="_compute_config_successor_id", store=True, readonly=False, precompute=True,
        domain="[('share', '=', False), ('id', '!=', user_id)]",
        help="Takes over the configuration that names the user: sales teams they lead "
        "or belong to, rotation pools (member, fallback owner), activity types, saved "
        "filters, automation rules, server actions, mail templates and the future "
        "meetings they organise. Leave empty to keep them.")
    usage_line_ids = fields.One2many(
        "res.users.usage.line", "reassign_id", string="Usage",
        compute="_compute_usage_line_ids", store=True, readonly=True, precompute=True)
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

    @api.depends("successor_id")
    def _compute_config_successor_id(self):
        # the successor takes the configuration too, unless another one is chosen
        for wizard in self:
            if wizard.successor_id:
                wizard.config_successor_id = wizard.successor_id

    @api.depends("user_id")
    def _compute_usage_line_ids(self):
        for wizard in self:
            wizard.usage_line_ids = [Command.clear()] + (
                wizard.user_id._crm_rm_usage_line_commands() if wizard.user_id else [])

    def _check_input(self):
        self.ensure_one()
        Rel = self.env["crm.relationship"]
        if not (self.env.su or Rel._is_relationship_manager()):
            raise AccessError(_("Only relationship managers can reassign a user's resources."))
        if self.archive_user and not self.user_id.has_access("write"):
            # refused before anything is handed over, not by the archive at the end
            raise AccessError(_("Only user administrators can archive %(user)s; hand the "
                                "resources over without archiving.", user=self.user_id.name))
        user, successor = self.user_id, self.successor_id.sudo()
        if self.config_successor_id == user:
            raise UserError(_("%(user)s cannot be their own successor.", user=user.name))
        if self.config_successor_id:
            self.config_successor_id.sudo()._crm_rm_check_owner(False, what=_(
                "the successor of %(user)s", user=user.name))
        if self.target == "pool":
            return self._check_pool()
        if not successor:
            raise UserError(_("Choose the successor who takes over the resources of "
                              "%(user)s.", user=user.name))
        if successor == user:
            raise UserError(_("%(user)s cannot be their own successor.", user=user.name))
        # one check per company where the user has customers or open leads
        for company in self._get_companies():
            successor._crm_rm_check_owner(company, what=_(
                "the successor of %(user)s", user=user.name))

    def _check_pool(self):
        user, pool = self.user_id, self.pool_id.sudo()
        if not pool:
            raise UserError(_("Choose the rotation pool that takes over the resources of "
                              "%(user)s.", user=user.name))
        if not pool.active:
            raise UserError(_("Rotation pool %(pool)s is archived.", pool=pool.name))
        other = self._get_companies() - pool.company_id
        if other:
            raise UserError(_(
                "%(user)s has customers or open leads in company %(company)s, but rotation "
                "pool %(pool)s belongs to %(pool_company)s; hand those over to a successor "
                "instead.", user=user.name, company=other[0].name, pool=pool.name,
                pool_company=pool.company_id.name))
        if pool.fallback_user_id == user:
            raise UserError(_(
                "%(user)s is the fallback owner of rotation pool %(pool)s and would get "
                "resources back; choose another fallback owner or a successor.",
                user=user.name, pool=pool.name))

    def _pick_from_pool(self, count):
        """``count`` reps from the pool, in turn order, skipping the user."""
        pool = self.pool_id.sudo().with_context(
            **{ROTATION_SKIP_USER_IDS: ServerIds(self.user_id.ids)})
        return [decision["user"] for decision in pool._pick_batch([{}] * count)]

    def _apply_pool(self, reason):
        """Share the user's customers and open leads among the pool's members."""
        user = self.user_id
        Rel = self.env["crm.relationship"]
        company = self.pool_id.company_id
        rels = self._get_relationships()
        partners = rels.partner_id.sorted("id")
        reps = self._pick_from_pool(len(partners))
        by_rep = {}
        created = Rel.browse()
        for partner, rep in zip(partners, reps):
            by_rep.setdefault(rep, []).append(partner.id)
        Partner = self.env["res.partner"]
        for rep, partner_ids in by_rep.items():
            wanted = set(partner_ids)
            group = rels.filtered(lambda r: r.partner_id.id in wanted)
            for role, role_rels in group.grouped("role_id").items():
                created |= Rel.with_company(company)._assign(
                    role_rels.partner_id.with_env(self.env), rep, role=role, company=company,
                    source="rotation", reason=reason)
            if company._get_relationship_primary_role() in group.role_id:
                # the relationship hook applied the policy to these accounts
                Lead = self.env["crm.lead"].with_company(company)
                Lead.search(Lead._crm_rm_open_leads_domain(
                    Partner.browse(partner_ids), user, company))._crm_rm_move_owner(rep, company)
        # open leads still with the user (no customer, or customers they do not own)
        leads = self._get_leads().sorted("id")
        leads_by_rep = {}
        for lead, rep in zip(leads, self._pick_from_pool(len(leads)) if leads else []):
            leads_by_rep[rep] = leads_by_rep.get(rep, self.env["crm.lead"]) | lead
        for rep, group in leads_by_rep.items():
            self._move_other_leads(group, rep, company)
        return len(rels), len(leads), len(set(by_rep) | set(leads_by_rep)), created

    def _move_other_leads(self, leads, new_user, company):
        self.user_id._crm_rm_move_other_leads(leads.with_env(self.env), new_user, company)

    def _get_relationships(self):
        return self.env["crm.relationship"].sudo().search(
            [("user_id", "=", self.user_id.id), ("is_current", "=", True)])

    def _get_leads(self):
        return self.env["crm.lead"].sudo().search(
            [("user_id", "=", self.user_id.id), "|", ("stage_id", "=", False),
             ("stage_id.is_won", "=", False)])

    def _get_companies(self):
        return self._get_relationships().company_id | self._get_leads().company_id

    def action_apply(self):
        self._check_input()
        user = self.user_id
        # what the user holds now, to record what each successor got
        leads_before = self._get_leads()
        if self.target == "pool":
            message, created = self._action_apply_pool()
        else:
            message, created = self._action_apply_successor()
        config = []
        if self.config_successor_id:
            config = user._crm_rm_hand_over_config(self.config_successor_id)
        leads_before.invalidate_recordset(["user_id"])
        items = [("crm.relationship", rel.id, "user_id", rel.user_id.id)
                 for rel in created.sudo()]
        items += [("crm.lead", lead.id, "user_id", lead.user_id.id)
                  for lead in leads_before if lead.user_id and lead.user_id != user]
        items += [(model, res_id, field, self.config_successor_id.id)
                  for model, res_id, field in config]
        self.env["crm.user.handover"]._crm_rm_create(user, self.reason, items)
        if config:
            message = _("%(message)s %(count)s configuration reference(s) handed over to "
                        "%(successor)s.", message=message, count=len(config),
                        successor=self.config_successor_id.name)
        return self._finish(message)

    def _action_apply_successor(self):
        user, successor = self.user_id, self.successor_id
        reason = self.reason or _("Resources of %(user)s reassigned to %(successor)s",
                                  user=user.name, successor=successor.name)
        rels = self._get_relationships()
        leads = self._get_leads()
        created, _moved = user._crm_rm_hand_over_work(successor, reason, rels, leads)
        return _("%(customers)s customer relationship(s) and %(leads)s open lead(s) of "
                 "%(user)s handed over to %(successor)s.", customers=len(rels),
                 leads=len(leads), user=user.name, successor=successor.name), created

    def _finish(self, message):
        """Archive the user when asked, and tell what was handed over."""
        if self.archive_user:
            # refused (UserError) if anything is left, rather than a dialog again
            self.user_id._check_no_open_resources()
            self.user_id.with_context(
                **{KEEP_ACTIVITIES_OF: ServerIds(self.user_id.ids)}).action_archive()
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success",
                "message": message,
                # reload the user form behind the dialog (archived ribbon, counts)
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }

    def _action_apply_pool(self):
        user, pool = self.user_id, self.pool_id
        reason = self.reason or _("Resources of %(user)s shared out by rotation pool %(pool)s",
                                  user=user.name, pool=pool.name)
        customers, leads, reps, created = self._apply_pool(reason)
        return _("%(customers)s customer relationship(s) and %(leads)s open lead(s) of "
                 "%(user)s shared among %(reps)s rep(s) of rotation pool %(pool)s.",
                 customers=customers, leads=leads, user=user.name, reps=reps,
                 pool=pool.name), created
