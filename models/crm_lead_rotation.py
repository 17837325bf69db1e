# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import _, api, fields, models

from .crm_rotation_pool import ROTATION_REASONS

# Context keys: set by the UI form creation (issue 3) -> the creator keeps the lead;
# set by callers that want no pool at all (e.g. a benchmark baseline).
UI_CREATE = "crm_rm_ui_create"
NO_ROTATION = "crm_rotation_skip"
# The website form / integration key a pool may be restricted to.
CHANNEL = "crm_rotation_channel"


class CrmLead(models.Model):
    _inherit = "crm.lead"

    rotation_pool_id = fields.Many2one(
        "crm.rotation.pool", string="Rotation Pool", readonly=True, copy=False,
        ondelete="set null", index="btree_not_null",
        help="The pool that assigned this lead's Salesperson at creation.",
    )
    rotation_covered_user_id = fields.Many2one(
        "res.users", string="Covering For", readonly=True, copy=False, ondelete="set null",
        help="The customer's rep was away when the lead came in: the rotation gave it "
        "to the Salesperson, who covers for them.",
    )

    rotation_reason = fields.Selection(
        ROTATION_REASONS, string="Assigned By", readonly=True, copy=False,
        help="Why the rotation pool chose the Salesperson.",
    )

    def _rotation_note(self):
        self.ensure_one()
        reasons = dict(self._fields["rotation_reason"]._description_selection(self.env))
        if self.user_id:
            note = _("Assigned by rotation pool %(pool)s to %(rep)s (%(reason)s).",
                     pool=self.rotation_pool_id.name, rep=self.user_id.name,
                     reason=reasons.get(self.rotation_reason, ""))
        else:
            note = _("Assigned by rotation pool %(pool)s (%(reason)s).",
                     pool=self.rotation_pool_id.name, reason=reasons.get(self.rotation_reason, ""))
        if self.rotation_covered_user_id:
            note = _("%(note)s Covering for %(rep)s, who is away.", note=note,
                     rep=self.rotation_covered_user_id.name)
        return note

    def _creation_message(self):
        message = super()._creation_message()
        if self.rotation_pool_id:
            message = _("%(message)s %(note)s", message=message, note=self._rotation_note())
        return message

    @api.model_create_multi
    def create(self, vals_list):
        ctx = self.env.context
        # default_user_id=False is no salesperson: Odoo's mail gateway sets it so
        # that e-mail leads are assigned automatically (crm.lead.message_new)
        if ctx.get(UI_CREATE) or ctx.get(NO_ROTATION) or ctx.get("default_user_id"):
            return super().create(vals_list)
        # "no salesperson given" is decided here, before the user_id default applies
        todo = [index for index, vals in enumerate(vals_list) if "user_id" not in vals]
        if not todo:
            return super().create(vals_list)
        vals_list = [dict(vals) for vals in vals_list]
        Pool = self.env["crm.rotation.pool"]
        assigned = Pool._assign_lead_values([vals_list[index] for index in todo])
        if not assigned:
            return super().create(vals_list)
        positions = [todo[i] for i, _decision in assigned]
        # A creator restricted to their own leads (Sales / User: Own Documents
        # Only) may not create a lead owned by someone else; the pool's decision
        # is theirs to accept: create the lead unassigned, then hand it over.
        restricted = not (self.env.su or self.env.user.has_group(
            "sales_team.group_sale_salesman_all_leads"))
        handover = {}
        if restricted:
            for pos in positions:
                vals = vals_list[pos]
                handover[pos] = {"user_id": vals["user_id"], "team_id": vals.get("team_id")}
                vals["user_id"] = False
        leads = super().create(vals_list)
        if handover:
            groups = {}
            for pos, values in handover.items():
                key = (values["user_id"], values["team_id"])
                groups[key] = groups.get(key, []) + [leads[pos].id]
            for (user_id, team_id), ids in groups.items():
                self.browse(ids).sudo().write({"user_id": user_id, "team_id": team_id})
        Pool._after_leads_assigned(
            self.browse([leads[pos].id for pos in positions]),
            [decision for _i, decision in assigned],
        )
        return leads
