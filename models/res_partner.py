# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import logging
from collections import defaultdict
from datetime import timedelta

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.osv import expression
from odoo.tools import SQL, Query

from ..context_keys import (NO_SYNC, REL_REASON, REL_SOURCE, SERVER, TASK_FOLLOW_POLICY,
                            ServerFlag, server_value)
from .crm_relationship import RELATIONSHIP_SOURCES

_logger = logging.getLogger(__name__)

# import_customers(): the public XML-RPC contract (issue 7)
IMPORT_MODES = ("update", "update_delete")
# the options of import_customers besides the rows, in positional order
IMPORT_OPTIONS = ("transfer_mode", "mode", "rep_id")
IMPORT_MAX_ROWS = 50_000
IMPORT_ACTIONS = ("created", "updated", "restored", "transferred",
                  "restored_transferred", "conflict", "error")
# the partner fields an import may write, with their expected value type
IMPORT_FIELDS = {
    "name": "char", "email": "char", "phone": "char", "mobile": "char",
    "street": "char", "street2": "char", "city": "char", "zip": "char",
    "website": "char", "vat": "char", "function": "char", "comment": "text",
    "is_company": "bool", "country_code": "country",
}
# rows applied per savepoint; a failing batch is replayed row by row
IMPORT_BATCH_SIZE = 500
# fields cleared when a customer archived by an import cannot be deleted
ANONYMISED_FIELDS = ("email", "phone", "mobile", "street", "street2", "city", "zip",
                     "website", "vat", "function", "comment", "external_ref", "image_1920")


