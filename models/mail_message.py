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
``mail.activity``, ``mail.followers`` and ``mail.notification`` show a stamped
item only to the users of that company (``company_ids``: the companies of the
user, or those ticked in the company switcher). Messages exchanged with the customer (e-mails, "Send
message") are not stamped: every company that may read the customer reads its
correspondence. See docs/shared_customer_privacy.md.

Tracking values of company-dependent fields (the Salesperson) are stamped on any
record, and the chatter shows them only to the users of their company.
"""
from odoo import api, fields, models
from odoo.tools import SQL

STAMP = "crm_rm_company_id"


def without_stamp(vals):
    """``vals`` without the company stamp: only the server sets it."""
    return {key: value for key, value in vals.items() if key != STAMP}


def written_vals(env, vals):
    """The values a write may apply: the stamp only when the server writes."""
    return vals if env.su or STAMP not in vals else without_stamp(vals)


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
        vals_list = [without_stamp(vals) for vals in vals_list]
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
        vals = written_vals(self.env, vals)
        return super().write(vals)


def stamp_existing(env):
    """Stamp the private items of shared customers created before the stamps
    existed (upgrade), in a few set-wise statements. The company is a guess: the
    main company of the author, assignee or follower."""
    cr = env.cr
    env.flush_all()
    # one user per partner (the lowest id), internal users only
    employee = SQL("""(SELECT DISTINCT ON (partner_id) partner_id, company_id FROM res_users
                    WHERE share IS NOT TRUE ORDER BY partner_id, id)""")
    cr.execute(SQL("""
        UPDATE mail_message m SET crm_rm_company_id = u.company_id
          FROM res_partner p, %(employee)s u
         WHERE m.model = 'res.partner' AND p.id = m.res_id AND p.company_id IS NULL
           AND u.partner_id = m.author_id AND m.crm_rm_company_id IS NULL
           AND (m.message_type = 'notification'
                OR (m.message_type = 'comment' AND (m.is_internal OR m.subtype_id IS NULL
                    OR m.subtype_id IN (SELECT id FROM mail_message_subtype WHERE internal))))
    """, employee=employee))
    per_company = [
        field.id for field in env["ir.model.fields"].search([("ttype", "in", (
            "many2one", "char", "integer", "float", "monetary", "boolean", "selection",
            "date", "datetime", "text", "html"))])
        if field.model in env and (
            getattr(env[field.model]._fields.get(field.name), "company_dependent", False)
            # the per-company Salesperson was stored in user_id up to 18.0.1.3.0
            or (field.model, field.name) == ("res.partner", "user_id"))
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
    cr.execute(SQL("""
        UPDATE mail_followers f SET crm_rm_company_id = u.company_id
          FROM res_partner p, %(employee)s u
         WHERE f.res_model = 'res.partner' AND p.id = f.res_id AND p.company_id IS NULL
           AND u.partner_id = f.partner_id AND f.crm_rm_company_id IS NULL
    """, employee=employee))
    cr.execute(SQL("""
        UPDATE mail_notification n
           SET crm_rm_company_id = COALESCE(
                   (SELECT f.crm_rm_company_id FROM mail_followers f
                     WHERE f.res_model = 'res.partner' AND f.res_id = m.res_id
                       AND f.partner_id = n.res_partner_id),
                   m.crm_rm_company_id, u.company_id)
          FROM mail_message m, res_partner p, %(employee)s u
         WHERE n.mail_message_id = m.id AND m.model = 'res.partner' AND p.id = m.res_id
           AND p.company_id IS NULL AND u.partner_id = n.res_partner_id
           AND n.crm_rm_company_id IS NULL
    """, employee=employee))
    env.invalidate_all()
