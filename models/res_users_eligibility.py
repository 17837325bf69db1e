# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Who may own records of a company: the one rule, its messages and its SQL twin.

A user can own (be the rep, Salesperson, colleague, pool member or fallback
owner, successor...) records of company C on date D when they are active,
internal (not portal or public), a user of C and, when D is given, not away on
D nor covered in C on D by a temporary cover (crm.rep.cover). Every check of
the addon asks ``_crm_rm_owner_problems`` or ``_crm_rm_check_owner``; every SQL
pick uses ``_crm_rm_eligible_sql``.
"""
from odoo import SUPERUSER_ID, api, models
from odoo.exceptions import ValidationError
from odoo.tools import SQL, format_date

from .crm_rep_cover import LIVE_STATES

# why a user cannot own records, in the order they are checked
ARCHIVED, NOT_INTERNAL, NOT_IN_COMPANY, AWAY = "archived", "not_internal", "company", "away"
COVERED = "covered"


class ResUsers(models.Model):
    _inherit = "res.users"

    def _crm_rm_owner_problem_codes(self, company, on_date=None, *, allow_odoobot=False):
        """{user: problem code} for the users of ``self`` that cannot own records
        of ``company`` on ``on_date`` (codes: see the module constants).
        ``allow_odoobot``: the archived superuser is Odoo's default Salesperson
        of records created by the system; where Odoo puts it, it is accepted."""
        codes = {}
        users = self.sudo().with_context(active_test=False)
        users.fetch(["active", "share", "company_ids", "away_until"])
        covered = self.env["crm.rep.cover"]._live_cover_ids(company, on_date) \
            if on_date and company else {}
        for user in users:
            if not user.active and not (allow_odoobot and user.id == SUPERUSER_ID):
                codes[user] = ARCHIVED
            elif user.share:
                codes[user] = NOT_INTERNAL
            elif company and company not in user.company_ids:
                codes[user] = NOT_IN_COMPANY
            elif on_date and user.away_until and user.away_until >= on_date:
                codes[user] = AWAY
            elif user.id in covered:
                codes[user] = COVERED
        return {user.with_env(self.env): code for user, code in codes.items()}

    def _crm_rm_owner_problems(self, company, on_date=None, *, allow_odoobot=False):
        """{user: translated reason} for the users of ``self`` that cannot own
        records of ``company`` on ``on_date`` (archived, portal or not internal,
        not in the company, away on that date); empty when all of them can."""
        return {
            user: self._crm_rm_owner_message(user, code, company, on_date=on_date)
            for user, code in self._crm_rm_owner_problem_codes(
                company, on_date, allow_odoobot=allow_odoobot).items()
        }

    def _crm_rm_check_owner(self, company, on_date=None, *, what=None, allow_odoobot=False):
        """Raise a ValidationError naming the first user of ``self`` that cannot
        own records of ``company`` on ``on_date``, and why. ``what`` says what
        they were to become (translated, e.g. "the salesperson of lead X")."""
        problems = self._crm_rm_owner_problem_codes(
            company, on_date, allow_odoobot=allow_odoobot)
        if problems:
            user, code = next(iter(problems.items()))
            raise ValidationError(
                self._crm_rm_owner_message(user, code, company, what, on_date=on_date))

    @api.model
    def _crm_rm_owner_message(self, user, code, company, what=None, *, on_date=None):
        """The one place where the reasons are worded."""
        _ = self.env._
        user = user.sudo()
        what = what or _("responsible for customers of %(company)s", company=company.name)
        if code == ARCHIVED:
            return _("%(user)s is archived and cannot be %(what)s.", user=user.name, what=what)
        if code == NOT_INTERNAL:
            return _("%(user)s is not an internal user and cannot be %(what)s.",
                     user=user.name, what=what)
        if code == NOT_IN_COMPANY:
            return _("%(user)s does not work in company %(company)s and cannot be %(what)s.",
                     user=user.name, company=company.name, what=what)
        if code == COVERED:
            cover = self.env["crm.rep.cover"].sudo().browse(
                self.env["crm.rep.cover"]._live_cover_ids(company, on_date).get(user.id))
            return _("%(user)s is away and covered by %(cover)s until %(date)s, and cannot be "
                     "%(what)s.", user=user.name, cover=cover.cover_label, date=format_date(self.env, cover.date_to),
                     what=what)
        return _("%(user)s is away until %(date)s and cannot be %(what)s.",
                 user=user.name, date=user.away_until, what=what)

    @api.model
    def _crm_rm_eligible_sql(self, user_alias, company_sql, date_sql=None):
        """SQL twin of ``_crm_rm_owner_problems``: the condition that the user of
        table alias ``user_alias`` (a res_users row) can own records of the
        company ``company_sql`` on ``date_sql`` (None: any date)."""
        self.env["res.users"].flush_model(["active", "share", "away_until", "company_ids"])
        user = SQL.identifier(user_alias)
        condition = SQL(
            """%(user)s.active AND NOT COALESCE(%(user)s.share, false)
               AND EXISTS (SELECT 1 FROM res_company_users_rel crm_rm_cu
                            WHERE crm_rm_cu.user_id = %(user)s.id
                              AND crm_rm_cu.cid = %(company)s)""",
            user=user, company=company_sql)
        if date_sql is not None:
            self.env["crm.rep.cover"].flush_model(
                ["user_id", "company_id", "state", "date_from", "date_to"])
            condition = SQL(
                """%(condition)s AND (%(user)s.away_until IS NULL OR %(user)s.away_until < %(date)s)
                   AND NOT EXISTS (SELECT 1 FROM crm_rep_cover crm_rm_cv
                                    WHERE crm_rm_cv.user_id = %(user)s.id
                                      AND crm_rm_cv.company_id = %(company)s
                                      AND crm_rm_cv.state IN %(live)s
                                      AND crm_rm_cv.date_from <= %(date)s
                                      AND crm_rm_cv.date_to >= %(date)s)""",
                condition=condition, user=user, date=date_sql, company=company_sql,
                live=LIVE_STATES)
        return condition
