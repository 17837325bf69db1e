# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import _, api, fields, models
from odoo.tools.safe_eval import safe_eval


class ResUsersUsageLine(models.TransientModel):
    """One line of the Usage view: a kind of place that still names a user,
    how many records, and a button opening them."""

    _name = "res.users.usage.line"
    _description = "Where a user is still named"
    _order = "sequence, id"

    user_id = fields.Many2one("res.users", required=True, readonly=True, ondelete="cascade")
    reassign_id = fields.Many2one("res.users.reassign", readonly=True, ondelete="cascade")
    sequence = fields.Integer(readonly=True)
    kind = fields.Char(readonly=True)
    label = fields.Char(string="Where", readonly=True)
    count = fields.Integer(readonly=True)
    res_model = fields.Char(readonly=True)
    domain = fields.Char(readonly=True)
    config = fields.Boolean(
        string="Configuration", readonly=True,
        help="A configuration reference: Reassign resources hands it over to the "
        "successor.")

    @api.model
    def _crm_rm_create_for(self, user):
        """The usage lines of ``user`` (created for display)."""
        return self.create([cmd[2] for cmd in user._crm_rm_usage_line_commands()])

    def action_open(self):
        """Open the records this line counts."""
        self.ensure_one()
        self.user_id._crm_rm_check_usage_access()
        domain = safe_eval(self.domain or "[]")
        return self.env["res.users"]._crm_rm_usage_action(
            self.res_model, domain, _("%(where)s: %(user)s", where=self.label,
                                      user=self.user_id.name))
