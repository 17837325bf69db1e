# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import fields, models

ITEM_STATES = [
    ("given", "With the Cover"),
    ("returned", "Returned"),
    ("done", "Kept: Done"),
    ("moved", "Kept: Moved On"),
]


class CrmRepCoverItem(models.Model):
    """One thing a temporary cover received (an open activity handed over at the
    start, a new lead of the rep's customers) and what became of it on return:
    given back, kept because it was done (or the lead closed), or kept because
    someone moved it on meanwhile. Written set-wise by ``crm.rep.cover``."""

    _name = "crm.rep.cover.item"
    _description = "Temporary Cover: Item Handed Over"
    _order = "cover_id, kind, id"

    cover_id = fields.Many2one("crm.rep.cover", required=True, index=True, ondelete="cascade",
                               readonly=True)
    company_id = fields.Many2one(related="cover_id.company_id", store=False)
    kind = fields.Selection([("activity", "Activity"), ("lead", "Lead")], required=True,
                            readonly=True)
    res_model = fields.Char(string="Model", required=True, readonly=True,
                            help="Model of what was given (mail.activity or crm.lead).")
    res_id = fields.Many2oneReference(string="Given Record", model_field="res_model",
                                      required=True, readonly=True, index=True)
    record_model = fields.Char(readonly=True,
                               help="The record the activity is about (the lead itself for a lead).")
    record_id = fields.Many2oneReference(model_field="record_model",
                                         readonly=True)
    name = fields.Char(string="Description", readonly=True)
    from_user_id = fields.Many2one(related="cover_id.user_id", string="From")
    to_user_id = fields.Many2one("res.users", string="Given To", required=True, readonly=True,
                                 ondelete="cascade")
    state = fields.Selection(ITEM_STATES, default="given", required=True, readonly=True)

    def action_open_record(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": self.record_model,
            "res_id": self.record_id,
            "view_mode": "form",
            "views": [(False, "form")],
        }
