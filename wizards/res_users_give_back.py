# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import _, api, fields, models


class ResUsersGiveBack(models.TransientModel):
    """Give back: a returning user gets back what was handed over when they
    left, where their successors have not changed it."""

    _name = "res.users.give.back"
    _description = "Give a returning user's resources back"

    user_id = fields.Many2one("res.users", required=True, readonly=True, ondelete="cascade")
    held_count = fields.Integer(compute="_compute_counts", string="Still held by successors")
    changed_count = fields.Integer(
        compute="_compute_counts", string="Changed meanwhile",
        help="Records the successors changed since (customer handed on, lead won, "
        "other leader...): they are kept as they are.")
    summary = fields.Text(compute="_compute_counts")

    @api.depends("user_id")
    def _compute_counts(self):
        Handover = self.env["crm.user.handover"]
        for wizard in self:
            items = Handover._crm_rm_pending(wizard.user_id).item_ids.filtered(
                lambda i: i.state == "handed")
            held = items._crm_rm_held()
            wizard.held_count = len(held)
            wizard.changed_count = len(items - held)
            wizard.summary = "\n".join(
                _("%(count)s × %(what)s", count=len(group), what=what)
                for what, group in held.grouped(lambda i: i._crm_rm_description()).items())

    def action_apply(self):
        self.ensure_one()
        handovers = self.env["crm.user.handover"]._crm_rm_pending(self.user_id)
        given, kept = handovers.with_env(self.env)._crm_rm_give_back()
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success",
                "message": _("%(given)s record(s) given back to %(user)s; %(kept)s changed "
                             "meanwhile and kept by their successors.", given=len(given),
                             user=self.user_id.name, kept=len(kept)),
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }
