# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import heapq
import math

from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL
from odoo.tools.safe_eval import datetime as safe_datetime
from odoo.tools.safe_eval import dateutil, safe_eval

from ..pg_arrays import pg_array

LINE_KINDS = [
    ("rep", "Established relationships of a rep"),
    ("audience", "Audience"),
]


def distribute(count, shares):
    """Deterministic split of ``count`` ordered items among targets by ``shares``.

    Returns the index of the target of each item. The counts per target follow
    the largest remainder method (ties: first target first) and the targets are
    interleaved smoothly, so every slice of the ordered items is split the same
    way (old and new customers alike).
    """
    if not count or not shares:
        return []
    total = sum(shares)
    quotas = [count * share / total for share in shares]
    counts = [math.floor(q) for q in quotas]
    rest = count - sum(counts)
    by_remainder = sorted(range(len(shares)), key=lambda k: (-(quotas[k] - counts[k]), k))
    for k in by_remainder[:rest]:
        counts[k] += 1
    given = [0] * len(shares)
    result = []
    active = [k for k in range(len(shares)) if counts[k]]
    for i in range(1, count + 1):
        best = max(active, key=lambda k: (counts[k] * i / count - given[k], -k))
        given[best] += 1
        result.append(best)
        if given[best] == counts[best]:
            active.remove(best)
    return result


def balance(loads, weights, counts=None):
    """Deterministic workload balancing of ordered items among targets (greedy
    water-filling).

    :param loads: the load each target carries whatever the distribution (its
        customers or open leads that are not among the items)
    :param weights: the load each item brings (1 per customer; its open leads
        when balancing on leads)
    :param counts: the items (customers) each target holds already, to spread the
        items that weigh nothing (default: none)
    :return: the index of the target of each item, in item order

    The items that weigh something go heaviest first (ties: item order), each to
    the target with the lowest load so far (ties: the one holding fewer items,
    then the first target): the lowest targets are filled up to a common level,
    then the items go round. With weights of 1 the resulting loads of the targets
    that receive items differ by at most one and no target ends above another
    one's load plus one unless it carried that load before. The items that
    weigh nothing (customers without open leads) change no load: they go, in
    order, to the target holding the fewest items (ties: lowest load, first
    target).
    """
    if not weights or not loads:
        return []
    loads = list(loads)
    counts = list(counts) if counts is not None else [0] * len(loads)
    result = [0] * len(weights)
    heavy = sorted((i for i, w in enumerate(weights) if w), key=lambda i: (-weights[i], i))
    heap = [(loads[k], counts[k], k) for k in range(len(loads))]
    heapq.heapify(heap)
    for i in heavy:
        load, count, k = heap[0]
        result[i] = k
        loads[k] = load + weights[i]
        counts[k] = count + 1
        heapq.heapreplace(heap, (loads[k], counts[k], k))
    light = [i for i, w in enumerate(weights) if not w]
    if light:
        heap = [(counts[k], loads[k], k) for k in range(len(loads))]
        heapq.heapify(heap)
        for i in light:
            count, load, k = heap[0]
            result[i] = k
            heapq.heapreplace(heap, (count + 1, load, k))
    return result


