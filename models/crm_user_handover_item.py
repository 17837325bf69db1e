# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import _, fields, models


class CrmUserHandoverItem(models.Model):
    """One record handed over: ``field`` of ``res_model``/``res_id`` went from
    ``from_user_id`` to ``to_user_id`` (for relationships, the relationship
    created for the successor)."""

    _name = "crm.user.handover.item"
    _description = "A record handed over by a user"
    _order = "handover_id, id"

    handover_id = fields.Many2one("crm.user.handover", required=True, index=True,
                                  ondelete="cascade")
    res_model = fields.Char(required=True)
    res_id = fields.Many2oneReference(model_field="res_model", required=True)
    field_name = fields.Char(required=True)
    from_user_id = fields.Many2one("res.users", required=True, ondelete="cascade")
    to_user_id = fields.Many2one("res.users", required=True, ondelete="cascade")
    state = fields.Selection(
        [("handed", "Handed over"), ("given_back", "Given back"),
         ("kept", "Kept by the successor")], default="handed", required=True, index=True)

    def _crm_rm_held(self):
        """The items whose record the successor still holds: a relationship
        still current with them, a lead still open and theirs, a configuration
        record still naming them. One query per model and field."""
        held = self.browse()
        for (model, field), items in self.grouped(
                lambda i: (i.res_model, i.field_name)).items():
            if model not in self.env:
                continue
            Model = self.env[model].sudo().with_context(active_test=False)
            records = Model.browse(items.mapped("res_id")).exists()
            if model == "crm.relationship":
                records = records.filtered("is_current")
            elif model == "crm.lead":
                records = records.filtered(lambda r: r.active and not r.stage_id.is_won)
            elif "active" in Model._fields:
                records = records.filtered("active")
            by_id = {rec.id: rec for rec in records}
            held |= items.filtered(lambda i, f=field: i.res_id in by_id and (
                by_id[i.res_id][f] == str(i.to_user_id.id) if f == "value"
                else by_id[i.res_id][f] == i.to_user_id))
        return held

    def _crm_rm_description(self):
        """What this item is, for people (e.g. "Leads (Salesperson)")."""
        self.ensure_one()
        if self.res_model not in self.env:
            return self.res_model
        Model = self.env[self.res_model]
        field = Model._fields.get(self.field_name)
        return _("%(model)s (%(field)s)", model=Model._description,
                 field=field._description_string(self.env) if field else self.field_name)
