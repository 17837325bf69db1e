# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Moving leads to a new owner: the one way every path does it.

A relationship change (task follow), a transfer, a mass reassignment (forward
and revert) and Reassign resources all give leads to a new Salesperson through
``crm.lead._crm_rm_move_owner``; ``_crm_rm_open_leads_domain`` says which
leads move with a customer.
"""
from odoo import api, models
from odoo.tools import SQL

from ..context_keys import SERVER, TASK_FOLLOW_SKIP


class CrmLead(models.Model):
    _inherit = "crm.lead"

    @api.model
    def _crm_rm_open_leads_domain(self, partners, old_user, company):
        """The open leads (active, no stage or not won) of the accounts
        ``partners`` and their contacts, in ``company`` or in no company, that
        ``old_user`` holds (no Salesperson when ``old_user`` is empty)."""
        accounts = partners.commercial_partner_id
        return [
            ("partner_id", "child_of", accounts.ids),
            ("company_id", "in", [company.id, False]),
            ("user_id", "=", old_user.id or False),
            "|", ("stage_id", "=", False), ("stage_id.is_won", "=", False),
        ]

    @api.model
    def _crm_rm_open_leads_of_contacts_sql(self):
        """SQL twin of ``_crm_rm_open_leads_domain`` for the set-wise queries of
        the mass reassignment: the FROM and WHERE clauses that join a CTE
        ``contacts`` (``partner_id``, ``company_id``, ``old_user_id``: a customer
        or one of its contacts, with the customer's company and previous rep) to
        the open leads ``l`` of that partner which the previous rep holds, in the
        company or in none. The caller flushes crm.lead."""
        return SQL(
            """
              FROM contacts c
              JOIN crm_lead l
                ON l.partner_id = c.partner_id AND l.user_id = c.old_user_id AND l.active
               AND (l.company_id = c.company_id OR l.company_id IS NULL)
              LEFT JOIN crm_stage s ON s.id = l.stage_id
             WHERE s.is_won IS NOT TRUE
            """)

    def _crm_rm_move_owner(self, new_user, company, *, track=True):
        """Give these leads to ``new_user`` in ``company``.

        Each lead's team is kept when ``new_user`` is a member or the leader of
        it, else it becomes ``new_user``'s first team of ``company`` or of no
        company, else it is kept. Fields that must not be recomputed are
        protected: the leads' company when it is ``company`` and, when the team
        stays, the stored computed fields that depend on the Salesperson only
        through the team or the stage. The task-follow policy is not applied
        again (the caller's relationship change applies it, or the caller does).
        The leads are flushed in this context; ``track=False`` logs no tracking
        message (mass paths). One write per team.

        :return: the leads moved
        """
        if not self or not new_user:
            return self.browse()
        ctx = {TASK_FOLLOW_SKIP: SERVER}
        if not track:
            ctx.update(tracking_disable=True, mail_notrack=True)
        leads = self.with_context(**ctx)
        member_teams = self.env["crm.team"].sudo().search([
            "|", ("member_ids", "in", new_user.ids), ("user_id", "=", new_user.id),
            ("company_id", "in", [False, company.id])])
        default_team = member_teams[:1]
        same_team_fields = self._crm_rm_fields_kept_by_same_team()
        # The leads of the company keep it: the new owner works in the company
        # and the new team is of the company or of none, so crm's company
        # computation would give the same company back.
        company_field = [self._fields["company_id"]]
        for team, team_leads in leads.grouped("team_id").items():
            new_team = team if team in member_teams else (default_team or team)
            protect = [(company_field, team_leads.filtered(
                lambda lead: lead.company_id == company))]
            if new_team == team:
                # Same team: the fields that depend on the Salesperson only
                # through the team or the stage (stage, predictive lead scoring
                # probability, prorated revenues...) keep their value; Odoo would
                # recompute them to the same value. Leads without a stage get
                # one as usual.
                protect.append((same_team_fields, team_leads.filtered("stage_id")))
            with self.env.protecting(protect):
                team_leads.write({"user_id": new_user.id, "team_id": new_team.id})
        # Recompute the leads' stored computed fields now, in this context: a
        # later flush (in a context without ``tracking_disable``) would log a
        # tracking message per lead for the tracked related field
        # ``colleague_id`` (= user_id).
        leads.flush_recordset()
        return self

    @api.model
    def _crm_rm_fields_kept_by_same_team(self):
        """Stored computed fields of ``crm.lead`` that a Salesperson change marks
        for recomputation only through ``team_id`` and ``stage_id``: when the team
        stays and the lead has a stage, their inputs are unchanged.

        Read from the registry's dependencies, so the predictive lead scoring
        fields configured by the user (``crm.pls_fields``) are honoured: if one
        of them depends on the Salesperson, the probability is recomputed.
        """
        triggers = self.pool._field_triggers

        def dependents(start, stop=()):
            seen, todo = set(), list(start)
            while todo:
                for target in triggers.get(todo.pop(), {}).get((), ()):
                    if target.model_name == self._name and target not in seen \
                            and target not in stop:
                        seen.add(target)
                        todo.append(target)
            return seen

        team, stage = self._fields["team_id"], self._fields["stage_id"]
        through_team = dependents([team, stage]) | {stage}
        direct = dependents([self._fields["user_id"]], stop=(team, stage))
        return [field for field in through_team - direct if field.store and field.compute]