class CrmRelationshipBatchLine(models.Model):
    """One source of customers of a batch (a rep's book or an audience) and the
    reps who receive them."""

    _name = "crm.relationship.batch.line"
    _description = "Mass Reassignment Line"
    _order = "sequence, id"

    batch_id = fields.Many2one(
        "crm.relationship.batch", required=True, ondelete="cascade", index=True
    )
    sequence = fields.Integer(default=10)
    state = fields.Selection(related="batch_id.state")
    kind = fields.Selection(LINE_KINDS, string="Reassign", required=True, default="rep")
    source_user_id = fields.Many2one(
        "res.users", string="Current Rep", ondelete="cascade",
        context={"active_test": False},
        help="Reassign the current relationships of this rep.",
    )
    role_id = fields.Many2one(
        "crm.relationship.role", ondelete="cascade",
        help="Only relationships of this role. For an audience: the role given to the "
        "new reps (default: the company's primary role).",
    )
    company_id = fields.Many2one(
        "res.company", ondelete="cascade",
        help="Only relationships in this company (default: all your allowed companies). "
        "For an audience: the company of the new relationships (default: the batch's).",
    )
    category_ids = fields.Many2many(
        "res.partner.category", string="Customer Tags",
        help="Only customers with one of these tags.",
    )
    audience_type = fields.Selection(
        [("domain", "Customer filter"), ("filter", "Saved filter")],
        string="Audience", default="domain",
    )
    audience_domain = fields.Char(string="Customers Matching", default="[]")
    filter_id = fields.Many2one(
        "ir.filters", string="Saved Filter", ondelete="set null",
        domain="[('model_id', '=', 'res.partner')]",
    )
    distribution = fields.Selection(
        [("even", "Evenly"), ("shares", "By given shares"), ("balance", "Balance workload")],
        default="even", required=True,
        help="How the customers are split when there are several reps. Balance workload: "
        "the customers go to the reps with the lightest load first, so that their "
        "resulting loads (customers or open leads) are as equal as possible.",
    )
    balance_on = fields.Selection(
        [("customers", "Customers"), ("leads", "Open leads")],
        default="customers", required=True,
        help="Workload balanced by Balance workload: the reps' current customers (of the "
        "line's companies and role), or their open leads and opportunities (a customer "
        "then counts as the open leads that move with it).",
    )
    target_ids = fields.One2many(
        "crm.relationship.batch.target", "line_id", string="New Reps", copy=True
    )
    preview_total = fields.Integer(string="Customers", readonly=True)
    preview_unchanged = fields.Integer(
        string="Already with the Rep", readonly=True,
        help="Customers whose new rep is already their current rep: left unchanged.",
    )

    @api.depends("kind", "source_user_id", "audience_type", "filter_id", "target_ids.user_id")
    def _compute_display_name(self):
        for line in self:
            if line.kind == "rep":
                source = line.source_user_id.name or _("(no rep)")
            elif line.audience_type == "filter":
                source = line.filter_id.name or _("(no filter)")
            else:
                source = _("Customers matching a filter")
            line.display_name = _("%(origin)s → %(targets)s", origin=source,
                                  targets=", ".join(line.target_ids.user_id.mapped("name")))

    # ------------------------------------------------------------------
    # Customers of the line
    # ------------------------------------------------------------------
    def _get_shares(self):
        """Shares of the targets, in target order (equal when evenly)."""
        self.ensure_one()
        if self.distribution == "even" or len(self.target_ids) <= 1:
            return [1.0] * len(self.target_ids)
        return [target.share for target in self.target_ids]

    def _check_line(self):
        """Problems of the line's own settings (list of messages)."""
        self.ensure_one()
        problems = []
        label = _("Line %(line)s", line=self.display_name)
        if self.kind == "rep" and not self.source_user_id:
            problems.append(_("%(line)s: choose the rep whose relationships are reassigned.",
                              line=label))
        if self.kind == "audience" and self.audience_type == "filter" and not self.filter_id:
            problems.append(_("%(line)s: choose a saved filter.", line=label))
        if not self.target_ids:
            problems.append(_("%(line)s: add at least one representative.", line=label))
        users = self.target_ids.user_id
        if len(users) != len(self.target_ids):
            problems.append(_("%(line)s: a representative is listed twice.", line=label))
        if self.distribution == "shares" and len(self.target_ids) > 1:
            shares = [t.share for t in self.target_ids]
            if any(share <= 0 for share in shares):
                problems.append(_("%(line)s: every share must be positive.", line=label))
            elif abs(sum(shares) - 100) > 0.01:
                problems.append(_("%(line)s: the shares add up to %(total)s%%, not 100%%.",
                                  line=label, total=round(sum(shares), 2)))
        if (self.distribution == "balance" and self.balance_on == "leads"
                and not self.batch_id.move_leads):
            problems.append(_("%(line)s: balancing on open leads needs Move Open Leads and "
                              "Opportunities (otherwise no lead moves).", line=label))
        if self.kind == "rep" and self.source_user_id in users:
            problems.append(_("%(line)s: %(rep)s is both the current and a new rep.",
                              line=label, rep=self.source_user_id.name))
        return problems

    def _audience_domain(self):
        self.ensure_one()
        if self.audience_type == "filter":
            return self.filter_id._get_eval_domain()
        text = (self.audience_domain or "[]").strip()
        try:
            domain = safe_eval(text, {
                "uid": self.env.uid, "user": self.env.user,
                "context_today": lambda: fields.Date.context_today(self),
                "datetime": safe_datetime, "relativedelta": dateutil.relativedelta.relativedelta,
            })
        except Exception as exc:
            raise UserError(_("The customer filter of line %(line)s is not valid: %(error)s",
                              line=self.display_name, error=exc)) from exc
        return list(domain)

    def _get_customer_rows(self):
        """The customers of the line, sorted: list of
        (partner_id, company_id, role_id, old_user_id, previous_relationship_id).

        Runs as the user starting the batch: record rules apply.
        """
        self.ensure_one()
        Rel = self.env["crm.relationship"]
        companies = self.company_id or self.env.companies
        if self.kind == "rep":
            domain = [
                ("user_id", "=", self.source_user_id.id),
                ("is_current", "=", True),
                ("company_id", "in", companies.ids),
            ]
            if self.role_id:
                domain.append(("role_id", "=", self.role_id.id))
            if self.category_ids:
                domain.append(("partner_id.category_id", "in", self.category_ids.ids))
            query = Rel._search(domain)
            self.env.cr.execute(query.select(
                '"crm_relationship"."partner_id"', '"crm_relationship"."company_id"',
                '"crm_relationship"."role_id"', '"crm_relationship"."user_id"',
                '"crm_relationship"."id"',
            ))
            return sorted(self.env.cr.fetchall())
        # audience: customers (commercial entities) of the company
        company = self.company_id or self.batch_id.company_id
        role = self.role_id or company._get_relationship_primary_role()
        if not role:
            raise UserError(_("No relationship role is configured for %(company)s.",
                              company=company.name))
        domain = self._audience_domain() + [
            "|", ("company_id", "=", False), ("company_id", "=", company.id)]
        if self.category_ids:
            domain.append(("category_id", "in", self.category_ids.ids))
        query = self.env["res.partner"]._search(domain)
        self.env.cr.execute(SQL(
            """
            SELECT DISTINCT p.commercial_partner_id, rel.user_id, rel.id
              FROM res_partner p
              JOIN res_partner cp ON cp.id = p.commercial_partner_id
                   AND (cp.company_id IS NULL OR cp.company_id = %s)
              LEFT JOIN crm_relationship rel
                     ON rel.partner_id = p.commercial_partner_id AND rel.company_id = %s
                    AND rel.role_id = %s AND rel.date_end IS NULL
             WHERE p.id IN %s
            """,
            company.id, company.id, role.id, query.subselect(),
        ))
        return sorted((pid, company.id, role.id, old_user, rel_id)
                      for pid, old_user, rel_id in self.env.cr.fetchall())

    # ------------------------------------------------------------------
    # Distribution
    # ------------------------------------------------------------------
    def _pick_targets(self, customers):
        """The index (in ``target_ids``) of the new rep of each customer row of
        ``_get_customer_rows`` (same order). A balancing line also stores on its
        targets their load before and after, as previewed."""
        self.ensure_one()
        if self.distribution != "balance":
            self.target_ids.write({"preview_before": 0, "preview_after": 0})
            return distribute(len(customers), self._get_shares())
        users = self.target_ids.user_id.ids
        position = {user_id: k for k, user_id in enumerate(users)}
        customer_loads = self._balance_customer_loads()
        if self.balance_on == "leads":
            before = self._balance_lead_loads()
            weights = self._balance_lead_weights(customers)
        else:
            before = customer_loads
            weights = [1] * len(customers)
        # what the targets keep: their load without the line's customers they hold
        base = [before.get(user_id, 0) for user_id in users]
        counts = [customer_loads.get(user_id, 0) for user_id in users]
        for row, weight in zip(customers, weights):
            k = position.get(row[3])
            if k is not None:
                base[k] -= weight
                counts[k] -= 1
        picks = balance(base, weights, counts)
        after = list(base)
        for k, weight in zip(picks, weights):
            after[k] += weight
        for k, target in enumerate(self.target_ids):
            target.write({"preview_before": before.get(users[k], 0), "preview_after": after[k]})
        return picks

    def _balance_scope(self):
        """(companies, role or None) in which the loads of the targets are counted:
        those of the line's customers."""
        self.ensure_one()
        if self.kind == "rep":
            return (self.company_id or self.env.companies), self.role_id
        company = self.company_id or self.batch_id.company_id
        return company, self.role_id or company._get_relationship_primary_role()

    def _balance_customer_loads(self):
        """{target user id: current relationships in the line's scope}; one query."""
        companies, role = self._balance_scope()
        domain = [("user_id", "in", self.target_ids.user_id.ids), ("is_current", "=", True),
                  ("company_id", "in", companies.ids)]
        if role:
            domain.append(("role_id", "=", role.id))
        return {user.id: count for user, count in self.env["crm.relationship"]._read_group(
            domain, ["user_id"], ["__count"])}

    def _balance_lead_loads(self):
        """{target user id: open leads and opportunities (active, not won) in the
        line's companies or in none}; one query."""
        companies, __ = self._balance_scope()
        self.env["crm.lead"].flush_model(["user_id", "company_id", "active", "stage_id"])
        self.env.cr.execute(
            """
            SELECT l.user_id, count(*)
              FROM crm_lead l
              LEFT JOIN crm_stage s ON s.id = l.stage_id
             WHERE l.user_id = ANY(%s) AND l.active AND s.is_won IS NOT TRUE
               AND (l.company_id = ANY(%s) OR l.company_id IS NULL)
             GROUP BY l.user_id
            """, (self.target_ids.user_id.ids, companies.ids))
        return dict(self.env.cr.fetchall())

    def _balance_lead_weights(self, customers):
        """The open leads that move with each customer row (same order), as the
        batch moves them (see ``_open_lead_rows``): leads of the customer or its
        contacts held by its previous rep, in its company or in none, for rows of
        the company's Salesperson role. One query for all rows.

        A rep's book (every row has the same previous rep) is counted from that
        rep's open leads, grouped by customer; an audience (many previous reps,
        each maybe with a large book) from its customers' contacts and their
        leads."""
        if not customers:
            return []
        batch = self.batch_id
        pairs = batch._primary_role_pairs({row[1] for row in customers})
        self.env["crm.lead"].flush_model(["user_id", "partner_id", "company_id", "active",
                                          "stage_id"])
        if self.kind == "rep":
            return self._balance_lead_weights_of_rep(customers, pairs)
        self.env.cr.execute(SQL(
            """
            WITH rows AS MATERIALIZED (
                SELECT r.n, r.partner_id, r.company_id, r.old_user_id
                  FROM unnest(%s::int[], %s::int[], %s::int[], %s::int[])
                       WITH ORDINALITY AS r(partner_id, company_id, role_id, old_user_id, n)
                  JOIN unnest(%s::int[], %s::int[]) AS pr(company_id, role_id)
                    ON pr.company_id = r.company_id AND pr.role_id = r.role_id
                 WHERE r.old_user_id IS NOT NULL
            ), contacts AS MATERIALIZED (
                SELECT r.n, p.id AS partner_id, r.company_id, r.old_user_id
                  FROM rows r
                  JOIN res_partner p ON p.commercial_partner_id = r.partner_id
            )
            SELECT c.n, count(l.id) %s
             GROUP BY c.n
            """,
            pg_array(r[0] for r in customers), pg_array(r[1] for r in customers),
            pg_array(r[2] for r in customers), pg_array(r[3] for r in customers),
            [p[0] for p in pairs], [p[1] for p in pairs],
            self.env["crm.lead"]._crm_rm_open_leads_of_contacts_sql(),
        ))
        weights = [0] * len(customers)
        for n, count in self.env.cr.fetchall():
            weights[n - 1] = count
        return weights

    def _balance_lead_weights_of_rep(self, customers, pairs):
        """``_balance_lead_weights`` of a rep's book: the open leads of the
        previous rep, counted per (customer, company) in one grouped query."""
        self.env.cr.execute(
            """
            SELECT p.commercial_partner_id, l.company_id, count(*)
              FROM crm_lead l
              JOIN res_partner p ON p.id = l.partner_id
              LEFT JOIN crm_stage s ON s.id = l.stage_id
             WHERE l.user_id = %s AND l.active AND s.is_won IS NOT TRUE
             GROUP BY p.commercial_partner_id, l.company_id
            """, (self.source_user_id.id,))
        counts = {(partner_id, company_id): count
                  for partner_id, company_id, count in self.env.cr.fetchall()}
        return [
            counts.get((partner_id, company_id), 0) + counts.get((partner_id, None), 0)
            if (company_id, role_id) in pairs and old_user_id else 0
            for partner_id, company_id, role_id, old_user_id, __ in customers
        ]

    # ------------------------------------------------------------------
    # Only draft batches are edited
    # ------------------------------------------------------------------
    @api.model_create_multi
    def create(self, vals_list):
        lines = super().create(vals_list)
        lines.batch_id._check_editable()
        return lines

    def write(self, vals):
        batches = self.batch_id
        batches._check_editable()
        res = super().write(vals)
        (batches | self.batch_id)._check_editable()  # also the batch it moved to
        return res

    def unlink(self):
        self.batch_id._check_editable()
        return super().unlink()
