# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import math

from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL
from odoo.tools.safe_eval import datetime as safe_datetime
from odoo.tools.safe_eval import dateutil, safe_eval

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
        [("even", "Evenly"), ("shares", "By given shares")],
        default="even", required=True,
        help="How the customers are split when there are several reps.",
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
