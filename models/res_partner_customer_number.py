# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The customer number (``external_ref``): its comparison key and its uniqueness."""
from collections import defaultdict

from odoo import _, api, fields, models
from odoo.exceptions import ValidationError


def normalize_external_ref(value):
    """The comparison key of a customer number: surrounding spaces and case ignored."""
    if not value or not isinstance(value, str):
        return False
    return value.strip().lower() or False


class ResPartner(models.Model):
    _inherit = "res.partner"

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

    @api.depends("external_ref")
    def _compute_external_ref_key(self):
        for partner in self:
            partner.external_ref_key = normalize_external_ref(partner.external_ref)

    def init(self):  # pylint: disable=missing-return
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
