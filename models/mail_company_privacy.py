# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""What one company does on a customer shared by several companies stays private
to that company.

A customer without company (``res.partner.company_id`` empty) is readable by
every company. The Salesperson is stored per company, but the mail features
around it would still tell every company who works the customer elsewhere:
the tracking line of the Salesperson, the rep auto-subscribed as follower,
the activities and their assignees, internal notes. Each of these is stamped,
when it is created, with the company it was made in (``crm_rm_company_id``,
the current company of the environment) and record rules on ``mail.message``,
``mail.activity`` and ``mail.followers`` show a stamped item only to the users
of that company (``company_ids``: the companies of the user, or those ticked in
the company switcher). Messages exchanged with the customer (e-mails, "Send
message") are not stamped: every company that may read the customer reads its
correspondence. See docs/shared_customer_privacy.md.

Tracking values of company-dependent fields (the Salesperson) are stamped on any
record, and the chatter shows them only to the users of their company.
"""
from odoo import api, fields, models
from odoo.osv import expression


def shared_partner_ids(env, ids):
    """The ids among ``ids`` of partners that belong to no company (one query)."""
    ids = {id_ for id_ in ids if isinstance(id_, int) and id_}
    if not ids:
        return set()
    env["res.partner"].flush_model(["company_id"])
    env.cr.execute("SELECT id FROM res_partner WHERE id = ANY(%s) AND company_id IS NULL",
                   [list(ids)])
    return {row[0] for row in env.cr.fetchall()}


class MailMessage(models.Model):
    _inherit = "mail.message"

    crm_rm_company_id = fields.Many2one(
        "res.company", string="Private to Company", readonly=True, copy=False,
        index="btree_not_null",
        help="Internal message (note, tracking, activity) on a customer shared by "
        "several companies, posted in this company: only its users read it.")

    @api.model_create_multi
    def create(self, vals_list):
        # the stamp is the server's: a client cannot choose or remove it
        vals_list = [{k: v for k, v in vals.items() if k != "crm_rm_company_id"}
                     for vals in vals_list]
        shared = shared_partner_ids(self.env, [
            vals.get("res_id") for vals in vals_list if vals.get("model") == "res.partner"])
        if shared:
            internal_subtypes = set(self.env["mail.message.subtype"].sudo().search(
                [("internal", "=", True)]).ids)
            company = self.env.company.id
            for vals in vals_list:
                if (vals.get("model") == "res.partner" and vals.get("res_id") in shared
                        and self._crm_rm_is_internal_vals(vals, internal_subtypes)):
                    vals["crm_rm_company_id"] = company
        return super().create(vals_list)

    @api.model
    def _crm_rm_is_internal_vals(self, vals, internal_subtypes):
        """Whether a message to create is internal (not correspondence with the
        customer): notes, tracking and activity messages."""
        message_type = vals.get("message_type", "comment")
        if message_type == "user_notification":
            return False
        if vals.get("is_internal") or message_type == "notification":
            return True
        if message_type == "comment":
            subtype = vals.get("subtype_id")
            return not subtype or subtype in internal_subtypes
        return False  # e-mails, automated e-mails to the customer

    def write(self, vals):
        if "crm_rm_company_id" in vals and not self.env.su:
            vals = {k: v for k, v in vals.items() if k != "crm_rm_company_id"}
        return super().write(vals)


class MailTrackingValue(models.Model):
    _inherit = "mail.tracking.value"

    crm_rm_company_id = fields.Many2one(
        "res.company", string="Company of the Value", readonly=True,
        help="Set on the tracking of a company-dependent field (the Salesperson): "
        "the company whose value changed. Only its users see the line.")

    @api.model
    def _create_tracking_values(self, initial_value, new_value, col_name, col_info, record):
        values = super()._create_tracking_values(initial_value, new_value, col_name, col_info, record)
        field = record._fields.get(col_name)
        if values and field is not None and field.company_dependent:
            values["crm_rm_company_id"] = record.env.company.id
        return values

    def _crm_rm_filter_company(self, env):
        companies = set(env.companies.ids)
        return self.filtered(
            lambda tracking: not tracking.crm_rm_company_id
            or tracking.crm_rm_company_id.id in companies)

    def _filter_has_field_access(self, env):
        # the chatter (mail.message _to_store) and every formatting route
        return super()._filter_has_field_access(env)._crm_rm_filter_company(env)

    def _filter_free_field_access(self):
        # the tracking summary of notification e-mails goes to any follower:
        # a company's value is not for everybody
        return super()._filter_free_field_access().filtered(lambda t: not t.crm_rm_company_id)


class MailActivity(models.Model):
    _inherit = "mail.activity"

    crm_rm_company_id = fields.Many2one(
        "res.company", string="Private to Company", readonly=True, copy=False,
        index="btree_not_null",
        help="Activity on a customer shared by several companies, scheduled in this "
        "company: only its users and the assignee see it.")

    @api.model_create_multi
    def create(self, vals_list):
        vals_list = [{k: v for k, v in vals.items() if k != "crm_rm_company_id"}
                     for vals in vals_list]
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
        if "crm_rm_company_id" in vals and not self.env.su:
            vals = {k: v for k, v in vals.items() if k != "crm_rm_company_id"}
        return super().write(vals)


class MailFollowers(models.Model):
    _inherit = "mail.followers"

    crm_rm_company_id = fields.Many2one(
        "res.company", string="Private to Company", readonly=True, copy=False,
        index="btree_not_null",
        help="An internal user following a customer shared by several companies, "
        "subscribed in this company (e.g. as its Salesperson): only its users see it.")

    @api.model_create_multi
    def create(self, vals_list):
        vals_list = [{k: v for k, v in vals.items() if k != "crm_rm_company_id"}
                     for vals in vals_list]
        shared = shared_partner_ids(self.env, [
            vals.get("res_id") for vals in vals_list if vals.get("res_model") == "res.partner"])
        if shared:
            candidates = {vals.get("partner_id") for vals in vals_list
                          if vals.get("res_model") == "res.partner" and vals.get("res_id") in shared}
            employees = set(self.env["res.users"].sudo().with_context(active_test=False).search(
                [("partner_id", "in", list(candidates - {False, None})),
                 ("share", "=", False)]).partner_id.ids)
            company = self.env.company.id
            for vals in vals_list:
                if (vals.get("res_model") == "res.partner" and vals.get("res_id") in shared
                        and vals.get("partner_id") in employees):
                    vals["crm_rm_company_id"] = company
        return super().create(vals_list)

    def write(self, vals):
        if "crm_rm_company_id" in vals and not self.env.su:
            vals = {k: v for k, v in vals.items() if k != "crm_rm_company_id"}
        return super().write(vals)


class MailNotification(models.Model):
    _inherit = "mail.notification"

    crm_rm_company_id = fields.Many2one(
        "res.company", string="Private to Company", readonly=True, copy=False,
        index="btree_not_null",
        help="Notification of an internal user about a message on a customer shared "
        "by several companies: only the users of the company in which that user "
        "follows the customer (or of the posting company) see who was notified.")

    @api.model_create_multi
    def create(self, vals_list):
        vals_list = [{k: v for k, v in vals.items() if k != "crm_rm_company_id"}
                     for vals in vals_list]
        message_ids = list({vals.get("mail_message_id") for vals in vals_list
                            if vals.get("mail_message_id") and vals.get("res_partner_id")})
        # the messages were just posted: their model is in the cache, no query
        # unless they are on customers
        messages = self.env["mail.message"].sudo().browse(message_ids).filtered(
            lambda m: m.model == "res.partner" and m.res_id)
        if messages:
            shared = shared_partner_ids(self.env, messages.mapped("res_id"))
            record_of = {m.id: m.res_id for m in messages if m.res_id in shared}
            if record_of:
                self._crm_rm_stamp(vals_list, record_of)
        return super().create(vals_list)

    def _crm_rm_stamp(self, vals_list, record_of):
        """Stamp the notifications of employees on messages of shared customers
        (``record_of``: message id -> customer id), in two queries."""
        pids = {vals["res_partner_id"] for vals in vals_list
                if vals.get("mail_message_id") in record_of}
        employees = set(self.env["res.users"].sudo().with_context(active_test=False).search(
            [("partner_id", "in", list(pids)), ("share", "=", False)]).partner_id.ids)
        if not employees:
            return
        followers = self.env["mail.followers"].sudo().search_fetch([
            ("res_model", "=", "res.partner"), ("res_id", "in", list(set(record_of.values()))),
            ("partner_id", "in", list(employees)), ("crm_rm_company_id", "!=", False),
        ], ["res_id", "partner_id", "crm_rm_company_id"])
        stamp_of = {(f.res_id, f.partner_id.id): f.crm_rm_company_id.id for f in followers}
        company = self.env.company.id
        for vals in vals_list:
            record = record_of.get(vals.get("mail_message_id"))
            if record and vals["res_partner_id"] in employees:
                vals["crm_rm_company_id"] = stamp_of.get((record, vals["res_partner_id"]), company)

    def write(self, vals):
        if "crm_rm_company_id" in vals and not self.env.su:
            vals = {k: v for k, v in vals.items() if k != "crm_rm_company_id"}
        return super().write(vals)

    def _filtered_for_web_client(self):
        # the chatter lists each message's notifications, which Odoo does not
        # filter by record rules: the rule above, in Python (no query per message)
        if not self.env.su:
            companies = set(self.env.companies.ids)
            me = self.env.user.partner_id
            # browse: no forbidden record left in the prefetch set
            self = self.browse([  # noqa: PLW0642
                n.id for n in self.sudo()
                if not n.crm_rm_company_id or n.crm_rm_company_id.id in companies
                or n.res_partner_id == me])
        return super()._filtered_for_web_client()


class ResPartner(models.Model):
    _inherit = "res.partner"

    # Odoo searches activities and messages of a record through a join that
    # skips their record rules (auto_join): on customers, searches go through
    # the rules, so that no filter finds a shared customer by another company's
    # activity, assignee or note.
    activity_ids = fields.One2many(auto_join=False)
    message_ids = fields.One2many(auto_join=False)

    @api.model
    def _search_message_partner_ids(self, operator, operand):
        """Searching customers by follower: Odoo searches every follower as
        superuser; a follower private to another company must not match (it would
        tell who follows a shared customer there)."""
        neg = ""
        if operator in expression.NEGATIVE_TERM_OPERATORS:
            neg = "not "
            operator = expression.TERM_OPERATORS_NEGATION[operator]
        followers = self.env["mail.followers"].sudo()._search([
            ("res_model", "=", self._name),
            ("partner_id", operator, operand),
            "|", "|", ("crm_rm_company_id", "=", False),
            ("crm_rm_company_id", "in", self.env.companies.ids),
            ("partner_id", "=", self.env.user.partner_id.id),
        ])
        return [("id", neg + "in", followers.subselect("res_id"))]


def stamp_existing(env):
    """Stamp the private items of shared customers created before the stamps
    existed (upgrade), in a few set-wise statements. The company is a guess: the
    main company of the author, assignee or follower."""
    cr = env.cr
    env.flush_all()
    # one user per partner (the lowest id), internal users only
    employee = """(SELECT DISTINCT ON (partner_id) partner_id, company_id FROM res_users
                    WHERE share IS NOT TRUE ORDER BY partner_id, id)"""
    cr.execute(f"""
        UPDATE mail_message m SET crm_rm_company_id = u.company_id
          FROM res_partner p, {employee} u
         WHERE m.model = 'res.partner' AND p.id = m.res_id AND p.company_id IS NULL
           AND u.partner_id = m.author_id AND m.crm_rm_company_id IS NULL
           AND (m.message_type = 'notification'
                OR (m.message_type = 'comment' AND (m.is_internal OR m.subtype_id IS NULL
                    OR m.subtype_id IN (SELECT id FROM mail_message_subtype WHERE internal))))
    """)
    per_company = [
        field.id for field in env["ir.model.fields"].search([("ttype", "in", (
            "many2one", "char", "integer", "float", "monetary", "boolean", "selection",
            "date", "datetime", "text", "html"))])
        if field.model in env and getattr(env[field.model]._fields.get(field.name),
                                          "company_dependent", False)
    ]
    if per_company:
        cr.execute("""
            UPDATE mail_tracking_value t SET crm_rm_company_id = m.crm_rm_company_id
              FROM mail_message m
             WHERE t.mail_message_id = m.id AND m.crm_rm_company_id IS NOT NULL
               AND t.crm_rm_company_id IS NULL AND t.field_id = ANY(%s)
        """, [per_company])
    cr.execute("""
        UPDATE mail_activity a SET crm_rm_company_id = u.company_id
          FROM res_partner p, res_users u
         WHERE a.res_model = 'res.partner' AND p.id = a.res_id AND p.company_id IS NULL
           AND u.id = COALESCE(a.user_id, a.create_uid) AND a.crm_rm_company_id IS NULL
    """)
    cr.execute(f"""
        UPDATE mail_followers f SET crm_rm_company_id = u.company_id
          FROM res_partner p, {employee} u
         WHERE f.res_model = 'res.partner' AND p.id = f.res_id AND p.company_id IS NULL
           AND u.partner_id = f.partner_id AND f.crm_rm_company_id IS NULL
    """)
    cr.execute(f"""
        UPDATE mail_notification n
           SET crm_rm_company_id = COALESCE(
                   (SELECT f.crm_rm_company_id FROM mail_followers f
                     WHERE f.res_model = 'res.partner' AND f.res_id = m.res_id
                       AND f.partner_id = n.res_partner_id),
                   m.crm_rm_company_id, u.company_id)
          FROM mail_message m, res_partner p, {employee} u
         WHERE n.mail_message_id = m.id AND m.model = 'res.partner' AND p.id = m.res_id
           AND p.company_id IS NULL AND u.partner_id = n.res_partner_id
           AND n.crm_rm_company_id IS NULL
    """)
    env.invalidate_all()
