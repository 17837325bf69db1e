# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.http import request

from ..context_keys import KEEP_ACTIVITIES_OF, ServerIds

#: paths of the web client's calls (buttons, action menus)
WEB_CLIENT_PATHS = ("/web/dataset/call_kw/", "/web/dataset/call_button/")


class ResUsers(models.Model):
    _inherit = "res.users"

    relationship_ids = fields.One2many(
        "crm.relationship", "user_id", string="Customer Relationships",
        domain=[("is_current", "=", True)],
    )
    relationship_count = fields.Integer(
        compute="_compute_relationship_count", string="Customers"
    )

    @api.depends("relationship_ids")
    def _compute_relationship_count(self):
        data = self.env["crm.relationship"]._read_group(
            [("user_id", "in", self.ids), ("is_current", "=", True)],
            ["user_id"], ["__count"],
        )
        counts = {user.id: count for user, count in data}
        for user in self:
            user.relationship_count = counts.get(user.id, 0)

    def action_view_relationships(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "crm_relationship_manager.crm_relationship_action"
        )
        action["domain"] = [("user_id", "=", self.id)]
        return action

    # ------------------------------------------------------------------
    # Deactivation: resources need a successor, activities are never deleted
    # ------------------------------------------------------------------
    def _get_open_resources(self):
        """Current relationships and open leads (active, not won) of the users,
        and their open activities: {user id: (relationships, leads, activities)}."""
        Rel = self.env["crm.relationship"].sudo()
        Lead = self.env["crm.lead"].sudo()
        Activity = self.env["mail.activity"].sudo()
        rels = dict(Rel._read_group(
            [("user_id", "in", self.ids), ("is_current", "=", True)], ["user_id"], ["__count"]))
        leads = dict(Lead._read_group(
            [("user_id", "in", self.ids),
             "|", ("stage_id", "=", False), ("stage_id.is_won", "=", False)],
            ["user_id"], ["__count"]))
        acts = dict(Activity._read_group(
            [("user_id", "in", self.ids)], ["user_id"], ["__count"]))
        return {
            user.id: (rels.get(user, 0), leads.get(user, 0), acts.get(user, 0))
            for user in self
        }

    def _check_no_open_resources(self):
        """Raise if a user still handles customers or open leads."""
        resources = self._get_open_resources()
        for user in self:
            rels, leads, acts = resources[user.id]
            if rels or leads:
                raise UserError(_(
                    "%(user)s still handles %(customers)s customer relationship(s) and "
                    "%(leads)s open lead(s) (and has %(activities)s open activities). Use "
                    "\"Reassign resources\" on the user form to hand them over to a "
                    "successor before archiving the user.",
                    user=user.name, customers=rels, leads=leads, activities=acts))

    @api.model
    def _crm_rm_from_web_client(self):
        """Whether the current call is the web client's (a button or the action
        menu of a view), not XML-RPC, JSON-RPC or server code. It only chooses
        how a refusal is shown (a dialog instead of an error): never what is
        allowed."""
        return bool(request) and request.httprequest.path.startswith(WEB_CLIENT_PATHS)

    def action_archive(self):
        """Refuse to archive users who still have open resources.

        From the web client, a single such user opens Reassign resources with
        their usage instead (it archives the user once everything is handed
        over); over RPC, from server code or for several users the refusal is
        a UserError. Activities are never deleted on archiving (Odoo's mail
        module deletes them): see ``mail.activity.unlink``.
        """
        active = self.filtered("active")
        resources = active._get_open_resources()
        busy = active.filtered(lambda u: resources[u.id][0] or resources[u.id][1])
        if busy:
            if len(self) == 1 and self._crm_rm_from_web_client():
                return self.action_open_reassign_resources(archive=True)
            busy._check_no_open_resources()
        return super(ResUsers, self.with_context(
            **{KEEP_ACTIVITIES_OF: ServerIds(self.ids)})).action_archive()

    def action_unarchive(self):
        """Unarchive; from the web client, a single user whose resources were
        handed over gets the offer to give back what their successors still hold."""
        result = super().action_unarchive()
        if len(self) == 1 and self._crm_rm_from_web_client() \
                and self.env["crm.relationship"]._is_relationship_manager() \
                and self.env["crm.user.handover"]._crm_rm_pending(self):
            return self.action_open_give_back()
        return result

    def action_open_give_back(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": _("Give back"),
            "res_model": "res.users.give.back",
            "view_mode": "form",
            "views": [[False, "form"]],
            "target": "new",
            "context": {"default_user_id": self.id},
        }

    @api.ondelete(at_uninstall=False)
    def _unlink_except_relationship_history(self):
        """A user who has been responsible for customers is part of their history
        (relationships keep their rep): archive them instead of deleting them."""
        data = self.env["crm.relationship"].sudo().with_context(active_test=False)._read_group(
            [("user_id", "in", self.ids)], ["user_id"], ["__count"])
        if data:
            names = ", ".join(user.sudo().name for user, _count in data[:5])
            if len(data) > 5:
                names = _("%(names)s and %(count)s more", names=names, count=len(data) - 5)
            raise UserError(_(
                "%(users)s cannot be deleted: they have customer relationship history "
                "(%(count)s relationship(s)), which keeps who was responsible for each "
                "customer. Archive them instead; use \"Reassign resources\" on the user "
                "form first to hand their customers and open leads over to a successor.",
                users=names, count=sum(count for _user, count in data)))

    def write(self, vals):
        if "active" in vals and not vals["active"]:
            self.filtered("active")._check_no_open_resources()
        return super().write(vals)

    def action_open_reassign_resources(self, archive=False):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": _("Reassign resources"),
            "res_model": "res.users.reassign",
            "view_mode": "form",
            # complete: action_archive's result reaches the web client without
            # the server-side cleaning buttons get
            "views": [[False, "form"]],
            "target": "new",
            "context": {
                "default_user_id": self.id,
                "default_archive_user": bool(archive),
            },
        }

    def action_manage_relationships(self):
        """Manage Relationships: a new mass reassignment of this rep's customers."""
        self.ensure_one()
        if not self.env["crm.relationship"]._is_relationship_manager():
            raise AccessError(_("Only Relationship Managers can manage relationships in bulk."))
        return {
            "type": "ir.actions.act_window",
            "name": _("Manage Relationships"),
            "res_model": "crm.relationship.batch",
            "view_mode": "form",
            "target": "current",
            "context": {
                "default_line_ids": [(0, 0, {"kind": "rep", "source_user_id": self.id})],
            },
        }
