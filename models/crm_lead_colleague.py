# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The colleague: the company's responsible user on its own lead.

Each company works on its OWN crm.lead record; an accepted lead offer
(crm.lead.offer) links the records of two companies. The colleague of a lead is
the Salesperson of that company's record, so the standard multi-company rules
keep one company's colleague, chatter, followers and activities away from the
other company; changes are relayed between the linked records as neutral notes
posted by OdooBot.
"""
from odoo import SUPERUSER_ID, _, api, fields, models
from odoo.exceptions import UserError, ValidationError

from ..context_keys import NO_NOTIFY, NO_RELAY, RELAY, SERVER, UI_CREATE, server_value
from ..m2o_values import m2o_ids


class CrmLead(models.Model):
    _inherit = "crm.lead"

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
        """Refuse, before anything is written, a colleague who cannot own records
        of the leads' companies (Odoo would otherwise move the lead to the new
        Salesperson's company)."""
        if not user_id:
            return
        user = self.env["res.users"].sudo().with_context(active_test=False).browse(user_id)
        if not user.exists():
            raise ValidationError(_("The colleague to assign does not exist."))
        for company, leads in self.grouped("company_id").items():
            user._crm_rm_check_owner(company, allow_odoobot=True, what=_(
                "the colleague of lead %(lead)s", lead=leads[0].name))
        if not self:
            user._crm_rm_check_owner(self.env["res.company"], allow_odoobot=True,
                                     what=_("the colleague of a lead"))

    def write(self, vals):
        vals = self._crm_rm_colleague_vals(vals)
        if vals.get("user_id") and "company_id" not in vals:
            self._crm_rm_check_colleague(vals["user_id"])
        relay = server_value(self.env.context, RELAY)
        watch = not relay and ("stage_id" in vals or "active" in vals)
        if watch:
            before = {lead.id: (lead.stage_id, lead.active) for lead in self}
        res = super().write(vals)
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
        return super().web_save(vals, specification, next_id=next_id)

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
