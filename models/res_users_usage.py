# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Where is a user still named? The usage of users, set-wise.

``_crm_rm_usage`` lists, for a set of users, every place that still names
them: their work (current relationships by role, open leads, open activities)
and the configuration that names them (future meetings they organise, sales
teams they lead or belong to, rotation pools, activity types, saved filters,
automation rules, server actions, mail templates, covers). Each kind costs one
query for all the users, whatever their number.

``_crm_rm_hand_over_config`` gives every configuration reference of one user
to a successor and returns what it changed, for the handover record (see
``crm.user.handover``), so that it can be given back.
"""
from collections import defaultdict

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.fields import Command

from .crm_rep_cover import OPEN_STATES

#: kinds handed over to one successor by Reassign resources ("configuration references")
CONFIG_KINDS = (
    "meeting", "team_leader", "team_member", "pool_member", "pool_fallback",
    "activity_type", "filter", "automation", "server_action", "mail_template",
)


class ResUsers(models.Model):
    _inherit = "res.users"

    # ------------------------------------------------------------------
    # What names the users
    # ------------------------------------------------------------------
    def _crm_rm_usage_specs(self):
        """The kinds of references counted by a single ``_read_group`` on the
        user field: [(kind, label, model, field, domain)]. ``domain`` is
        completed with ``(field, 'in', user ids)``."""
        # a plain string, so that the domain can be stored and evaluated again
        now = fields.Datetime.to_string(fields.Datetime.now())
        specs = [
            ("lead", _("Open leads"), "crm.lead", "user_id",
             ["|", ("stage_id", "=", False), ("stage_id.is_won", "=", False)]),
            ("activity", _("Open activities"), "mail.activity", "user_id", []),
            ("meeting", _("Future meetings they organise"), "calendar.event", "user_id",
             [("start", ">", now)]),
            ("team_leader", _("Sales teams they lead"), "crm.team", "user_id", []),
            ("team_member", _("Sales team memberships"), "crm.team.member", "user_id", []),
            ("pool_member", _("Rotation pool memberships"), "crm.rotation.pool.member",
             "user_id", []),
            ("pool_fallback", _("Rotation pools they are the fallback owner of"),
             "crm.rotation.pool", "fallback_user_id", []),
            ("activity_type", _("Activity types they are the default user of"),
             "mail.activity.type", "default_user_id", []),
            ("filter", _("Saved filters they own"), "ir.filters", "user_id", []),
            ("mail_template", _("Mail templates that belong to them"), "mail.template",
             "user_id", []),
        ]
        open_covers = [("state", "in", list(OPEN_STATES))]
        specs += [
            ("cover_of", _("Covers of their work"), "crm.rep.cover", "user_id", open_covers),
            ("cover_by", _("Covers they do for others"), "crm.rep.cover", "cover_user_id",
             open_covers),
        ]
        return specs

    @api.model
    def _crm_rm_naming_actions_domain(self, user_ids):
        """Server actions that name one of ``user_ids``: the responsible of the
        activities they schedule, or the user they write in a user field."""
        return [
            "|", ("activity_user_id", "in", user_ids),
            "&", "&", "&", ("state", "=", "object_write"), ("evaluation_type", "=", "value"),
            ("update_field_id.relation", "=", "res.users"),
            ("value", "in", [str(uid) for uid in user_ids]),
        ]

    def _crm_rm_naming_actions(self):
        """{user id: server actions naming them} (one query)."""
        Action = self.env["ir.actions.server"].sudo().with_context(active_test=False)
        actions = Action.search(self._crm_rm_naming_actions_domain(self.ids))
        result = defaultdict(Action.browse)
        for action in actions:
            named = {action.activity_user_id.id}
            if action.state == "object_write" and action.value and action.value.isdigit():
                named.add(int(action.value))
            for uid in named & set(self.ids):
                result[uid] |= action
        return result

    def _crm_rm_usage(self):
        """Every place that still names the users of ``self``.

        :return: {user: [row]}; a row is a dict with ``kind``, ``label``,
            ``count``, ``res_model``, ``domain`` (the records it stands for; with
            ``sudo`` they are exactly ``count``) and ``config`` (handed over to
            one successor by Reassign resources). Rows with no record are left
            out. Relationships give one row per role.
        """
        self._crm_rm_check_usage_access()
        ids = self.ids
        rows = defaultdict(list)

        def add(user_id, kind, label, count, res_model, domain):
            if count:
                rows[user_id].append({
                    "kind": kind, "label": label, "count": count, "res_model": res_model,
                    "domain": domain, "config": kind in CONFIG_KINDS,
                })

        # current relationships, by role (one query)
        Rel = self.env["crm.relationship"].sudo()
        for user, role, count in Rel._read_group(
                [("user_id", "in", ids), ("is_current", "=", True)],
                ["user_id", "role_id"], ["__count"], order="user_id, role_id"):
            add(user.id, "relationship", _("Current relationships: %(role)s",
                                           role=role.sudo().name),
                count, "crm.relationship",
                [("user_id", "=", user.id), ("is_current", "=", True),
                 ("role_id", "=", role.id)])
        # the other kinds counted on one user field (one query each)
        for kind, label, model, field, domain in self._crm_rm_usage_specs():
            Model = self.env[model].sudo()
            for user, count in Model._read_group(
                    domain + [(field, "in", ids)], [field], ["__count"]):
                add(user.id, kind, label, count, model, domain + [(field, "=", user.id)])
        # automation rules and server actions (one query for both)
        naming = self._crm_rm_naming_actions()
        has_automation = "base.automation" in self.env
        for uid, actions in naming.items():
            automations = actions.base_automation_id if has_automation else actions.browse()
            others = actions.filtered(lambda a: not a.base_automation_id) \
                if has_automation else actions
            add(uid, "automation", _("Automation rules that name them"), len(automations),
                "base.automation", [("id", "in", automations.ids)])
            add(uid, "server_action", _("Server actions that name them"), len(others),
                "ir.actions.server", [("id", "in", others.ids)])
        order = ["relationship", "lead", "activity", *CONFIG_KINDS, "cover_of", "cover_by"]
        return {
            user: sorted(rows.get(user.id, []), key=lambda row: order.index(row["kind"]))
            for user in self
        }

    def _crm_rm_check_usage_access(self):
        """Relationship managers see the usage of any user; others their own."""
        Rel = self.env["crm.relationship"]
        if self.env.su or Rel._is_relationship_manager() or self == self.env.user:
            return
        raise AccessError(_("Only relationship managers can see where other users are "
                            "still named."))

    @api.model
    def _crm_rm_usage_action(self, res_model, domain, label):
        """The action opening the records of one usage row."""
        return {
            "type": "ir.actions.act_window",
            "name": label,
            "res_model": res_model,
            "view_mode": "list,form",
            "views": [[False, "list"], [False, "form"]],
            "domain": domain,
            "context": {"active_test": False} if res_model == "ir.actions.server" else {},
            "target": "current",
        }

    def action_view_crm_rm_usage(self):
        """Usage: the list of every place that still names this user."""
        self.ensure_one()
        lines = self.env["res.users.usage.line"]._crm_rm_create_for(self)
        return {
            "type": "ir.actions.act_window",
            "name": _("Usage of %(user)s", user=self.name),
            "res_model": "res.users.usage.line",
            "view_mode": "list",
            "views": [[self.env.ref(
                "crm_relationship_manager.res_users_usage_line_view_list").id, "list"]],
            "domain": [("id", "in", lines.ids)],
            "context": {"create": False, "delete": False},
            "target": "new",
        }

    # ------------------------------------------------------------------
    # Handing the configuration references over
    # ------------------------------------------------------------------
    def _crm_rm_config_references(self):
        """{(model, field): records} of the configuration references naming this user."""
        self.ensure_one()
        refs = {}
        for kind, _label, model, field, domain in self._crm_rm_usage_specs():
            if kind in CONFIG_KINDS:
                refs[(model, field)] = self.env[model].sudo().search(
                    domain + [(field, "=", self.id)])
        actions = self._crm_rm_naming_actions().get(self.id, self.env["ir.actions.server"])
        refs[("ir.actions.server", "activity_user_id")] = actions.filtered(
            lambda a: a.activity_user_id == self)
        refs[("ir.actions.server", "value")] = actions.filtered(
            lambda a: a.state == "object_write" and a.value == str(self.id))
        return refs

    def _crm_rm_hand_over_config(self, successor):
        """Give every configuration reference of this user to ``successor``.

        Rules: the successor must be an active internal user (and, through the
        models' own constraints, belong to the company of a team or pool);
        future meetings get the successor as organiser and attendee; a team or
        pool the successor already belongs to keeps the user's membership
        (archived with the user), and so does every team when users belong to
        one team only and the successor already has one; a saved filter whose name the successor
        already uses stays. Done as superuser: each change replaces the user by
        the checked successor, nothing else.

        :return: [(model, res_id, field)] of what was handed over
        """
        self.ensure_one()
        user = self
        if successor == user:
            raise UserError(_("%(user)s cannot be their own successor.", user=user.name))
        successor.sudo()._crm_rm_check_owner(False, what=_(
            "the successor of %(user)s", user=user.name))
        refs = self._crm_rm_config_references()
        done = []
        for (model, field), records in refs.items():
            if not records:
                continue
            if model == "calendar.event":
                self.env["crm.task.follow"]._task_follow_give_events(records, user, successor)
            elif model == "crm.team.member":
                # with one team per user (Odoo's default), a successor already in a
                # team cannot join another one
                taken = self.env[model].sudo().search(
                    [("user_id", "=", successor.id)]).crm_team_id
                multi = self.env["ir.config_parameter"].sudo().get_param(
                    "sales_team.membership_multi", False)
                records = records.filtered(
                    lambda m, t=taken: m.crm_team_id not in t and (multi or not t))
                records.write({field: successor.id})
            elif model == "crm.rotation.pool.member":
                taken = set(self.env[model].sudo().search([
                    ("user_id", "=", successor.id),
                    ("pool_id", "in", records.pool_id.ids)]).pool_id.ids)
                records = records.filtered(lambda m, t=taken: m.pool_id.id not in t)
                records.write({field: successor.id})
            elif model == "ir.filters":
                taken = {(f.model_id, f.action_id.id, (f.name or "").lower())
                         for f in self.env[model].sudo().search([
                             ("user_id", "=", successor.id),
                             ("model_id", "in", records.mapped("model_id"))])}
                records = records.filtered(lambda f, t=taken: (
                    f.model_id, f.action_id.id, (f.name or "").lower()) not in t)
                records.write({field: successor.id})
            elif (model, field) == ("ir.actions.server", "value"):
                records.write({"value": str(successor.id)})
            else:
                records.write({field: successor.id})
            done += [(model, rid, field) for rid in records.ids]
        return done

    @api.model
    def _crm_rm_give_back_config(self, items):
        """Give back configuration references that still name their successor
        (``items``: ``crm.user.handover.item`` records, see ``_crm_rm_held``)."""
        for (model, field, from_user, to_user), group in items.grouped(
                lambda i: (i.res_model, i.field_name, i.from_user_id, i.to_user_id)).items():
            records = self.env[model].sudo().with_context(active_test=False).browse(
                group.mapped("res_id"))
            if model == "calendar.event":
                self.env["crm.task.follow"]._task_follow_give_events(records, to_user, from_user)
            elif field == "value":
                records.write({"value": str(from_user.id)})
            else:
                records.write({field: from_user.id})

    def _crm_rm_usage_line_commands(self):
        """Commands creating the usage lines of this user (display)."""
        self.ensure_one()
        return [Command.create({
            "sequence": seq, "kind": row["kind"], "label": row["label"],
            "count": row["count"], "res_model": row["res_model"],
            "domain": repr(row["domain"]), "config": row["config"], "user_id": self.id,
        }) for seq, row in enumerate(self._crm_rm_usage()[self])]
