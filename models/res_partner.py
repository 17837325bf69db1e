# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from collections import defaultdict

from odoo import _, api, fields, models

from .crm_relationship import NO_SYNC


class ResPartner(models.Model):
    _inherit = "res.partner"

    # The Salesperson is stored per company (jsonb), so that a customer shared by
    # several companies shows each company its own rep and nothing else. The
    # column is converted by the pre-init hook and restored on uninstall.
    user_id = fields.Many2one(
        company_dependent=True,
        compute=False,
        precompute=False,
        store=True,
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

    @api.model_create_multi
    def create(self, vals_list):
        if self.env.context.get(NO_SYNC):
            return super().create(vals_list)
        # Contacts inherit the Salesperson of their parent (Odoo's former compute).
        parent_ids = {v["parent_id"] for v in vals_list if v.get("parent_id") and "user_id" not in v}
        if parent_ids:
            parent_users = {p.id: p.user_id.id for p in self.browse(parent_ids)}
            for vals in vals_list:
                if vals.get("parent_id") and "user_id" not in vals and parent_users.get(vals["parent_id"]):
                    vals["user_id"] = parent_users[vals["parent_id"]]
        partners = super(ResPartner, self.with_context(**{NO_SYNC: True})).create(vals_list)
        partners = partners.with_env(self.env)
        by_user = defaultdict(list)
        for partner, vals in zip(partners, vals_list):
            if vals.get("user_id") and partner.commercial_partner_id == partner:
                by_user[vals["user_id"]].append(partner.id)
        for user_id, ids in by_user.items():
            self.env["crm.relationship"]._assign(
                self.browse(ids), self.env["res.users"].browse(user_id),
                source=self._relationship_source(),
                reason=self.env.context.get("crm_rel_reason"),
            )
        return partners

    def write(self, vals):
        if "user_id" not in vals or self.env.context.get(NO_SYNC):
            return super().write(vals)
        vals = dict(vals)
        user = self.env["res.users"].browse(vals.pop("user_id") or [])
        if vals:
            super().write(vals)
        commercial = self.filtered(lambda p: p.commercial_partner_id == p)
        contacts = self - commercial
        if commercial:
            # a Salesperson change on a customer is a relationship change
            self.env["crm.relationship"]._assign(
                commercial, user,
                source=self._relationship_source(),
                reason=self.env.context.get("crm_rel_reason"),
            )
        if contacts:
            super(ResPartner, contacts).write({"user_id": user.id})
        return True

    def _relationship_source(self):
        """Source of a relationship change made through the Salesperson field."""
        if self.env.context.get("crm_rel_source"):
            return self.env.context["crm_rel_source"]
        return "import" if self.env.context.get("import_file") else "odoo"

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
