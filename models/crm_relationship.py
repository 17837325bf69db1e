# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from collections import defaultdict

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError

RELATIONSHIP_SOURCES = [
    ("odoo", "Created in Odoo"),
    ("import", "Imported from an external system"),
    ("rotation", "Rotation pool"),
    ("transfer", "Transfer"),
    ("mass", "Mass reassignment"),
]

# Fields of a relationship that are history: they never change once written.
IMMUTABLE_FIELDS = {"partner_id", "company_id", "role_id", "date_start", "source", "changed_by_id"}
# What a caller may give when creating a relationship; the rest (dates, current
# flag, previous relationship, batch...) is the model's own bookkeeping.
# The source of a history row is set by the server path that made the change
# (``_assign(source=...)``): only superuser code may give it to ``create``.
CREATE_FIELDS = {"partner_id", "user_id", "company_id", "role_id", "reason"}
# What a caller may write besides a new rep (user_id) or an end (date_end).
ANNOTATION_FIELDS = {"reason", "end_reason"}


class CrmRelationship(models.Model):
    """Link between a customer (commercial entity) and the rep responsible for it.

    At most one relationship is *current* per (customer, company, role); replacing
    it ends the old record, which stays as history. The rep of the company's
    primary role is the customer's standard Salesperson in that company.
    """

    _name = "crm.relationship"
    _description = "Customer Relationship"
    _order = "is_current desc, date_start desc, id desc"
    _check_company_auto = True

    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        required=True,
        index=True,
        ondelete="cascade",
        check_company=True,
        readonly=True,
    )
    user_id = fields.Many2one(
        "res.users",
        string="Rep",
        required=True,
        index=True,
        ondelete="restrict",
        readonly=True,
    )
    company_id = fields.Many2one(
        "res.company",
        required=True,
        default=lambda self: self.env.company,
        readonly=True,
    )
    role_id = fields.Many2one(
        "crm.relationship.role",
        required=True,
        ondelete="restrict",
        readonly=True,
    )
    source = fields.Selection(
        RELATIONSHIP_SOURCES, required=True, default="odoo", readonly=True
    )
    date_start = fields.Datetime(
        string="Start", required=True, default=fields.Datetime.now, readonly=True
    )
    date_end = fields.Datetime(string="End", readonly=True)
    is_current = fields.Boolean(
        string="Current",
        default=True,
        readonly=True,
        help="Not ended yet. Maintained by the model: false exactly when the "
        "relationship has an end date.",
    )
    changed_by_id = fields.Many2one(
        "res.users",
        string="Changed by",
        default=lambda self: self.env.user,
        readonly=True,
        ondelete="set null",
    )
    reason = fields.Char(readonly=True)
    ended_by_id = fields.Many2one(
        "res.users", string="Ended by", readonly=True, ondelete="set null"
    )
    end_reason = fields.Char(readonly=True)
    previous_id = fields.Many2one(
        "crm.relationship",
        string="Replaces",
        readonly=True,
        ondelete="set null",
        index="btree_not_null",
        help="The relationship this one replaced.",
    )
    previous_user_id = fields.Many2one(
        related="previous_id.user_id", string="Previous Rep"
    )
    batch_id = fields.Many2one(
        "crm.relationship.batch", readonly=True, ondelete="set null",
        index="btree_not_null", help="The mass reassignment that created this relationship.",
    )

    @api.depends("partner_id", "role_id", "user_id")
    def _compute_display_name(self):
        for rel in self:
            rel.display_name = _(
                "%(customer)s: %(role)s %(rep)s",
                customer=rel.partner_id.display_name or "",
                role=rel.role_id.name or "",
                rep=rel.user_id.name or "",
            )

    def init(self):
        # At most one current relationship per (customer, company, role).
        self.env.cr.execute(
            """
            CREATE UNIQUE INDEX IF NOT EXISTS crm_relationship_current_uniq
                ON crm_relationship (partner_id, company_id, role_id)
             WHERE date_end IS NULL
            """
        )

    # ------------------------------------------------------------------
    # Permissions and validation
    # ------------------------------------------------------------------
    @api.model
    def _is_relationship_manager(self, user=None):
        user = user or self.env.user
        return user.has_group(
            "crm_relationship_manager.group_relationship_manager"
        ) or user.has_group("base.group_system")

    @api.model
    def _check_change_rights(self, current, unowned_partners, new_user, company):
        """Server-side permission check for a relationship change.

        :param current: current relationships that the change ends
        :param unowned_partners: customers without a current relationship
        :param new_user: the new rep (may be empty when relationships are only ended)
        """
        if self.env.su:
            return
        user = self.env.user
        if company not in user.company_ids or company not in self.env.companies:
            raise AccessError(
                _("You cannot manage relationships of company %(company)s: it is not "
                  "one of your allowed companies.", company=company.name)
            )
        if self._is_relationship_manager(user):
            return
        if not user.has_group("crm_relationship_manager.group_relationship_associate"):
            raise AccessError(_("You are not allowed to manage customer relationships."))
        others = current.filtered(lambda r: r.user_id != user)
        if others:
            rel = others[0]
            raise AccessError(
                _("As a Relationship Associate you can only hand over relationships "
                  "where you are the current rep: %(customer)s is handled by %(rep)s.",
                  customer=rel.partner_id.display_name, rep=rel.user_id.name)
            )
        if unowned_partners and new_user != user:
            raise AccessError(
                _("As a Relationship Associate you can only take customers without a "
                  "rep for yourself, not assign %(customer)s to %(rep)s.",
                  customer=unowned_partners[0].display_name, rep=new_user.name or "-")
            )
        if not new_user and current:
            raise AccessError(
                _("As a Relationship Associate you cannot end a relationship without "
                  "handing it over to another rep.")
            )

    @api.model
    def _customer_companies(self, partners, user=None):
        """{company: partners}: the company in which each partner (customer or
        contact) gets its rep, its customer's own company. A customer shared by
        all companies gets it in the current company, or, when ``user`` does
        not work there, in the first other enabled company (company switcher)
        where ``user`` works."""
        company = self.env.company
        shared_company = company
        if user and company not in user.sudo().company_ids:
            shared_company = (self.env.companies & user.sudo().company_ids)[:1] or company
        return partners.grouped(
            lambda p: p.commercial_partner_id.company_id or shared_company)

    # ------------------------------------------------------------------
    # The one entry point for every ownership change
    # ------------------------------------------------------------------
    @api.model
    def _assign(self, partners, user, role=None, company=None, source="odoo",
                reason=False, extra_vals=None, check_rights=True):
        """Make ``user`` the current rep of ``partners`` for ``role`` in ``company``.

        Current relationships of other reps are ended (kept as history), new ones
        are created, and the Salesperson is synced when ``role`` is the company's
        primary role. With an empty ``user`` the current relationships are only
        ended. Works on whole recordsets with a constant number of queries.

        :return: the relationships created
        """
        company = company or self.env.company
        role = role or company._get_relationship_primary_role()
        if not role:
            raise UserError(_("No relationship role is configured for %(company)s.",
                              company=company.name))
        # only the two columns needed (not every column of res.partner)
        partners.fetch(["commercial_partner_id"])
        partners = partners.commercial_partner_id
        if not partners:
            return self.browse()
        user = user or self.env["res.users"]
        if user:
            user._crm_rm_check_owner(company)
        # customers of another company (one query, not a recordset per customer)
        self.env["res.partner"].flush_model(["company_id"])
        self.env.cr.execute(
            "SELECT id FROM res_partner WHERE id = ANY(%s) AND company_id != %s ORDER BY id",
            [list(partners.ids), company.id])
        foreign = partners.browse([row[0] for row in self.env.cr.fetchall()])
        if foreign:
            raise ValidationError(
                _("%(customer)s belongs to company %(other)s and cannot have a rep in "
                  "%(company)s.", customer=foreign[0].display_name,
                  other=foreign[0].company_id.name, company=company.name)
            )
        current = self.sudo().search_fetch([
            ("partner_id", "in", partners.ids),
            ("company_id", "=", company.id),
            ("role_id", "=", role.id),
            ("is_current", "=", True),
        ], ["partner_id", "user_id", "is_current"])
        to_end = current.filtered(lambda r: r.user_id != user) if user else current
        unchanged_partners = (current - to_end).partner_id
        unowned = partners - current.partner_id
        if check_rights:
            self._check_change_rights(to_end, unowned, user, company)
        targets = partners - unchanged_partners
        if not targets:
            return self.browse()
        # partner id -> (ended relationship id, its rep id), read before the change
        old_by_partner = {rel.partner_id.id: (rel.id, rel.user_id.id) for rel in to_end}
        to_end._end(reason)
        new = self.browse()
        if user:
            base_vals = {
                "user_id": user.id,
                "company_id": company.id,
                "role_id": role.id,
                "source": source,
                "reason": reason or False,
                "changed_by_id": self.env.uid,
                **(extra_vals or {}),
            }
            new = self._insert_current([
                dict(base_vals, partner_id=partner.id,
                     previous_id=old_by_partner[partner.id][0]
                     if partner.id in old_by_partner else None)
                for partner in targets
            ])
        if role == company._get_relationship_primary_role():
            self._sync_salesperson(targets, user, company)
        changes = self._make_changes(targets, old_by_partner, user, company, role, source)
        self._after_relationship_change(changes)
        return new.with_env(self.env)

    @api.model
    def _make_changes(self, partners, old_by_partner, user, company, role, source):
        """Describe a change as a list of dicts, grouped by previous rep.

        :param old_by_partner: partner id -> (ended relationship id, previous rep id)
        """
        by_old = defaultdict(list)
        for partner_id in partners.ids:
            old = old_by_partner.get(partner_id)
            by_old[old[1] if old else False].append(partner_id)
        Partner, Users = self.env["res.partner"], self.env["res.users"]
        return [
            {"partners": Partner.browse(ids), "old_user": Users.browse(old_id or []),
             "new_user": user, "company": company, "role": role, "source": source}
            for old_id, ids in by_old.items()
        ]

    @api.model
    def _insert_current(self, vals_list):
        """Insert current relationships in one statement and return them.

        Relationships are append-only history rows whose every value has been
        validated by ``_assign``; inserting them set-wise keeps a change of
        100,000 customers at the cost of one SQL statement instead of 100,000
        ORM creates (default_get, cache and recompute per record).
        """
        if not vals_list:
            return self.browse()
        self.flush_model()
        now = fields.Datetime.now()
        columns = sorted({key for vals in vals_list for key in vals})
        for name in columns:
            field = self._fields.get(name)
            if not field or not field.store or field.type in ("one2many", "many2many"):
                raise ValidationError(_("Unknown relationship field %(field)s.", field=name))
        extra = {"is_current": True, "date_start": now, "create_uid": self.env.uid,
                 "create_date": now, "write_uid": self.env.uid, "write_date": now}
        columns += [name for name in extra if name not in columns]
        sql_types = {"many2one": "int4", "integer": "int4", "boolean": "bool",
                     "datetime": "timestamp", "date": "date", "float": "float8"}
        selects, params = [], []
        for name in columns:
            values = [vals[name] if name in vals else extra.get(name) for vals in vals_list]
            sql_type = sql_types.get(self._fields[name].type, "varchar")
            if sql_type != "bool":
                values = [None if value is False else value for value in values]
            if all(value == values[0] for value in values):
                # the same for every row: one parameter
                selects.append(f"%s::{sql_type}")
                params.append(values[0])
            else:
                selects.append(f"unnest(%s::{sql_type}[])")
                params.append(values)
        # the values just inserted are known: the usual ones come back with the
        # ids and go to the cache (callers read them right away, no fetch)
        cached = ["is_current"] + [name for name in ("partner_id", "user_id", "company_id",
                                                      "role_id") if name in columns]
        self.env.cr.execute(
            "INSERT INTO crm_relationship ({}) SELECT {} RETURNING id, {}".format(
                ",".join(f'"{name}"' for name in columns), ",".join(selects),
                ",".join(f'"{name}"' for name in cached)),
            params,
        )
        rows = self.env.cr.fetchall()
        self.env["res.partner"].invalidate_model(["relationship_ids", "current_relationship_ids"])
        self.env["res.users"].invalidate_model(["relationship_ids"])
        records = self.browse([row[0] for row in rows])
        for index, name in enumerate(cached, start=1):
            field = self._fields[name]
            self.env.cache.update(records, field, [
                field.convert_to_cache(row[index] or False, records) if field.type == "many2one"
                else row[index] for row in rows])
        return records

    @api.model
    def _after_relationship_change(self, changes):
        """Hook called once per ownership change, after the records are written.

        ``changes`` is a list of dicts with keys ``partners``, ``old_user``,
        ``new_user``, ``company``, ``role`` and ``source``.

        Context keys honoured by the task-follow policy:
        ``crm_task_follow_policy`` ('none'|'automated'|'all') overrides the
        company's policy; ``crm_task_follow_skip`` skips it (the caller moves the
        activities itself, e.g. a transfer).

        Applies the task-follow policy (``crm.task.follow``): the previous
        owner's open activities on the accounts, their open leads and draft
        quotations, and future meetings, follow the new owner.
        """
        self.env["crm.task.follow"]._apply_relationship_changes(changes)
        return True

    def _end(self, reason=False):
        """End current relationships (they stay as history), in one statement."""
        current = self.filtered("is_current")
        if current:
            current.flush_recordset()
            now = fields.Datetime.now()
            self.env.cr.execute(
                """
                UPDATE crm_relationship
                   SET date_end = %s, is_current = false, ended_by_id = %s,
                       end_reason = %s, write_uid = %s, write_date = %s
                 WHERE id = ANY(%s) AND is_current
                """,
                (now, self.env.uid, reason or None, self.env.uid, now, current.ids),
            )
            current.invalidate_recordset(
                ["date_end", "is_current", "ended_by_id", "end_reason", "write_uid", "write_date"]
            )
            self.env["res.partner"].invalidate_model(["current_relationship_ids"])
            self.env["res.users"].invalidate_model(["relationship_ids"])
        return current

    @api.model
    def _sync_salesperson(self, partners, user, company):
        """Write the Salesperson of ``company`` on the customers and their contacts."""
        contacts = self.env["res.partner"].sudo().with_context(active_test=False).search(
            [("commercial_partner_id", "in", partners.ids)]
        )
        contacts._crm_rm_write_salesperson(user, company)

    # ------------------------------------------------------------------
    # ORM: every create/write goes through _assign
    # ------------------------------------------------------------------
    @api.model_create_multi
    def create(self, vals_list):  # pylint: disable=method-required-super
        """Give each customer of ``vals_list`` its rep, through ``_assign``.

        Returns one relationship per vals, in order (XML data and base_import
        pair them by position): the one created, or the current one when the
        vals change nothing. Without ``company_id`` the relationship belongs
        to the customer's company (the current company for a shared customer).
        """
        Partner = self.env["res.partner"]
        for vals in vals_list:
            if vals.get("date_end"):
                raise UserError(_("Relationships are created current; end them by "
                                  "assigning another rep."))
            if not vals.get("partner_id") or not vals.get("user_id"):
                raise ValidationError(_("A relationship needs a customer and a rep."))
            if not self.env.su and (bookkeeping := set(vals) - CREATE_FIELDS):
                raise UserError(_("These relationship fields are set by the system and "
                                  "cannot be given: %(fields)s.",
                                  fields=", ".join(sorted(bookkeeping))))
        partner_ids = {vals["partner_id"] for vals in vals_list}
        partners = Partner.browse(partner_ids).exists()
        if len(partners) != len(partner_ids):
            raise ValidationError(_("Unknown customer in %(ids)s.",
                                    ids=sorted(partner_ids - set(partners.ids))))
        partners.fetch(["commercial_partner_id"])
        partners.commercial_partner_id.fetch(["company_id"])
        groups = defaultdict(list)
        keys = []  # per vals: (group key, customer id)
        for vals in vals_list:
            customer = Partner.browse(vals["partner_id"]).commercial_partner_id
            company_id = vals.get("company_id") or next(iter(self._customer_companies(
                customer, self.env["res.users"].browse(vals["user_id"]).exists()))).id
            role_id = vals.get("role_id") or (
                self.env["res.company"].browse(company_id)._get_relationship_primary_role().id
            )
            extra = {k: v for k, v in vals.items() if k not in (
                "partner_id", "user_id", "company_id", "role_id", "source", "reason",
                "changed_by_id")}
            key = (company_id, role_id, vals["user_id"], vals.get("source") or "odoo",
                   vals.get("reason") or False, tuple(sorted(extra.items())))
            groups[key].append(customer.id)
            keys.append((key, customer.id))
        by_key = {}
        for key, customer_ids in groups.items():
            company_id, role_id, user_id, source, reason, extra = key
            company = self.env["res.company"].browse(company_id).exists()
            if not company:
                raise ValidationError(_("Unknown company %(id)s.", id=company_id))
            user = self.env["res.users"].browse(user_id).exists()
            if not user:
                raise ValidationError(_("Unknown rep %(id)s.", id=user_id))
            role = self.env["crm.relationship.role"].browse(role_id)
            customers = Partner.browse(customer_ids)
            new = self._assign(customers, user, role=role, company=company, source=source,
                               reason=reason, extra_vals=dict(extra))
            found = {rel.partner_id.id: rel.id for rel in new}
            if missing := customers.filtered(lambda p: p.id not in found):
                # unchanged: the customer's current relationship with this rep
                found.update((rel.partner_id.id, rel.id) for rel in self.sudo().search_fetch([
                    ("partner_id", "in", missing.ids), ("company_id", "=", company.id),
                    ("role_id", "=", role.id), ("user_id", "=", user.id),
                    ("is_current", "=", True),
                ], ["partner_id"]))
            by_key.update(((key, pid), rel_id) for pid, rel_id in found.items())
        return self.browse([by_key[position] for position in keys])

    def write(self, vals):
        if forbidden := IMMUTABLE_FIELDS & set(vals):
            raise UserError(
                _("Relationships are history and cannot be rewritten (%(fields)s); "
                  "assign a new rep instead.", fields=", ".join(sorted(forbidden)))
            )
        vals = dict(vals)
        new_user_id = vals.pop("user_id", None)
        ending = vals.pop("date_end", None)
        if (new_user_id is not None or ending) and self.filtered(lambda r: not r.is_current):
            raise UserError(_("Ended relationships are history and cannot be changed."))
        if vals:
            if not self.env.su and (bookkeeping := set(vals) - ANNOTATION_FIELDS):
                raise UserError(_("These relationship fields are set by the system and "
                                  "cannot be written: %(fields)s.",
                                  fields=", ".join(sorted(bookkeeping))))
            # free-text fields only (reason, end reason): managers, or the rep
            if not (self.env.su or self._is_relationship_manager()) and self.filtered(
                lambda r: r.user_id != self.env.user
            ):
                raise AccessError(_("You can only annotate your own relationships."))
            super().write(vals)
        if new_user_id is not None or ending:
            user = self.env["res.users"].browse(new_user_id or []).exists()
            if new_user_id and not user:
                raise ValidationError(_("Unknown rep %(id)s.", id=new_user_id))
            for (company, role), rels in self.grouped(lambda r: (r.company_id, r.role_id)).items():
                self._assign(
                    rels.partner_id, user if new_user_id else None, role=role,
                    company=company, source="odoo", reason=vals.get("reason"),
                )
        return True

    # ------------------------------------------------------------------
    # UI
    # ------------------------------------------------------------------
    def action_open_partner(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "res.partner",
            "res_id": self.partner_id.id,
            "view_mode": "form",
        }
