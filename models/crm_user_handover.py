# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""What Reassign resources handed over, so that it can be given back.

Each run of Reassign resources records one handover: the user, and one item
per record handed over (model, record, field, from the user, to the
successor). When the user comes back (unarchived), ``_crm_rm_give_back``
returns every item the successor still holds; items changed meanwhile (the
customer went to someone else, the lead was won, the team got another leader)
are kept where they are and reported as kept.
"""
from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError


class CrmUserHandover(models.Model):
    _name = "crm.user.handover"
    _description = "Resources handed over by a user"
    _order = "id desc"

    user_id = fields.Many2one("res.users", required=True, readonly=True, index=True,
                              ondelete="cascade")
    reason = fields.Char(readonly=True)
    item_ids = fields.One2many("crm.user.handover.item", "handover_id", readonly=True)
    pending_count = fields.Integer(compute="_compute_counts", string="Handed over")
    given_back_count = fields.Integer(compute="_compute_counts", string="Given back")
    kept_count = fields.Integer(compute="_compute_counts", string="Kept")

    @api.depends("item_ids.state")
    def _compute_counts(self):
        data = self.env["crm.user.handover.item"]._read_group(
            [("handover_id", "in", self.ids)], ["handover_id", "state"], ["__count"])
        counts = {(handover.id, state): count for handover, state, count in data}
        for handover in self:
            handover.pending_count = counts.get((handover.id, "handed"), 0)
            handover.given_back_count = counts.get((handover.id, "given_back"), 0)
            handover.kept_count = counts.get((handover.id, "kept"), 0)

    @api.model
    def _crm_rm_create(self, user, reason, items):
        """Record a handover of ``user``; ``items``: [(model, res_id, field, to user id)]."""
        if not items:
            return self.browse()
        return self.sudo().create({
            "user_id": user.id, "reason": reason,
            "item_ids": [(0, 0, {
                "res_model": model, "res_id": res_id, "field_name": field,
                "from_user_id": user.id, "to_user_id": to_user_id,
            }) for model, res_id, field, to_user_id in items],
        })

    @api.model
    def _crm_rm_pending(self, users):
        """The handovers of ``users`` with items not given back yet."""
        return self.sudo().search([("user_id", "in", users.ids),
                                   ("item_ids.state", "=", "handed")])

    def _crm_rm_check_give_back_access(self):
        if not (self.env.su or self.env["crm.relationship"]._is_relationship_manager()):
            raise AccessError(_("Only relationship managers can give resources back."))

    def _crm_rm_give_back(self):
        """Give back to each handover's user what the successors still hold.

        :return: (items given back, items kept)
        """
        self._crm_rm_check_give_back_access()
        Item = self.env["crm.user.handover.item"].sudo()
        items = Item.search([("handover_id", "in", self.ids), ("state", "=", "handed")])
        inactive = items.from_user_id.filtered(lambda u: not u.active)
        if inactive:
            raise UserError(_("%(user)s is archived: unarchive them before giving their "
                              "resources back.", user=inactive[0].name))
        held = items._crm_rm_held()
        work = held.filtered(lambda i: i.res_model in ("crm.relationship", "crm.lead"))
        for (from_user, to_user), group in work.grouped(
                lambda i: (i.from_user_id, i.to_user_id)).items():
            rels = self.env["crm.relationship"].browse(
                group.filtered(lambda i: i.res_model == "crm.relationship").mapped("res_id"))
            leads = self.env["crm.lead"].browse(
                group.filtered(lambda i: i.res_model == "crm.lead").mapped("res_id"))
            to_user.with_env(self.env)._crm_rm_hand_over_work(
                from_user, _("Given back to %(user)s on their return", user=from_user.name),
                rels, leads)
        self.env["res.users"]._crm_rm_give_back_config(held - work)
        held.state = "given_back"
        kept = items - held
        kept.state = "kept"
        return held, kept
