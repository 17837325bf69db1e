# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from collections import defaultdict

from odoo import SUPERUSER_ID, _, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError

from ..context_keys import (NO_NOTIFY, NO_RELAY, RELAY, SERVER, TASK_FOLLOW_SKIP,
                            UI_CREATE, server_value)
from ..m2o_values import m2o_ids


class CrmLead(models.Model):
    _inherit = "crm.lead"

    @api.constrains("user_id", "company_id")
    def _check_user_id_company(self):
        """The Salesperson of a lead is an active internal user of its company."""
        # per Salesperson, not per lead: one read of the user's companies
        for user, leads in self.filtered("user_id").grouped("user_id").items():
            user = user.sudo()
            if user.share:
                raise ValidationError(
                    _("%(user)s is not an internal user and cannot be the salesperson "
                      "of lead %(lead)s.", user=user.name, lead=leads[0].name)
                )
            # set-wise: the leads' companies at once, the culprit only on error
            wrong = leads.company_id - user.company_ids
            if wrong:
                lead = leads.filtered(lambda lead: lead.company_id in wrong)[0]
                raise ValidationError(
                    _("%(user)s does not work in company %(company)s and cannot be the "
                      "salesperson of lead %(lead)s.", user=user.name,
                      company=lead.company_id.name, lead=lead.name)
                )

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
    def _crm_rm_write_task_follow(self, vals):
        """Every way of changing a lead's Salesperson (lead form, Update Assignment,
        list multi-edit, XML-RPC/JSON-RPC) ends here: apply the task-follow
        policy once per write to the leads whose Salesperson changed.
        ``crm_task_follow_skip`` skips it (a relationship change moving the
        account's leads applies the policy itself)."""
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

    # ------------------------------------------------------------------
    # Colleague (issue 3): the company's responsible user on its own lead
    # ------------------------------------------------------------------
    # Each company works on its OWN crm.lead record; an accepted lead offer
    # (crm.lead.offer) links the records of two companies. The colleague of a
    # lead is the Salesperson of that company's record, so the standard
    # multi-company rules keep one company's colleague, chatter, followers and
    # activities away from the other company; changes are relayed between the
    # linked records as neutral notes posted by OdooBot.
    colleague_id = fields.Many2one(
        "res.users", string="Colleague", related="user_id", readonly=False,
        store=True, index=True,  # group by / pivot / graph / read_group on the colleague
        domain="[('share', '=', False), ('company_ids', 'in', company_id or current_company_id)]",
        help="The colleague of your company responsible for this lead; the same as the "
             "Salesperson. Another company working on the same lead has its own colleague, "
             "which you never see.")
    crm_rm_offer_count = fields.Integer(
        string="Lead Offers", compute="_compute_crm_rm_offer_count")
    crm_rm_shared = fields.Boolean(
        string="Shared with Another Company", compute="_compute_crm_rm_offer_count",
        search="_search_crm_rm_shared",
        help="Another company works on this lead too (an accepted lead offer).")

    crm_rm_my_company = fields.Boolean(
        string="In My Company", compute="_compute_crm_rm_my_company",
        search="_search_crm_rm_my_company")

    @api.depends_context("company")
    def _compute_crm_rm_my_company(self):
        for lead in self:
            lead.crm_rm_my_company = lead.company_id in (self.env.company, self.env["res.company"])

    def _search_crm_rm_my_company(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            raise UserError(_("Unsupported search on In My Company."))
        domain = ["|", ("company_id", "=", False), ("company_id", "=", self.env.company.id)]
        return domain if (operator == "=") == value else ["!"] + domain

    def action_open_crm_rm_offer_wizard(self):
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "crm_relationship_manager.crm_lead_offer_wizard_action")
        action["context"] = {"default_lead_ids": self.ids}
        return action

    def action_view_crm_rm_offers(self):
        self.ensure_one()
        # the offers are searched as superuser: only for a lead the user may read
        self.check_access("read")
        offers = self.env["crm.lead.offer"].sudo().search(
            ["|", ("lead_id", "=", self.id), ("to_lead_id", "=", self.id)])
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "crm_relationship_manager.crm_lead_offer_action")
        action["domain"] = [("id", "in", offers.ids)]
        action["context"] = {}
        return action

    def _compute_crm_rm_offer_count(self):
        """Offers made from or received into these leads (each side sees its own)."""
        Offer = self.env["crm.lead.offer"].sudo()
        made = dict(Offer._read_group([("lead_id", "in", self.ids)], ["lead_id"], ["__count"]))
        received = dict(Offer._read_group(
            [("to_lead_id", "in", self.ids)], ["to_lead_id"], ["__count"]))
        shared = set(self._crm_rm_linked_leads())
        for lead in self:
            lead.crm_rm_offer_count = made.get(lead, 0) + received.get(lead, 0)
            lead.crm_rm_shared = lead.id in shared

    def _search_crm_rm_shared(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            raise UserError(_("Unsupported search on Shared with Another Company."))
        # sub-selects, not the ids of every accepted offer in the database
        Offer = self.env["crm.lead.offer"].sudo()
        accepted = [("state", "=", "accepted")]
        offering = Offer._search(accepted + [("lead_id", "!=", False)]).subselect("lead_id")
        receiving = Offer._search(accepted + [("to_lead_id", "!=", False)]).subselect("to_lead_id")
        if (operator == "=") == value:
            return ["|", ("id", "in", offering), ("id", "in", receiving)]
        return [("id", "not in", offering), ("id", "not in", receiving)]

    @api.constrains("user_id")
    def _check_user_id_active(self):
        """Archived users cannot be the colleague (Salesperson) of a lead.

        OdooBot (the archived superuser) is exempt: it is Odoo's default
        Salesperson of leads created by the system (data files, mail gateway).
        """
        users = self.user_id.sudo().with_context(active_test=False)
        archived = users.filtered(lambda u: not u.active and u.id != SUPERUSER_ID)
        if archived:
            lead = self.filtered(lambda lead: lead.user_id in archived)[:1]
            raise ValidationError(
                _("%(user)s is archived and cannot be the colleague of lead %(lead)s.",
                  user=archived[0].name, lead=lead.name)
            )

    @api.model
    def _crm_rm_colleague_vals(self, vals):
        """The values of a lead's ``create`` or ``write`` as the addon reads them:
        many2one values as ids (Odoo accepts records there), and ``colleague_id``,
        which is the Salesperson, written as ``user_id``."""
        vals = m2o_ids(self, vals)
        if "colleague_id" not in vals:
            return vals
        vals = dict(vals)
        colleague = vals.pop("colleague_id") or False
        if "user_id" in vals and (vals["user_id"] or False) != colleague:
            raise ValidationError(
                _("The colleague and the salesperson of a lead are the same person; "
                  "give only one of them or the same user for both."))
        vals["user_id"] = colleague
        return vals

    @api.model_create_multi
    def create(self, vals_list):
        return super().create([self._crm_rm_colleague_vals(vals) for vals in vals_list])

    @api.onchange("colleague_id")
    def _onchange_colleague_id(self):
        for lead in self:
            if lead.user_id != lead.colleague_id:
                lead.user_id = lead.colleague_id

    def _crm_rm_check_colleague(self, user_id):
        """Refuse, before anything is written, a colleague who is archived, not
        internal or not a user of the lead's company (Odoo would otherwise move
        the lead to the new Salesperson's company)."""
        if not user_id:
            return
        user = self.env["res.users"].sudo().with_context(active_test=False).browse(user_id)
        if not user.exists():
            raise ValidationError(_("The colleague to assign does not exist."))
        if not user.active and user.id != SUPERUSER_ID:
            raise ValidationError(_("%(user)s is archived and cannot be the colleague of a lead.",
                                    user=user.name))
        if user.share:
            raise ValidationError(_("%(user)s is not an internal user and cannot be the "
                                    "colleague of a lead.", user=user.name))
        wrong = self.company_id - user.company_ids
        foreign = self.filtered(lambda lead: lead.company_id in wrong) if wrong else wrong
        if foreign:
            raise ValidationError(
                _("%(user)s does not work in company %(company)s and cannot be the colleague "
                  "of lead %(lead)s.", user=user.name, company=foreign[0].company_id.name,
                  lead=foreign[0].name))

    def write(self, vals):
        vals = self._crm_rm_colleague_vals(vals)
        if vals.get("user_id") and "company_id" not in vals:
            self._crm_rm_check_colleague(vals["user_id"])
        relay = server_value(self.env.context, RELAY)
        watch = not relay and ("stage_id" in vals or "active" in vals)
        if watch:
            before = {lead.id: (lead.stage_id, lead.active) for lead in self}
        res = self._crm_rm_write_task_follow(vals)
        if watch:
            moved = self.filtered(lambda lead: before[lead.id][0] != lead.stage_id)
            lost = self.filtered(lambda lead: before[lead.id][1] and not lead.active)
            restored = self.filtered(lambda lead: not before[lead.id][1] and lead.active)
            moved._crm_rm_notify_stage()
            moved._crm_rm_relay(lambda lead, company: self.env._(
                "%(company)s moved the lead to stage %(stage)s.",
                company=company.name, stage=lead.stage_id.name))
            lost._crm_rm_relay(lambda lead, company: self.env._(
                "%(company)s marked the lead as lost.", company=company.name))
            restored._crm_rm_relay(lambda lead, company: self.env._(
                "%(company)s restored the lead.", company=company.name))
        return res

    def web_save(self, vals, specification, next_id=None):
        """A lead created by hand in the form gets its creator as colleague.

        The creator is the default Salesperson; the context key
        ``crm_rm_ui_create`` tells ``create`` overrides (rotation pools) that
        the lead was created in the UI and must keep that colleague.
        """
        if not self:
            self = self.with_context(**{UI_CREATE: SERVER})
            user = self.env.user
            if ("user_id" not in vals and "colleague_id" not in vals
                    and "default_user_id" not in self.env.context and not user.share):
                vals = dict(vals, user_id=user.id)
        return super(CrmLead, self).web_save(vals, specification, next_id=next_id)

    # Notifications -----------------------------------------------------

    def _crm_rm_group_by_colleague(self, exclude=None):
        """{colleague: leads} of the active colleagues of these leads but ``exclude``."""
        return self.filtered(
            lambda lead: lead.user_id and lead.user_id != exclude and lead.user_id.active
        ).grouped("user_id")

    def _crm_rm_notify_colleague(self, body, subject, summary):
        """Tell each lead's colleague (inbox or e-mail, per their preference) about
        something someone else did on their lead: ``body(lead)``/``subject(lead)``
        for one lead, one ``summary(leads)`` message per colleague for several."""
        for colleague, leads in self._crm_rm_group_by_colleague(exclude=self.env.user).items():
            if len(leads) == 1:
                leads.sudo().message_notify(
                    partner_ids=colleague.partner_id.ids, body=body(leads),
                    subject=subject(leads), record_name=leads.name,
                    email_layout_xmlid="mail.mail_notification_layout")
            else:
                self.env["mail.thread"].sudo().message_notify(
                    partner_ids=colleague.partner_id.ids, body=summary(leads),
                    subject=summary(leads), email_layout_xmlid="mail.mail_notification_light")

    @api.model
    def _crm_rm_lead_names(self, leads, limit=10):
        names = ", ".join(leads[:limit].mapped("name"))
        if len(leads) > limit:
            names = _("%(names)s and %(count)s more", names=names, count=len(leads) - limit)
        return names

    def _crm_rm_notify_stage(self):
        if server_value(self.env.context, NO_NOTIFY):
            return
        me = self.env.user
        self._crm_rm_notify_colleague(
            lambda lead: self.env._("%(user)s moved your lead %(lead)s to stage %(stage)s.",
                           user=me.name, lead=lead.name, stage=lead.stage_id.name),
            lambda lead: self.env._("Stage of %(lead)s changed", lead=lead.name),
            lambda leads: self.env._("%(user)s changed the stage of %(count)s of your leads: %(leads)s",
                            user=me.name, count=len(leads), leads=self._crm_rm_lead_names(leads)),
        )

    def _crm_rm_linked_leads(self):
        """{lead id: linked leads of other companies} over accepted offers (sudo)."""
        if not self.ids:
            return {}
        offers = self.env["crm.lead.offer"].sudo().search_fetch([
            ("state", "=", "accepted"), "|",
            ("lead_id", "in", self.ids), ("to_lead_id", "in", self.ids),
        ], ["lead_id", "to_lead_id"])
        Lead = self.env["crm.lead"].sudo()
        linked = {}
        for offer in offers:
            for mine, other in ((offer.lead_id, offer.to_lead_id), (offer.to_lead_id, offer.lead_id)):
                if mine.id in self.ids and other:
                    linked[mine.id] = linked.get(mine.id, Lead) | other
        return linked

    def _crm_rm_relay(self, body):
        """Post ``body(lead, company)`` on the linked leads of the other companies as
        a note by OdooBot and tell their colleague; names only the acting company.

        Set-wise: the notes of a batch are logged at once and each colleague gets
        one message (the note itself for one lead, a summary for several)."""
        if not self or server_value(self.env.context, RELAY):
            return
        linked = self._crm_rm_linked_leads()
        if not linked:
            return
        odoobot = self.env.ref("base.partner_root")
        Lead = self.env["crm.lead"].with_user(SUPERUSER_ID).with_context(
            **{RELAY: SERVER}, mail_create_nosubscribe=True, mail_post_autofollow=False)
        bodies = {}
        companies = {}
        for lead in self.sudo():
            company = lead.company_id or self.env.company
            for other in linked.get(lead.id, []):
                bodies[other.id] = body(lead, company)
                companies[other.id] = company
        targets = Lead.browse(list(bodies))
        note = self.env.ref("mail.mt_note")
        by_colleague = targets._crm_rm_group_by_colleague()
        singles = Lead.browse()
        for colleague, leads in by_colleague.items():
            if len(leads) == 1:
                singles |= leads
                leads.message_post(
                    body=bodies[leads.id], author_id=odoobot.id, message_type="comment",
                    subtype_id=note.id, partner_ids=colleague.partner_id.ids)
        batch = targets - singles
        if not batch:
            return
        batch._message_log_batch(
            bodies={lead.id: bodies[lead.id] for lead in batch}, author_id=odoobot.id,
            message_type="comment")  # a note (mail.mt_note)
        for colleague, leads in by_colleague.items():
            if len(leads) > 1:
                company_names = ", ".join(sorted({companies[lead.id].name for lead in leads}))
                Lead.env["mail.thread"].message_notify(
                    partner_ids=colleague.partner_id.ids, author_id=odoobot.id,
                    subject=_("%(companies)s updated %(count)s of your shared leads",
                              companies=company_names, count=len(leads)),
                    body=_("%(companies)s updated %(count)s of your shared leads: %(leads)s",
                           companies=company_names, count=len(leads),
                           leads=self._crm_rm_lead_names(leads)),
                    email_layout_xmlid="mail.mail_notification_light")

    @api.returns("mail.message", lambda value: value.id)
    def message_post(self, **kwargs):
        """A note or message by someone else tells the colleague; the other
        companies working on the lead get a neutral notice (no content, no names)."""
        relay = server_value(self.env.context, RELAY)
        is_comment = kwargs.get("message_type", "notification") == "comment"
        if len(self) == 1 and is_comment and not relay:
            colleague = self.user_id
            author_id = kwargs.get("author_id") or self.env.user.partner_id.id
            if colleague and colleague.active and colleague.partner_id.id != author_id:
                partner_ids = list(kwargs.get("partner_ids") or [])
                if colleague.partner_id.id not in partner_ids:
                    kwargs["partner_ids"] = partner_ids + [colleague.partner_id.id]
        message = super().message_post(**kwargs)
        if is_comment and not relay and not server_value(self.env.context, NO_RELAY):
            self._crm_rm_relay(lambda lead, company: self.env._(
                "%(company)s added a note on its side of the lead.", company=company.name))
        return message

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

# ----------------------------------------------------------------------
# Rotation pools (issue 4)
# ----------------------------------------------------------------------
from odoo import fields  # noqa: E402

from ..context_keys import NO_ROTATION  # noqa: E402
from .crm_rotation_pool import ROTATION_REASONS  # noqa: E402

# Context keys: set by the UI form creation (issue 3) -> the creator keeps the lead;
# set by callers that want no pool at all (e.g. a benchmark baseline).
ROTATION_FIELDS = {"rotation_pool_id", "rotation_covered_user_id", "rotation_reason"}


class CrmLeadRotation(models.Model):
    """Rotation pools (issue 4): a new lead without a salesperson gets one."""

    _inherit = "crm.lead"

    rotation_pool_id = fields.Many2one(
        "crm.rotation.pool", string="Rotation Pool", readonly=True, copy=False,
        ondelete="set null", index="btree_not_null",
        help="The pool that assigned this lead's Salesperson at creation.",
    )
    rotation_covered_user_id = fields.Many2one(
        "res.users", string="Covering For", readonly=True, copy=False, ondelete="set null",
        help="The customer's rep was away when the lead came in: the rotation gave it "
        "to the Salesperson, who covers for them.",
    )

    rotation_reason = fields.Selection(
        ROTATION_REASONS, string="Assigned By", readonly=True, copy=False,
        help="Why the rotation pool chose the Salesperson.",
    )

    def _rotation_note(self):
        self.ensure_one()
        # the creator (e.g. an associate or the mail gateway) may not read pools
        lead = self.sudo()
        reasons = dict(self._fields["rotation_reason"]._description_selection(self.env))
        reason = reasons.get(lead.rotation_reason, "")
        if lead.user_id:
            note = _("Assigned by rotation pool %(pool)s to %(rep)s (%(reason)s).",
                     pool=lead.rotation_pool_id.name, rep=lead.user_id.name, reason=reason)
        else:
            note = _("Assigned by rotation pool %(pool)s (%(reason)s).",
                     pool=lead.rotation_pool_id.name, reason=reason)
        if lead.rotation_covered_user_id:
            note = _("%(note)s Covering for %(rep)s, who is away.", note=note,
                     rep=lead.rotation_covered_user_id.name)
        return note

    def _creation_message(self):
        message = super()._creation_message()
        if self.rotation_pool_id:
            message = _("%(message)s %(note)s", message=message, note=self._rotation_note())
        return message

    def _check_rotation_vals(self, vals_list):
        """What the rotation decided is set by the pool only (readonly in the
        form is just a hint): a client cannot claim a lead came from a pool."""
        if self.env.su:
            return
        for vals in vals_list:
            if given := ROTATION_FIELDS & set(vals):
                raise AccessError(_("These lead fields are set by the rotation pools: "
                                    "%(fields)s.", fields=", ".join(sorted(given))))

    def write(self, vals):
        self._check_rotation_vals([vals])
        return super().write(vals)

    @api.model_create_multi
    def create(self, vals_list):
        self._check_rotation_vals(vals_list)
        # an explicit colleague is an explicit Salesperson: the pools leave it alone
        vals_list = [self._crm_rm_colleague_vals(vals) for vals in vals_list]
        ctx = self.env.context
        # default_user_id=False is no salesperson: Odoo's mail gateway sets it so
        # that e-mail leads are assigned automatically (crm.lead.message_new);
        # a default colleague is a default Salesperson
        if (server_value(ctx, UI_CREATE) or server_value(ctx, NO_ROTATION)
                or ctx.get("default_user_id") or ctx.get("default_colleague_id")):
            return super().create(vals_list)
        # "no salesperson given" is decided here, before the user_id default applies
        todo = [index for index, vals in enumerate(vals_list) if "user_id" not in vals]
        if not todo:
            return super().create(vals_list)
        vals_list = [dict(vals) for vals in vals_list]
        Pool = self.env["crm.rotation.pool"]
        assigned = Pool._assign_lead_values([vals_list[index] for index in todo])
        if not assigned:
            return super().create(vals_list)
        positions = [todo[i] for i, _decision in assigned]
        # A creator restricted to their own leads (Sales / User: Own Documents
        # Only) may not create a lead owned by someone else; the pool's decision
        # is theirs to accept: create the lead unassigned, then hand it over.
        restricted = not (self.env.su or self.env.user.has_group(
            "sales_team.group_sale_salesman_all_leads"))
        handover = {}
        if restricted:
            for pos in positions:
                vals = vals_list[pos]
                handover[pos] = {"user_id": vals["user_id"], "team_id": vals.get("team_id")}
                vals["user_id"] = False
        leads = super().create(vals_list)
        if handover:
            groups = {}
            for pos, values in handover.items():
                key = (values["user_id"], values["team_id"])
                groups[key] = groups.get(key, []) + [leads[pos].id]
            for (user_id, team_id), ids in groups.items():
                self.browse(ids).sudo().write({"user_id": user_id, "team_id": team_id})
        Pool._after_leads_assigned(
            self.browse([leads[pos].id for pos in positions]),
            [decision for _i, decision in assigned],
        )
        return leads
