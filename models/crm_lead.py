# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import _, api, models
from odoo.exceptions import AccessError, ValidationError


class CrmLead(models.Model):
    _inherit = "crm.lead"

    @api.constrains("user_id", "company_id")
    def _check_user_id_company(self):
        """The Salesperson of a lead is an active internal user of its company."""
        for lead in self.filtered("user_id"):
            user = lead.user_id.sudo()
            if user.share:
                raise ValidationError(
                    _("%(user)s is not an internal user and cannot be the salesperson "
                      "of lead %(lead)s.", user=user.name, lead=lead.name)
                )
            if lead.company_id and lead.company_id not in user.company_ids:
                raise ValidationError(
                    _("%(user)s does not work in company %(company)s and cannot be the "
                      "salesperson of lead %(lead)s.", user=user.name,
                      company=lead.company_id.name, lead=lead.name)
                )

    def action_open_update_assignment(self):
        return {
            "type": "ir.actions.act_window",
            "name": _("Update Assignment"),
            "res_model": "crm.lead.update.assignment",
            "view_mode": "form",
            "target": "new",
            "context": {"default_lead_ids": self.ids},
        }

    def _update_assignment(self, user, reason=False):
        """Transfer leads to ``user``, a member of each lead's sales team.

        Associates may only transfer leads assigned to them; managers any lead of
        their allowed companies. Checked here, on the server, for every caller.
        """
        if not self:
            return True
        Relationship = self.env["crm.relationship"]
        me = self.env.user
        if not self.env.su:
            for lead in self:
                if lead.company_id and lead.company_id not in self.env.companies:
                    raise AccessError(
                        _("Lead %(lead)s belongs to company %(company)s, which is not one "
                          "of your allowed companies.", lead=lead.name,
                          company=lead.company_id.name)
                    )
            if not Relationship._is_relationship_manager(me):
                if not me.has_group("crm_relationship_manager.group_relationship_associate"):
                    raise AccessError(_("You are not allowed to transfer leads."))
                foreign = self.filtered(lambda lead: lead.user_id != me)
                if foreign:
                    raise AccessError(
                        _("As a Relationship Associate you can only transfer leads "
                          "assigned to you; %(lead)s is assigned to %(rep)s.",
                          lead=foreign[0].name,
                          rep=foreign[0].user_id.name or _("nobody"))
                    )
        if not user:
            raise ValidationError(_("Choose the rep to transfer the leads to."))
        for lead in self:
            company = lead.company_id or lead.team_id.company_id or self.env.company
            Relationship._check_rep(user, company)
            team = lead.team_id
            if not team:
                raise ValidationError(
                    _("Lead %(lead)s has no sales team; set one before transferring it.",
                      lead=lead.name)
                )
            if user not in (team.sudo().member_ids | team.sudo().user_id):
                raise ValidationError(
                    _("%(user)s is not a member of sales team %(team)s of lead %(lead)s.",
                      user=user.name, team=team.name, lead=lead.name)
                )
        self.write({"user_id": user.id})
        body = _("Assignment updated to %(rep)s by %(by)s.", rep=user.name, by=me.name)
        if reason:
            body = _("%(body)s Reason: %(reason)s", body=body, reason=reason)
        self._message_log_batch(bodies=dict.fromkeys(self.ids, body))
        return True


# ----------------------------------------------------------------------
# Rotation pools (issue 4)
# ----------------------------------------------------------------------
from odoo import fields  # noqa: E402

from .crm_rotation_pool import ROTATION_REASONS  # noqa: E402

# Context keys: set by the UI form creation (issue 3) -> the creator keeps the lead;
# set by callers that want no pool at all (e.g. a benchmark baseline).
UI_CREATE = "crm_rm_ui_create"
NO_ROTATION = "crm_rotation_skip"
# The website form / integration key a pool may be restricted to.
CHANNEL = "crm_rotation_channel"


class CrmLeadRotation(models.Model):
    """Rotation pools (issue 4): a new lead without a salesperson gets one."""

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
