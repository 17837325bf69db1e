# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""res.partner: the Salesperson, stored and read per company, kept in sync with
the relationships. Other concerns of the model: the customer number
(res_partner_customer_number.py), the transfer (res_partner_transfer.py) and
the customer import (res_partner_import.py, crm_customer_import.py)."""
from collections import defaultdict

from odoo import _, api, fields, models
from odoo.tools import SQL, Query

from ..context_keys import NO_SYNC, REL_REASON, REL_SOURCE, SERVER, ServerFlag, server_value
from .crm_relationship import RELATIONSHIP_SOURCES


class ResPartner(models.Model):
    _inherit = "res.partner"

    # The Salesperson of each company is stored in ``crm_rm_user_id`` (a
    # company-dependent jsonb column), so that a customer shared by several
    # companies shows each company its own rep and nothing else. Odoo's
    # ``user_id`` column stays the plain int4 column Odoo defines (modules loaded
    # before the addon, e.g. on ``-u crm``, expect it): it holds the value Odoo
    # would have without the addon (the rep of the partner's company, else of
    # the lowest company), kept in step by every Salesperson write. ``user_id``
    # is *read* per company through ``_field_to_sql``, hence its cache depends on
    # the company.
    user_id = fields.Many2one(
        compute=False,
        precompute=False,
        store=True,
        tracking=False,
        depends_context=("company",),
    )
    crm_rm_user_id = fields.Many2one(
        "res.users",
        string="Salesperson in the Company",
        company_dependent=True,
        copy=False,
        tracking=4,
        help="The internal user in charge of this contact, in each company.",
    )
    relationship_ids = fields.One2many(
        "crm.relationship", "partner_id", string="Relationships",
        context={"active_test": False},
    )
    current_relationship_ids = fields.One2many(
        "crm.relationship", "partner_id", string="Current Relationships",
        domain=[("is_current", "=", True)],
    )
    relationship_count = fields.Integer(compute="_compute_relationship_count")

    @api.depends("relationship_ids")
    def _compute_relationship_count(self):
        data = self.env["crm.relationship"]._read_group(
            [("partner_id", "in", self.commercial_partner_id.ids), ("is_current", "=", True)],
            ["partner_id"], ["__count"],
        )
        counts = {partner.id: count for partner, count in data}
        for partner in self:
            partner.relationship_count = counts.get(partner.commercial_partner_id.id, 0)

    @api.model
    def _field_to_sql(self, alias, fname, query=None, flush=True):
        """The Salesperson of a customer of one company is the one of that
        company, whatever the current company (a user working in A and B sees
        the rep of a B customer while A is current, in forms, lists, searches
        and exports); a shared customer shows the current company's, as Odoo's
        company-dependent fields do."""
        if fname != "user_id" or "crm_rm_user_id" not in self._fields:
            return super()._field_to_sql(alias, fname, query, flush)
        # always flushed: a value pending in the cache of another company (the
        # customer's) is the one read here
        column = SQL.identifier(alias, "crm_rm_user_id", to_flush=self._fields["crm_rm_user_id"])
        company = SQL.identifier(alias, "company_id", to_flush=self._fields["company_id"])
        users = self.env["res.users"]
        exists = SQL.identifier(Query.make_alias(users._table, "exists"))
        return SQL(
            "(SELECT %(exists)s.id FROM %(table)s AS %(exists)s WHERE %(exists)s.id = "
            "(%(column)s->COALESCE(%(company)s::text, %(current)s)->>0)::int4)",
            exists=exists, table=SQL.identifier(users._table), column=column,
            company=company, current=str(self.env.company.id),
        )

    @api.model_create_multi
    def create(self, vals_list):
        if server_value(self.env.context, NO_SYNC):
            vals_list = [self._crm_rm_salesperson_vals(vals) for vals in vals_list]
            partners = super().create(vals_list)
            partners.browse([p.id for p, vals in zip(partners, vals_list)
                             if vals.get("crm_rm_user_id")])._crm_rm_sync_plain_salesperson()
            return partners
        # the Salesperson is written below in the customer's company (an INSERT
        # would store it in the current company)
        vals_list = [dict(vals) for vals in vals_list]
        reps = []
        for vals in vals_list:
            reps.append(vals.get("user_id", None))
            if "user_id" in vals:
                vals["user_id"] = False
        partners = super(ResPartner, self.with_context(**{NO_SYNC: SERVER})).create(vals_list)
        partners = partners.with_env(self.env)
        # contacts inherit the Salesperson of their parent in every company
        # (Odoo's compute on parent_id) unless explicitly given none; a given
        # one is then written in the contact's company
        partners.browse([
            partner.id for partner, rep in zip(partners, reps)
            if partner.parent_id and partner.commercial_partner_id != partner
            and rep is not False
        ])._inherit_parent_salesperson(keep_own=False)
        by_user = defaultdict(list)
        for partner, rep in zip(partners, reps):
            if rep:
                by_user[rep].append(partner.id)
        for user_id, ids in by_user.items():
            self.browse(ids)._set_salesperson(self.env["res.users"].browse(user_id))
        return partners

    def _set_salesperson(self, user):  # pylint: disable=missing-return
        """Make ``user`` the Salesperson of these partners, each in its
        customer's company: a relationship change for customers, the value
        alone for contacts."""
        commercial = self.filtered(lambda p: p.commercial_partner_id == p)
        contacts = self - commercial
        Rel = self.env["crm.relationship"]
        for company, partners in Rel._customer_companies(commercial, user).items():
            # a Salesperson change on a customer is a relationship change
            self.env["crm.relationship"].with_company(company)._assign(
                partners, user, company=company,
                source=self._relationship_source(),
                reason=server_value(self.env.context, REL_REASON) or False,
            )
        if contacts:
            for company, partners in Rel._customer_companies(contacts, user).items():
                partners._crm_rm_write_salesperson(user, company)

    @api.model
    def _crm_rm_salesperson_vals(self, vals):
        """``vals`` with the Salesperson given as ``user_id`` written in the
        per-company field (the current company's value)."""
        if "user_id" not in vals:
            return vals
        vals = dict(vals)
        user = vals.pop("user_id")
        vals["crm_rm_user_id"] = user.id if isinstance(user, models.BaseModel) else user
        return vals

    def _crm_rm_write_salesperson(self, user, company):
        """Write ``user`` as the Salesperson of ``company`` on these partners
        (tracked), and keep Odoo's plain column in step."""
        if not self:
            return
        # the values cached for other companies would be flushed with this one
        self.invalidate_recordset(["crm_rm_user_id", "user_id"])
        super(ResPartner, self.with_company(company).with_context(**{NO_SYNC: SERVER})).write(
            {"crm_rm_user_id": user.id or False})
        self._crm_rm_sync_plain_salesperson()

    def _crm_rm_sync_plain_salesperson(self):
        """Set Odoo's plain ``user_id`` column of these partners to the value Odoo
        would have without the addon: the rep of the partner's own company, else
        (shared partner) the one of the lowest company. One statement."""
        if not self:
            return
        self.flush_model(["crm_rm_user_id", "company_id"])
        self.env.cr.execute(SQL(
            """
            UPDATE res_partner p
               SET user_id = (
                   SELECT u.id FROM res_users u
                    WHERE u.id = CASE WHEN jsonb_typeof(p.crm_rm_user_id) = 'object' THEN
                              COALESCE((p.crm_rm_user_id ->> p.company_id::text)::int4,
                                       (SELECT e.value::int4
                                          FROM jsonb_each_text(p.crm_rm_user_id) e
                                         WHERE e.value ~ '^[0-9]+$' AND e.key ~ '^[0-9]+$'
                                         ORDER BY e.key::int4 LIMIT 1))
                          END)
             WHERE p.id = ANY(%s)
            """, self.ids))
        self.invalidate_recordset(["user_id"])

    def _inherit_parent_salesperson(self, keep_own=True):
        """Give these contacts their parent's Salesperson in every company where
        the parent has one; with ``keep_own`` a contact keeps its own where it
        has one (Odoo only fills an empty Salesperson). One statement."""
        if not self:
            return
        self.flush_model(["crm_rm_user_id", "parent_id"])
        merged = ("COALESCE(parent.crm_rm_user_id, '{}') "
                  "|| jsonb_strip_nulls(COALESCE(c.crm_rm_user_id, '{}'))"
                  if keep_own else
                  "jsonb_strip_nulls(COALESCE(c.crm_rm_user_id, '{}')) || parent.crm_rm_user_id")
        self.env.cr.execute(SQL(
            f"""
            UPDATE res_partner c SET crm_rm_user_id = {merged}
              FROM res_partner parent
             WHERE c.id = ANY(%s) AND parent.id = c.parent_id
               AND parent.crm_rm_user_id IS NOT NULL AND parent.crm_rm_user_id != '{{}}'
               AND jsonb_typeof(parent.crm_rm_user_id) = 'object'
             RETURNING c.id
            """, self.ids))
        changed = self.browse([row[0] for row in self.env.cr.fetchall()])
        self.invalidate_recordset(["crm_rm_user_id", "user_id"])
        changed._crm_rm_sync_plain_salesperson()

    @api.onchange("parent_id")
    def _onchange_parent_id_salesperson(self):
        """A person linked to a company takes its Salesperson (Odoo's behaviour)."""
        for partner in self:
            if not partner.user_id and not partner.is_company and partner.parent_id.user_id:
                partner.user_id = partner.parent_id.user_id

    def write(self, vals):
        if server_value(self.env.context, NO_SYNC):
            if "user_id" not in vals:
                return super().write(vals)
            super().write(self._crm_rm_salesperson_vals(vals))
            self._crm_rm_sync_plain_salesperson()
            return True
        if "user_id" not in vals:
            res = super().write(vals)
            if vals.get("parent_id"):
                # Odoo's compute: a person linked to a company takes its Salesperson
                self.filtered(lambda p: not p.is_company)._inherit_parent_salesperson()
            return res
        vals = dict(vals)
        user = self.env["res.users"].browse(vals.pop("user_id") or [])
        if vals:
            super().write(vals)
        self._set_salesperson(user)
        return True

    def _relationship_source(self):
        """Source of a relationship change made through the Salesperson field:
        the server path that made it (a client cannot choose it)."""
        source = server_value(self.env.context, REL_SOURCE)
        if source and str(source) in dict(RELATIONSHIP_SOURCES):
            return str(source)
        return "odoo"

    @api.model
    def load(self, fields, data):
        """An import (base_import's file import calls ``load``) records the
        Salesperson changes it makes as imported."""
        return super(ResPartner, self.with_context(
            **{REL_SOURCE: ServerFlag("import")})).load(fields, data)

    def action_open_update_relationship(self):
        return {
            "type": "ir.actions.act_window",
            "name": _("Update Relationship"),
            "res_model": "crm.relationship.update",
            "view_mode": "form",
            "target": "new",
            "context": {
                "default_partner_ids": self.commercial_partner_id.ids,
            },
        }

    def action_view_relationships(self):
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "crm_relationship_manager.crm_relationship_action"
        )
        action["domain"] = [("partner_id", "in", self.commercial_partner_id.ids)]
        action["context"] = {"search_default_current": 0}
        return action

    def _get_rep_for_company(self, company):
        """The customer's current primary-role rep in ``company`` (may be empty)."""
        return self.commercial_partner_id.with_company(company).user_id