def normalize_external_ref(value):
    """The comparison key of a customer number: surrounding spaces and case ignored."""
    if not value or not isinstance(value, str):
        return False
    return value.strip().lower() or False


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
    external_ref = fields.Char(
        string="Customer Number",
        index="btree_not_null",
        copy=False,
        tracking=True,
        help="Number of the customer in external systems, unique per company across "
        "all reps, archived customers included. Imports match customers on it; "
        "surrounding spaces and case are ignored.",
    )
    external_ref_key = fields.Char(
        compute="_compute_external_ref_key",
        store=True,
        copy=False,
        help="Normalised customer number (trimmed, lower case) that uniqueness and "
        "imports compare.",
    )
    import_archived_date = fields.Datetime(
        string="Archived by Import",
        copy=False,
        readonly=True,
        help="Set when an import in 'update and delete' mode archived this customer; "
        "it is deleted (or anonymised) once the company's retention period is over, "
        "unless it is restored before.",
    )
    import_archived_company_id = fields.Many2one(
        "res.company", string="Archived by Import in", copy=False, readonly=True,
    )

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
        self._check_import_archive_vals(vals_list)
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

    def _set_salesperson(self, user):
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

    def _check_import_archive_vals(self, vals_list):
        """Only the import archives customers for its purge: nobody may mark a
        customer as archived by an import (the purge would delete it)."""
        if self.env.su:
            return
        for vals in vals_list:
            if vals.get("import_archived_date") or vals.get("import_archived_company_id"):
                raise AccessError(_("Only a customer import can mark customers as archived "
                                    "by an import."))

    def write(self, vals):
        self._check_import_archive_vals([vals])
        if vals.get("active") and "import_archived_date" not in vals:
            # restored: leave the import trash
            vals = dict(vals, import_archived_date=False, import_archived_company_id=False)
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

    # ------------------------------------------------------------------
    # External reference (customer number)
    # ------------------------------------------------------------------
    @api.depends("external_ref")
    def _compute_external_ref_key(self):
        for partner in self:
            partner.external_ref_key = normalize_external_ref(partner.external_ref)

    def init(self):
        super().init()
        # Unique per company (shared customers count as one more "company"),
        # archived customers included. Customers shared by all companies are
        # also checked against every company by _check_external_ref_unique.
        self.env.cr.execute(
            """
            CREATE UNIQUE INDEX IF NOT EXISTS res_partner_external_ref_company_uniq
                ON res_partner (COALESCE(company_id, 0), external_ref_key)
             WHERE external_ref_key IS NOT NULL
            """
        )

    @api.constrains("external_ref", "company_id")
    def _check_external_ref_unique(self):
        """Clear message before the SQL index refuses a duplicate; also forbids a
        customer shared by all companies to reuse a number of any company."""
        partners = self.filtered("external_ref_key")
        if not partners:
            return
        # compare the new values with the database (not flushed on purpose: the
        # unique index would raise first, without naming the customers)
        self.env.cr.execute(
            """
            SELECT id, external_ref_key, company_id FROM res_partner
             WHERE external_ref_key = ANY(%s) AND id != ALL(%s)
            """,
            [list(set(partners.mapped("external_ref_key"))), partners.ids],
        )
        by_key = defaultdict(list)
        for pid, key, company_id in self.env.cr.fetchall():
            by_key[key].append((self.browse(pid), company_id))
        for partner in partners:
            by_key[partner.external_ref_key].append((partner, partner.company_id.id))
        for partner in partners:
            for other, company_id in by_key[partner.external_ref_key]:
                if other == partner or (
                        partner.company_id and company_id
                        and partner.company_id.id != company_id):
                    continue
                # name the holder only to whoever may read it (a shared customer
                # may clash with one of another company)
                readable = other.with_context(active_test=False).has_access("read")
                other = other.sudo()
                raise ValidationError(
                    _("Customer number %(ref)s is already used by %(other)s (%(state)s); "
                      "customer numbers are unique per company, archived customers "
                      "included.", ref=partner.external_ref,
                      other=other.display_name if readable
                      else _("a customer you cannot see"),
                      state=_("archived") if not other.active else _("active"))
                )

    # ------------------------------------------------------------------
    # Transfer: customers move with their whole history
    # ------------------------------------------------------------------
    def action_open_transfer(self):
        return {
            "type": "ir.actions.act_window",
            "name": _("Transfer Customer"),
            "res_model": "res.partner.transfer",
            "view_mode": "form",
            "target": "new",
            "context": {"default_partner_ids": self.commercial_partner_id.ids},
        }

    @api.model
    def _transfer_customers(self, partners, user, company=None, reason=False):
        """Give ``partners`` to ``user`` in ``company`` with their whole history.

        The relationships change through ``crm.relationship._assign`` (rights,
        history with ``reason``, Salesperson sync, task-follow hook with the
        'all' policy); the open leads, open activities and future meetings of
        each previous rep with these customers follow (``_transfer_history``).
        Set-wise: one ``_assign`` for all customers, one history move per
        previous rep.

        :return: {previous rep id or False: customers}
        """
        company = company or self.env.company
        partners = partners.commercial_partner_id
        Rel = self.env["crm.relationship"].with_company(company)
        role = company._get_relationship_primary_role()
        current = Rel.sudo().search([
            ("partner_id", "in", partners.ids), ("company_id", "=", company.id),
            ("role_id", "=", role.id), ("is_current", "=", True),
        ])
        old_rep = {rel.partner_id.id: rel.user_id.id for rel in current}
        # no per-customer tracking message nor "you have been assigned" e-mail:
        # the transfer logs one note per customer and subscribes the new rep below
        Rel.with_context(**{TASK_FOLLOW_POLICY: ServerFlag("all")}, tracking_disable=True,
                         mail_auto_subscribe_no_notify=True)._assign(
            partners, user, company=company, source="transfer", reason=reason,
        )
        by_old = defaultdict(list)
        for partner in partners:
            if old_rep.get(partner.id) != user.id:
                by_old[old_rep.get(partner.id, False)].append(partner.id)
        for old_id, ids in by_old.items():
            if old_id:
                self._transfer_history(self.browse(ids), self.env["res.users"].browse(old_id),
                                       user, company)
        moved = self.browse([pid for ids in by_old.values() for pid in ids])
        if moved:
            moved.sudo().message_subscribe(partner_ids=user.partner_id.ids)
            body = _("Transferred to %(rep)s by %(by)s.", rep=user.name, by=self.env.user.name)
            if reason:
                body = _("%(body)s Reason: %(reason)s", body=body, reason=reason)
            moved.sudo()._message_log_batch(bodies=dict.fromkeys(moved.ids, body))
        return {old_id: self.browse(ids) for old_id, ids in by_old.items()}

    @api.model
    def _transfer_history(self, partners, old_user, new_user, company):
        """Give ``new_user`` the open leads and opportunities that ``old_user`` has
        with ``partners`` (and their contacts) in ``company``.

        The open activities (all of them) and the future meetings follow through
        the task-follow hook of the relationship change (issue 6), which
        ``_transfer_customers`` runs with the 'all' policy; the leads are written
        with ``crm_task_follow_skip`` so that the policy is applied once.
        Messages and notes stay on the customer, whose chatter the new rep reads.
        """
        if not partners or not old_user or old_user == new_user:
            return self.env["crm.lead"]
        return self.env["crm.relationship"]._move_open_leads(
            partners, old_user, new_user, company)

    # ------------------------------------------------------------------
    # Import of customer lists (public XML-RPC API)
    # ------------------------------------------------------------------
    @api.model
    def import_customers(self, rows, *args, **options):
        """Synchronise the customers of a rep with ``rows`` (a list of dicts).

        Options, by name or by position in this order: ``transfer_mode``
        (default False), ``mode`` (default 'update'), ``rep_id`` (default: the
        caller). Any other option is refused with an error naming the accepted
        ones.

        Each row has the required key ``external_ref`` (the customer number) and
        any of the partner fields of ``IMPORT_FIELDS``. Rows are matched in the
        current company against the rep (``rep_id``, default: the caller):

        - ``updated``: one of the rep's current customers;
        - ``restored`` (transfer mode): one of the rep's archived customers;
        - ``transferred`` (transfer mode): another rep's (or nobody's) customer,
          moved with its open leads, activities and future meetings;
        - ``restored_transferred`` (transfer mode): archived, of another rep;
        - ``conflict`` (without transfer mode): nothing is touched;
        - ``created``: new customer of the rep;
        - ``error``: the row was not applied; the message says why.

        With ``mode='update_delete'`` the rep's current customers absent from
        ``rows`` are archived, and deleted by a daily job after the company's
        retention period.

        Whole-call errors (bad mode, field, rep, payload) are raised before
        anything changes; every row is applied in a savepoint.

        :return: {'results': [{'row', 'external_ref', 'partner_id', 'action',
                  'message'}], 'archived_ids': [int], 'counts': {action: n}}
        """
        options = self._import_options(args, options)
        transfer_mode, mode, rep_id = (options["transfer_mode"], options["mode"],
                                       options["rep_id"])
        company = self.env.company
        rep = self._import_check_call(rows, transfer_mode, mode, rep_id, company)
        plan = self._import_plan(rows, bool(transfer_mode), rep, company)
        results = plan["results"]
        self._import_apply_plan(plan["ops"], results, rep, company)
        archived = self.browse()
        if mode == "update_delete":
            archived = self._import_archive_absent(rep, company, plan["matched_ids"])
        counts = dict.fromkeys(IMPORT_ACTIONS, 0)
        for result in results:
            counts[result["action"]] += 1
        return {"results": results, "archived_ids": archived.ids, "counts": counts}

    @api.model
    def _import_options(self, args, options):
        """The options of an import_customers call, given by position (in the
        order of ``IMPORT_OPTIONS``) or by name, with their defaults; unknown
        ones are refused, naming the accepted ones."""
        if len(args) > len(IMPORT_OPTIONS):
            raise UserError(_(
                "import_customers takes the rows and at most %(count)s options "
                "(%(options)s), not %(given)s values.", count=len(IMPORT_OPTIONS),
                options=", ".join(IMPORT_OPTIONS), given=len(args) + 1))
        if unknown := set(options) - set(IMPORT_OPTIONS):
            raise UserError(_(
                "Unknown import option(s): %(unknown)s. Accepted options: %(options)s.",
                unknown=", ".join(sorted(map(str, unknown))),
                options=", ".join(IMPORT_OPTIONS)))
        given = dict(zip(IMPORT_OPTIONS, args))
        if twice := set(given) & set(options):
            raise UserError(_("Option %(option)s is given twice.", option=sorted(twice)[0]))
        return {"transfer_mode": False, "mode": "update", "rep_id": None, **given, **options}

    @api.model
    def _import_check_call(self, rows, transfer_mode, mode, rep_id, company):
        """Validate a whole call and the caller's rights; return the rep."""
        Rel = self.env["crm.relationship"]
        me = self.env.user
        if not (self.env.su or me.has_group(
                "crm_relationship_manager.group_relationship_associate")):
            raise AccessError(_("You are not allowed to import customers."))
        if not isinstance(rows, list):
            raise UserError(
                _("The customers must be a list of rows (dicts), not %(type)s.",
                  type=type(rows).__name__))
        if len(rows) > IMPORT_MAX_ROWS:
            raise UserError(
                _("Too many rows: %(count)s; import at most %(max)s customers per call.",
                  count=len(rows), max=IMPORT_MAX_ROWS))
        if mode not in IMPORT_MODES:
            raise UserError(
                _("Unknown import mode %(mode)r; use one of: %(modes)s.",
                  mode=mode, modes=", ".join(IMPORT_MODES)))
        if not isinstance(transfer_mode, bool):
            raise UserError(_("transfer_mode must be true or false, not %(value)r.",
                              value=transfer_mode))
        allowed = set(IMPORT_FIELDS) | {"external_ref"}
        for index, row in enumerate(rows):
            if not isinstance(row, dict):
                raise UserError(
                    _("Row %(row)s is not a dict of field values but %(type)s.",
                      row=index, type=type(row).__name__))
            unknown = set(row) - allowed
            if unknown:
                name = sorted(map(str, unknown))[0]
                if name in self._fields:
                    message = _("Row %(row)s: field %(field)s cannot be imported.",
                                row=index, field=name)
                else:
                    message = _("Row %(row)s: unknown field %(field)s.", row=index, field=name)
                raise UserError(
                    _("%(message)s Importable fields: %(fields)s.", message=message,
                      fields=", ".join(sorted(allowed))))
        if rep_id is None or rep_id is False:
            rep = me
        else:
            if not isinstance(rep_id, int) or isinstance(rep_id, bool):
                raise UserError(_("rep_id must be the id of a user, not %(value)r.",
                                  value=rep_id))
            rep = self.env["res.users"].sudo().with_context(active_test=False).browse(
                rep_id).exists()
            if not rep:
                raise UserError(_("Unknown rep: there is no user with id %(id)s.", id=rep_id))
        if company not in me.company_ids and not self.env.su:
            raise AccessError(_("You cannot import customers of company %(company)s.",
                                company=company.name))
        if rep != me and not (self.env.su or Rel._is_relationship_manager(me)):
            raise AccessError(
                _("As a Relationship Associate you can only import customers for "
                  "yourself, not for %(rep)s.", rep=rep.sudo().name))
        Rel._check_rep(rep, company)
        return rep.with_env(self.env)

    @api.model
    def _import_plan(self, rows, transfer_mode, rep, company):
        """Resolve every row in Python and with a constant number of queries.

        :return: dict with 'results' (one per row, 'action' provisional),
            'ops' (row index -> what to do) and 'matched_ids' (every existing
            customer some row refers to)
        """
        results, ops, keys = [], {}, {}
        manager = self.env.su or self.env["crm.relationship"]._is_relationship_manager()

        def fail(index, message):
            results[index].update(action="error", message=message)

        for index, row in enumerate(rows):
            ref = row.get("external_ref")
            if isinstance(ref, int) and not isinstance(ref, bool):
                ref = str(ref)
            results.append({"row": index, "external_ref": ref if isinstance(ref, str) else "",
                            "partner_id": False, "action": "error", "message": ""})
            if not isinstance(ref, str) or not ref.strip():
                fail(index, _("external_ref is required (a non-empty text)."))
                continue
            key = normalize_external_ref(ref)
            if key in keys:
                fail(index, _("Customer number %(ref)s appears twice in this import (row "
                              "%(first)s); only the first row is applied.",
                              ref=ref, first=keys[key]))
                continue
            keys[key] = index
            vals, error = self._import_row_vals(row)
            if error:
                fail(index, error)
                continue
            ops[index] = {"key": key, "ref": ref.strip(), "vals": vals}

        # countries: one query
        codes = {op["vals"]["country_code"].strip().upper() for op in ops.values()
                 if op["vals"].get("country_code")}
        countries = {}
        if codes:
            countries = {c.code.upper(): c.id for c in self.env["res.country"].search(
                [("code", "in", list(codes))])}
        for index, op in list(ops.items()):
            if "country_code" in op["vals"]:
                code = op["vals"].pop("country_code")
                code = code.strip().upper() if code else False
                if code and code not in countries:
                    fail(index, _("Unknown country code %(code)s.", code=code))
                    del ops[index]
                    continue
                op["vals"]["country_id"] = countries.get(code, False) if code else False

        # existing customers: one query for all references
        found = self._import_find(list({op["key"] for op in ops.values()}), company)
        matched_ids = {rec["id"] for recs in found.values() for rec in recs}
        existing = self.browse(matched_ids).with_context(active_test=False)
        field_names = sorted({name for op in ops.values() for name in op["vals"]})
        current_values = {}
        if existing and field_names:
            for record in existing.read(field_names, load=None):
                current_values[record["id"]] = record
        users = self.env["res.users"].sudo().browse(
            [rec["user_id"] for recs in found.values() for rec in recs if rec["user_id"]])
        names = {user.id: user.name for user in users}
        for index, op in list(ops.items()):
            matches = found.get(op["key"], [])
            result = results[index]
            if len(matches) > 1:
                fail(index, _("Customer number %(ref)s matches several customers; fix them "
                              "before importing.", ref=op["ref"]))
                del ops[index]
                continue
            if not matches:
                if not (op["vals"].get("name") or "").strip():
                    fail(index, _("Customer %(ref)s does not exist yet: a name is needed to "
                                  "create it.", ref=op["ref"]))
                    del ops[index]
                    continue
                op["action"] = "created"
                continue
            match = matches[0]
            result["partner_id"] = match["id"]
            op["partner_id"] = match["id"]
            if not match["commercial"]:
                fail(index, _("Customer number %(ref)s belongs to a contact person, not to a "
                              "customer.", ref=op["ref"]))
                del ops[index]
                continue
            owner = match["user_id"] or False
            if owner == rep.id:
                action = "updated" if match["active"] else "restored"
            else:
                action = "transferred" if match["active"] else "restored_transferred"
            if action != "updated" and not transfer_mode:
                if owner == rep.id:
                    message = _("Customer %(ref)s is an archived customer of %(rep)s; import "
                                "with transfer mode to restore it.", ref=op["ref"], rep=rep.name)
                elif owner:
                    message = _("Customer %(ref)s belongs to %(owner)s; import with transfer "
                                "mode to transfer it with its history.", ref=op["ref"],
                                owner=names.get(owner, owner))
                else:
                    message = _("Customer %(ref)s has no rep; import with transfer mode to "
                                "take it over.", ref=op["ref"])
                result.update(action="conflict", message=message)
                del ops[index]
                continue
            if action in ("transferred", "restored_transferred") and owner and not manager:
                fail(index, _("As a Relationship Associate you cannot take over customer "
                              "%(ref)s from %(owner)s; ask a Relationship Manager.",
                              ref=op["ref"], owner=names.get(owner, owner)))
                del ops[index]
                continue
            op["action"] = action
            op["old_user_id"] = owner
            current = current_values.get(match["id"], {})
            op["vals"] = {name: value for name, value in op["vals"].items()
                          if not self._import_same_value(current.get(name), value)}
        return {"results": results, "ops": ops, "matched_ids": matched_ids}

    @api.model
    def _import_row_vals(self, row):
        """Validate a row's values in Python; return (vals, error message)."""
        vals = {}
        for name, value in row.items():
            if name == "external_ref":
                continue
            kind = IMPORT_FIELDS[name]
            if value is None:
                value = False
            if kind == "bool":
                if not isinstance(value, bool):
                    return None, _("Field %(field)s must be true or false, not %(value)r.",
                                   field=name, value=value)
            elif value is not False and not isinstance(value, str):
                return None, _("Field %(field)s must be a text, not %(value)r.",
                               field=name, value=value)
            elif name == "name" and not (value or "").strip():
                return None, _("The name of a customer cannot be empty.")
            vals[name] = value
        return vals, None

    @staticmethod
    def _import_same_value(current, value):
        if isinstance(value, bool) or isinstance(current, bool):
            return (current or False) == (value or False)
        return (current or "") == (value or "")

    @api.model
    def _import_find(self, keys, company):
        """Customers of ``company`` (or shared) per normalised reference, archived
        included, with their current primary-role rep in ``company``."""
        if not keys:
            return {}
        self.flush_model(["external_ref_key", "company_id", "active", "commercial_partner_id"])
        self.env["crm.relationship"].flush_model()
        role = company._get_relationship_primary_role()
        self.env.cr.execute(
            """
            SELECT p.id, p.external_ref_key, p.active, p.commercial_partner_id = p.id,
                   r.user_id
              FROM res_partner p
         LEFT JOIN crm_relationship r
                ON r.partner_id = p.id AND r.company_id = %s AND r.role_id = %s
               AND r.date_end IS NULL
             WHERE p.external_ref_key = ANY(%s)
               AND (p.company_id = %s OR p.company_id IS NULL)
            """,
            [company.id, role.id, keys, company.id],
        )
        found = defaultdict(list)
        for pid, key, active, commercial, user_id in self.env.cr.fetchall():
            found[key].append({"id": pid, "active": active, "commercial": commercial,
                               "user_id": user_id})
        return found

    @api.model
    def _import_apply_plan(self, ops, results, rep, company):
        """Apply the planned rows, a batch per savepoint; replay a failing batch
        row by row so that one bad row never loses the others."""
        indexes = sorted(ops)
        for start in range(0, len(indexes), IMPORT_BATCH_SIZE):
            batch = [ops[i] | {"index": i} for i in indexes[start:start + IMPORT_BATCH_SIZE]]
            try:
                with self.env.cr.savepoint():
                    done = self._import_apply_batch(batch, rep, company)
            except Exception:  # noqa: BLE001 - replayed row by row below
                _logger.info("Customer import: a batch failed, replaying it row by row",
                             exc_info=True)
                done = {}
                for op in batch:
                    try:
                        with self.env.cr.savepoint():
                            done.update(self._import_apply_batch([op], rep, company))
                    except Exception as exc:  # noqa: BLE001 - reported on the row
                        results[op["index"]].update(
                            action="error", message=self._import_error_message(exc))
            for index, partner_id in done.items():
                results[index].update(action=ops[index]["action"], partner_id=partner_id,
                                      message="")

    @staticmethod
    def _import_error_message(exc):
        message = getattr(exc, "args", None) and exc.args[0]
        if isinstance(exc, (UserError, ValidationError, AccessError)) and isinstance(message, str):
            return message
        pgerror = getattr(exc, "pgerror", None)
        return (pgerror or str(exc) or type(exc).__name__).strip().splitlines()[0]

    @api.model
    def _import_apply_batch(self, batch, rep, company):
        """Apply rows set-wise; return {row index: partner id}."""
        Partner = self.with_company(company).with_context(
            active_test=False, mail_create_nolog=True, tracking_disable=True,
            **{REL_SOURCE: ServerFlag("import")})
        done = {}
        # 1. field updates on existing customers, one write per distinct values
        by_vals = defaultdict(list)
        for op in batch:
            if op["action"] != "created" and op["vals"]:
                by_vals[tuple(sorted(op["vals"].items()))].append(op["partner_id"])
        # one prefetch set: the writes read the customers (access rules, users,
        # contacts) in one query per 1,000 rows, not once per distinct values
        prefetch = Partner.browse([pid for ids in by_vals.values() for pid in ids])._prefetch_ids
        for items, ids in by_vals.items():
            Partner.browse(ids).with_prefetch(prefetch).write(dict(items))
        # 2. restores
        restore_ids = [op["partner_id"] for op in batch
                       if op["action"] in ("restored", "restored_transferred")]
        if restore_ids:
            Partner.browse(restore_ids).write({"active": True})
        # 3. transfers: one relationship change for all, history per previous rep
        transfer_ids = [op["partner_id"] for op in batch
                        if op["action"] in ("transferred", "restored_transferred")]
        if transfer_ids:
            self._transfer_customers(self.browse(transfer_ids), rep, company,
                                     reason=_("Transferred by customer import"))
        # 4. creates, in one create
        creates = [op for op in batch if op["action"] == "created"]
        if creates:
            partners = Partner.create([
                dict(op["vals"], external_ref=op["ref"], company_id=company.id,
                     user_id=rep.id)
                for op in creates
            ])
            for op, partner in zip(creates, partners):
                done[op["index"]] = partner.id
        for op in batch:
            if op["action"] != "created":
                done[op["index"]] = op["partner_id"]
        return done

    @api.model
    def _import_archive_absent(self, rep, company, matched_ids):
        """Archive the rep's current customers that the import did not mention
        (update_delete mode). Customers that also have a rep in another company
        are left alone: archiving them would hide them from that company too."""
        role = company._get_relationship_primary_role()
        self.flush_model(["active"])
        self.env["crm.relationship"].flush_model()
        self.env.cr.execute(
            """
            SELECT p.id
              FROM crm_relationship r
              JOIN res_partner p ON p.id = r.partner_id
             WHERE r.company_id = %s AND r.role_id = %s AND r.user_id = %s
               AND r.date_end IS NULL AND p.active
               AND NOT p.id = ANY(%s)
               AND NOT EXISTS (SELECT 1 FROM crm_relationship o
                                WHERE o.partner_id = p.id AND o.date_end IS NULL
                                  AND o.company_id != r.company_id)
            """,
            [company.id, role.id, rep.id, list(matched_ids)],
        )
        partners = self.browse([row[0] for row in self.env.cr.fetchall()])
        if not partners:
            return partners
        vals = {"active": False, "import_archived_date": fields.Datetime.now(),
                "import_archived_company_id": company.id}
        # the importer's right to change them, then the bookkeeping as the system
        partners.check_access("write")
        partners = partners.sudo()
        try:
            with self.env.cr.savepoint():
                partners.write(vals)
            return partners.with_env(self.env)
        except Exception:  # noqa: BLE001 - retried one by one
            archived = self.browse()
            for partner in partners:
                try:
                    with self.env.cr.savepoint():
                        partner.write(vals)
                    archived |= partner
                except Exception:  # noqa: BLE001 - left active, logged
                    _logger.warning("Customer import: could not archive %s", partner.id,
                                    exc_info=True)
            return archived

    # ------------------------------------------------------------------
    # Retention of customers archived by an import
    # ------------------------------------------------------------------
    @api.model
    def _cron_purge_import_archived(self):
        """Delete customers archived by an import once their company's retention
        period is over; anonymise those whose links forbid deletion."""
        Partner = self.sudo().with_context(active_test=False)
        now = fields.Datetime.now()
        # one search for all companies, each with its own retention period
        expired = Partner.search(expression.AND([[("active", "=", False)], expression.OR([
            [("import_archived_company_id", "=", company.id),
             ("import_archived_date", "<=",
              now - timedelta(days=company.customer_import_retention_days))]
            for company in self.env["res.company"].sudo().search([])
        ])]))
        if not expired:
            return {"deleted": 0, "anonymised": 0}
        # each customer with its contacts (child_of), in one search for all
        family = Partner.search([("id", "child_of", expired.ids)])
        parent_of = {partner.id: partner.parent_id.id for partner in family}
        groups = defaultdict(list)
        for partner_id in parent_of:
            ancestor_id = partner_id
            while ancestor_id in parent_of:
                groups[ancestor_id].append(partner_id)
                ancestor_id = parent_of[ancestor_id]
        groups = {customer: Partner.browse(groups[customer.id]) for customer in expired}
        deleted = anonymised = 0
        try:
            with self.env.cr.savepoint():
                Partner.union(*groups.values()).unlink()
            deleted = len(expired)
        except Exception:  # noqa: BLE001 - one by one below
            for customer, group in groups.items():
                try:
                    with self.env.cr.savepoint():
                        group.unlink()
                    deleted += 1
                except Exception:  # noqa: BLE001 - links forbid deletion
                    group.exists()._anonymise_import_archived()
                    anonymised += 1
        _logger.info("Customer import retention: %s deleted, %s anonymised",
                     deleted, anonymised)
        return {"deleted": deleted, "anonymised": anonymised}

    def _anonymise_import_archived(self):
        vals = dict.fromkeys(ANONYMISED_FIELDS, False)
        vals.update(import_archived_date=False, country_id=False, state_id=False)
        for partner in self:
            partner.with_context(tracking_disable=True).write(
                dict(vals, name=_("Deleted customer %(id)s", id=partner.id)))
