# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import SUPERUSER_ID, _, api, fields, models
from odoo.exceptions import AccessError, UserError

from ..context_keys import NO_RELAY, RELAY, SERVER


class CrmLeadOffer(models.Model):
    """A lead offered by one company of the database to another.

    Each company works on its own crm.lead record: accepting an offer creates
    the receiving company's lead. The offer only holds neutral data (title,
    customer, expected revenue, companies): the users involved and each side's
    lead are readable by administrators only (``groups``), each side sees its
    own lead through ``own_lead_id``. Offers are created and changed as OdooBot
    so that ``create_uid``/``write_uid`` name nobody of either company.
    """

    _name = "crm.lead.offer"
    _description = "Lead Offer between Companies"
    _order = "create_date desc, id desc"

    name = fields.Char(string="Lead", required=True, readonly=True)
    state = fields.Selection(
        [("offered", "Offered"), ("accepted", "Accepted"),
         ("declined", "Declined"), ("withdrawn", "Withdrawn")],
        default="offered", required=True, readonly=True, index=True)
    company_id = fields.Many2one(
        "res.company", string="Offering Company", required=True, readonly=True, index=True)
    to_company_id = fields.Many2one(
        "res.company", string="Offered To", required=True, readonly=True, index=True)
    lead_id = fields.Many2one(
        "crm.lead", string="Offering Lead", readonly=True, index=True, ondelete="cascade",
        groups="base.group_system")
    to_lead_id = fields.Many2one(
        "crm.lead", string="Accepted Lead", readonly=True, index=True, ondelete="set null",
        groups="base.group_system")
    offered_by_id = fields.Many2one(
        "res.users", readonly=True, groups="base.group_system")
    decided_by_id = fields.Many2one(
        "res.users", string="Accepted/Declined By", readonly=True, groups="base.group_system")
    own_lead_id = fields.Many2one(
        "crm.lead", string="Our Lead", compute="_compute_own_lead_id",
        help="The lead of your company: the offered lead or the one created by accepting.")
    is_incoming = fields.Boolean(
        string="Offered to Us", compute="_compute_direction", search="_search_is_incoming")
    is_outgoing = fields.Boolean(
        string="Offered by Us", compute="_compute_direction", search="_search_is_outgoing")
    partner_id = fields.Many2one(
        "res.partner", string="Customer", readonly=True,
        help="Set when the customer is shared by all companies.")
    partner_name = fields.Char(string="Customer Name", readonly=True)
    contact_name = fields.Char(readonly=True)
    email_from = fields.Char(string="Email", readonly=True)
    phone = fields.Char(readonly=True)
    currency_id = fields.Many2one("res.currency", readonly=True)
    expected_revenue = fields.Monetary(readonly=True)
    description = fields.Html(readonly=True, sanitize=True)
    note = fields.Text(string="Message", readonly=True,
                       help="Message of the offering company to the receiving company.")
    decline_reason = fields.Text(readonly=True)
    decision_date = fields.Datetime(readonly=True)

    # ------------------------------------------------------------------
    @api.depends_context("company", "allowed_company_ids")
    def _compute_own_lead_id(self):
        companies = self.env.companies
        current = self.env.company
        for offer in self:
            sudo = offer.sudo()
            candidates = [lead for lead in (sudo.lead_id, sudo.to_lead_id)
                          if lead and lead.company_id in companies]
            candidates.sort(key=lambda lead: lead.company_id != current)
            offer.own_lead_id = candidates[0].id if candidates else False

    @api.depends_context("allowed_company_ids")
    def _compute_direction(self):
        companies = self.env.companies
        for offer in self:
            offer.is_incoming = offer.to_company_id in companies
            offer.is_outgoing = offer.company_id in companies

    def _search_is_incoming(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            raise UserError(_("Unsupported search on Offered to Us."))
        positive = (operator == "=") == value
        return [("to_company_id", "in" if positive else "not in", self.env.companies.ids)]

    def _search_is_outgoing(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            raise UserError(_("Unsupported search on Offered by Us."))
        positive = (operator == "=") == value
        return [("company_id", "in" if positive else "not in", self.env.companies.ids)]

    # ------------------------------------------------------------------
    @api.model
    def _check_sales_user(self):
        if not self.env.su and not self.env.user.has_group("sales_team.group_sale_salesman"):
            raise AccessError(_("Only sales users can offer, accept or decline lead offers."))

    @api.model
    def _offer_leads(self, leads, to_company, note=False):
        """Offer ``leads`` to ``to_company``; returns the offers. The current user
        must be allowed to change the leads."""
        self._check_sales_user()
        if not leads:
            raise UserError(_("Choose the leads to offer."))
        if not to_company:
            raise UserError(_("Choose the company to offer the leads to."))
        to_company = to_company.sudo()
        if not to_company.exists():
            raise UserError(_("The company to offer the leads to does not exist."))
        leads.check_access("write")
        Offer = self.sudo()
        existing = Offer.search([
            ("lead_id", "in", leads.ids), ("to_company_id", "=", to_company.id),
            ("state", "in", ("offered", "accepted")),
        ])
        vals_list = []
        for lead in leads:
            if not lead.company_id:
                raise UserError(_(
                    "Lead %(lead)s belongs to no company, so every company sees it and its "
                    "colleague; set its company before offering it.", lead=lead.name))
            company = lead.company_id
            if company == to_company:
                raise UserError(_("Lead %(lead)s belongs to %(company)s already; offer it to "
                                  "another company.", lead=lead.name, company=company.name))
            if company not in self.env.companies and not self.env.su:
                raise AccessError(_("Lead %(lead)s belongs to company %(company)s, which is not "
                                    "one of your allowed companies.", lead=lead.name,
                                    company=company.name))
            if not lead.active:
                raise UserError(_("Lead %(lead)s is archived or lost; it cannot be offered.",
                                  lead=lead.name))
            dup = existing.filtered(lambda o: o.lead_id == lead)[:1]
            if dup:
                raise UserError(_("Lead %(lead)s is already %(state)s to %(company)s.",
                                  lead=lead.name, company=to_company.name,
                                  state=dict(self._fields["state"]._description_selection(
                                      self.env))[dup.state].lower()))
            partner = lead.partner_id.sudo()
            commercial = partner.commercial_partner_id
            vals_list.append({
                "name": lead.name,
                "company_id": company.id,
                "to_company_id": to_company.id,
                "lead_id": lead.id,
                "offered_by_id": self.env.user.id,
                "partner_id": partner.id if partner and not partner.company_id else False,
                "partner_name": lead.partner_name or commercial.name or False,
                "contact_name": lead.contact_name or (partner.name if partner.parent_id else False),
                "email_from": lead.email_from,
                "phone": lead.phone,
                "currency_id": lead.company_currency.id or company.currency_id.id,
                "expected_revenue": lead.expected_revenue,
                "description": lead.description,
                "note": note or False,
            })
        offers = self.with_user(SUPERUSER_ID).create(vals_list).with_env(self.env)
        for offer in offers.sudo():
            offer.lead_id.with_context(**{NO_RELAY: SERVER}).message_post(
                body=_("Lead offered to %(company)s.", company=offer.to_company_id.name),
                message_type="comment", subtype_xmlid="mail.mt_note")
        return offers

    def _check_receiver(self):
        self._check_sales_user()
        for offer in self:
            company = offer.sudo().to_company_id
            if not self.env.su and company not in self.env.companies:
                raise AccessError(_("The offer of lead %(lead)s is addressed to %(company)s; "
                                    "switch to that company to answer it.",
                                    lead=offer.name, company=company.name))

    def _check_open(self, action):
        for offer in self:
            if offer.state != "offered":
                raise UserError(_(
                    "The offer of lead %(lead)s is %(state)s; only a pending offer can be "
                    "%(action)s.", lead=offer.name, action=action,
                    state=dict(self._fields["state"]._description_selection(self.env))[
                        offer.state].lower()))

    def action_accept(self):
        """Create the receiving company's own lead, the acceptor as its colleague."""
        self._check_receiver()
        self._check_open(_("accepted"))
        me = self.env.user
        Lead = self.env["crm.lead"]
        created = Lead
        for offer in self:
            company = offer.sudo().to_company_id
            partner = offer.partner_id
            lead = Lead.with_company(company).with_context(
                default_company_id=company.id, **{RELAY: SERVER}).create({
                    "name": offer.name,
                    "company_id": company.id,
                    "user_id": me.id,
                    "partner_id": partner.id,
                    "partner_name": offer.partner_name,
                    "contact_name": offer.contact_name,
                    "email_from": offer.email_from or partner.email,
                    "phone": offer.phone or partner.phone,
                    "expected_revenue": offer.expected_revenue,
                    "description": offer.description,
                })
            lead.with_context(**{RELAY: SERVER}).message_post(
                body=_("Lead accepted from a lead offer of %(company)s.",
                       company=offer.sudo().company_id.name),
                message_type="comment", subtype_xmlid="mail.mt_note")
            offer.with_user(SUPERUSER_ID).write({
                "state": "accepted", "to_lead_id": lead.id, "decided_by_id": me.id,
                "decision_date": fields.Datetime.now(),
            })
            created |= lead
            offer._notify_offering_side(_("%(company)s accepted the offer of this lead.",
                                          company=company.name))
        if len(created) == 1:
            return {
                "type": "ir.actions.act_window", "res_model": "crm.lead",
                "res_id": created.id, "view_mode": "form", "views": [(False, "form")],
                "context": {"allowed_company_ids": created.company_id.ids},
            }
        return True

    def action_open_decline(self):
        """The Decline button: ask for an optional reason."""
        self._check_receiver()
        self._check_open(_("declined"))
        return {
            "type": "ir.actions.act_window", "name": _("Decline Lead Offer"),
            "res_model": "crm.lead.offer.decline", "view_mode": "form", "target": "new",
            "context": {"default_offer_ids": self.ids},
        }

    def action_decline(self, reason=False):
        self._check_receiver()
        self._check_open(_("declined"))
        self.with_user(SUPERUSER_ID).write({
            "state": "declined", "decided_by_id": self.env.user.id,
            "decline_reason": reason or False, "decision_date": fields.Datetime.now(),
        })
        for offer in self:
            body = _("%(company)s declined the offer of this lead.",
                     company=offer.sudo().to_company_id.name)
            if reason:
                body = _("%(body)s Reason: %(reason)s", body=body, reason=reason)
            offer._notify_offering_side(body, activity=True)
        return True

    def action_withdraw(self):
        self._check_sales_user()
        for offer in self:
            if not self.env.su and offer.company_id not in self.env.companies:
                raise AccessError(_("Only %(company)s can withdraw the offer of lead %(lead)s.",
                                    company=offer.sudo().company_id.name, lead=offer.name))
        self._check_open(_("withdrawn"))
        self.with_user(SUPERUSER_ID).write({
            "state": "withdrawn", "decision_date": fields.Datetime.now()})
        for offer in self.sudo():
            if offer.lead_id:
                offer.lead_id.with_context(**{NO_RELAY: SERVER}).message_post(
                    body=_("Offer to %(company)s withdrawn.", company=offer.to_company_id.name),
                    message_type="comment", subtype_xmlid="mail.mt_note")
        return True

    def _notify_offering_side(self, body, activity=False):
        """Note on the offering lead by OdooBot, telling its colleague and the
        user who offered it; optionally a to-do for the colleague."""
        offer = self.sudo()
        lead = offer.lead_id.with_user(SUPERUSER_ID).with_context(
            **{RELAY: SERVER}, mail_create_nosubscribe=True, mail_post_autofollow=False)
        if not lead:
            return
        partners = (lead.user_id | offer.offered_by_id).filtered("active").partner_id
        lead.message_post(
            body=body, author_id=self.env.ref("base.partner_root").id,
            message_type="comment", subtype_xmlid="mail.mt_note", partner_ids=partners.ids)
        if activity and lead.user_id.active:
            lead.activity_schedule(
                "mail.mail_activity_data_todo", user_id=lead.user_id.id,
                summary=_("Lead offer declined by %(company)s", company=offer.to_company_id.name),
                note=body)
