# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Transfer: customers move to another rep with their whole history."""
from collections import defaultdict

from odoo import _, api, models

from ..context_keys import TASK_FOLLOW_POLICY, ServerFlag


class ResPartner(models.Model):
    _inherit = "res.partner"

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
        the task-follow hook of the relationship change, which
        ``_transfer_customers`` runs with the 'all' policy; the lead move does
        not apply the policy again. Messages and notes stay on the customer,
        whose chatter the new rep reads.
        """
        Lead = self.env["crm.lead"]
        if not partners or not old_user or old_user == new_user:
            return Lead
        return Lead.search(Lead._crm_rm_open_leads_domain(partners, old_user, company)
                           )._crm_rm_move_owner(new_user, company)
