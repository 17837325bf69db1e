# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Handing a user's work over to a successor (and back).

Reassign resources gives a successor the user's current relationships and
open leads with ``_crm_rm_hand_over_work``; giving back on the user's return
(``crm.user.handover._crm_rm_give_back``) is the same move the other way, on
what the successor still holds.
"""
from odoo import fields, models


class ResUsers(models.Model):
    _inherit = "res.users"

    crm_rm_give_back_pending = fields.Boolean(
        compute="_compute_crm_rm_give_back_pending", string="Resources to give back",
        help="Resources were handed over when this user left; their successors may "
        "give back what they still hold.")

    def _compute_crm_rm_give_back_pending(self):
        pending = self.env["crm.user.handover"]._crm_rm_pending(self._origin).user_id
        for user in self:
            user.crm_rm_give_back_pending = user._origin in pending

    def _crm_rm_hand_over_work(self, successor, reason, relationships, leads, source="mass"):
        """Give ``successor`` the current ``relationships`` of this user and
        the open ``leads`` among ``leads`` this user holds, with their
        activities per the task-follow policy (one relationship change per
        company and role, one lead move per company).

        :return: (relationships created, leads moved)
        """
        self.ensure_one()
        user = self
        Rel = self.env["crm.relationship"]
        Lead = self.env["crm.lead"]
        created, moved = Rel.browse(), Lead.browse()
        relationships = relationships.with_env(self.env)
        leads = leads.with_env(self.env)
        for (company, role), group in relationships.grouped(
                lambda r: (r.company_id, r.role_id)).items():
            created |= Rel.with_company(company)._assign(
                group.partner_id, successor, role=role, company=company,
                source=source, reason=reason)
            if role == company._get_relationship_primary_role():
                # the relationship hook applied the policy to these accounts' activities
                CompanyLead = Lead.with_company(company)
                moved |= CompanyLead.search(CompanyLead._crm_rm_open_leads_domain(
                    group.partner_id, user, company) + [("id", "in", leads.ids)]
                )._crm_rm_move_owner(successor, company)
        # other open leads (no customer, or customers the user does not own)
        rest = (leads - moved).sudo().filtered(lambda lead: lead.user_id == user)
        for company, group in rest.grouped("company_id").items():
            moved |= user._crm_rm_move_other_leads(
                group.with_env(self.env), successor, company or self.env.company)
        return created, moved

    def _crm_rm_move_other_leads(self, leads, new_user, company):
        """Give ``new_user`` leads of this user that no relationship change
        moved, and apply the task-follow policy to their activities."""
        self.ensure_one()
        leads = leads.with_company(company)
        leads._crm_rm_move_owner(new_user, company)
        self.env["crm.task.follow"]._apply_lead_changes({(self, new_user, company): leads.ids})
        return leads
