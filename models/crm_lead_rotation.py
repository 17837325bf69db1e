# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Rotation pools on crm.lead: a new lead without a Salesperson gets one."""
from odoo import _, api, fields, models
from odoo.exceptions import AccessError

from ..context_keys import NO_ROTATION, UI_CREATE, server_value
from .crm_rotation_pool import ROTATION_REASONS

# What the rotation decided: set by the pools only
ROTATION_FIELDS = {"rotation_pool_id", "rotation_covered_user_id", "rotation_reason"}


class CrmLead(models.Model):
    _inherit = "crm.lead"

    rotation_pool_id = fields.Many2one(
        "crm.rotation.pool", readonly=True, copy=False,
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
        # the creator (e.g. an associate or the mail gateway) may not read pools
        lead = self.sudo()
        reasons = dict(self._fields["rotation_reason"]._description_selection(self.env))
        reason = reasons.get(lead.rotation_reason, "")
        if lead.user_id:
            note = _("Assigned by rotation pool %(pool)s to %(rep)s (%(reason)s).",
                     pool=lead.rotation_pool_id.name, rep=lead.user_id.name, reason=reason)
        else:
            note = _("Assigned by rotation pool %(pool)s (%(reason)s).",
                     pool=lead.rotation_pool_id.name, reason=reason)
        if lead.rotation_covered_user_id:
            note = _("%(note)s Covering for %(rep)s, who is away.", note=note,
                     rep=lead.rotation_covered_user_id.name)
        return note

    def _creation_message(self):
        message = super()._creation_message()
        if self.rotation_pool_id:
            message = _("%(message)s %(note)s", message=message, note=self._rotation_note())
        return message

    def _check_rotation_vals(self, vals_list):
        """What the rotation decided is set by the pool only (readonly in the
        form is just a hint): a client cannot claim a lead came from a pool."""
        if self.env.su:
            return
        for vals in vals_list:
            if given := ROTATION_FIELDS & set(vals):
                raise AccessError(_("These lead fields are set by the rotation pools: "
                                    "%(fields)s.", fields=", ".join(sorted(given))))

    def write(self, vals):
        self._check_rotation_vals([vals])
        return super().write(vals)

    @api.model_create_multi
    def create(self, vals_list):
        self._check_rotation_vals(vals_list)
        # an explicit colleague is an explicit Salesperson: the pools leave it alone
        vals_list = [self._crm_rm_colleague_vals(vals) for vals in vals_list]
        ctx = self.env.context
        # default_user_id=False is no salesperson: Odoo's mail gateway sets it so
        # that e-mail leads are assigned automatically (crm.lead.message_new);
        # a default colleague is a default Salesperson
        if (server_value(ctx, UI_CREATE) or server_value(ctx, NO_ROTATION)
                or ctx.get("default_user_id") or ctx.get("default_colleague_id")):
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

