# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Task-follow policy: the previous owner's open work follows the new owner.

``crm.task.follow`` is a service model (no table): the relationship hook
``crm.relationship._after_relationship_change``, the Salesperson write path of
``crm.lead`` and the Reassign Resources wizard call it.
"""
from collections import defaultdict

from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import format_date

from ..context_keys import SERVER, server_value
from ..context_keys import TASK_FOLLOW_POLICY as POLICY_KEY
from ..context_keys import TASK_FOLLOW_SKIP as SKIP_KEY

TASK_FOLLOW_POLICIES = ("none", "automated", "all")
# Context keys (see the hook's docstring in crm_relationship.py), honoured only
# when server code set them (context_keys.ServerFlag values)
BODY_VIEW = "crm_relationship_manager.task_follow_handover_body"


class CrmTaskFollow(models.AbstractModel):
    _name = "crm.task.follow"
    _description = "Task-follow policy (open activities follow the new owner)"

    # ------------------------------------------------------------------
    # Policy
    # ------------------------------------------------------------------
    @api.model
    def _task_follow_policy(self, company):
        """The policy that applies to a change in ``company`` ('none', 'automated', 'all')."""
        policy = server_value(self.env.context, POLICY_KEY)
        if policy:
            policy = str(policy)
            if policy not in TASK_FOLLOW_POLICIES:
                raise UserError(
                    _("Unknown task-follow policy %(policy)s; use one of %(policies)s.",
                      policy=policy, policies=", ".join(TASK_FOLLOW_POLICIES))
                )
            return policy
        return company.sudo().task_follow_policy or "none"

    # ------------------------------------------------------------------
    # Hook: every relationship change
    # ------------------------------------------------------------------
    @api.model
    def _apply_relationship_changes(self, changes):
        """Apply the policy to relationship changes (see
        ``crm.relationship._after_relationship_change`` for ``changes``)."""
        if server_value(self.env.context, SKIP_KEY):
            return
        moves = []
        for change in changes:
            old_user, new_user, company = change["old_user"], change["new_user"], change["company"]
            if not old_user or not new_user or old_user == new_user:
                continue
            # the owner of an account is the rep of the company's primary role
            if change["role"] != company._get_relationship_primary_role():
                continue
            policy = self._task_follow_policy(company)
            if policy == "none":
                continue
            scope = self._task_follow_scope(change["partners"], company)
            moves.append(self._task_follow_move(scope, old_user, new_user, company, policy))
        self._task_follow_notify(moves)

    # ------------------------------------------------------------------
    # Scope: the account's records
    # ------------------------------------------------------------------
    @api.model
    def _task_follow_scope(self, partners, company):
        """Records of the accounts ``partners`` (commercial entities) in ``company``.

        :return: dict with ``records``: {model: {res_id: account_id}} (the customer
            and its contacts, their open leads and opportunities, their draft
            quotations when sales is installed) and ``leads`` (open lead ids)
        """
        cr = self.env.cr
        account_ids = partners.commercial_partner_id.ids
        self.env["res.partner"].flush_model(["commercial_partner_id"])
        cr.execute(
            "SELECT id, commercial_partner_id FROM res_partner "
            "WHERE commercial_partner_id = ANY(%s)",
            [account_ids],
        )
        contacts = dict(cr.fetchall())
        records = {"res.partner": contacts}
        self.env["crm.lead"].flush_model(["partner_id", "company_id", "active", "stage_id"])
        cr.execute(
            """
            SELECT l.id, p.commercial_partner_id
              FROM crm_lead l
              JOIN res_partner p ON p.id = l.partner_id
         LEFT JOIN crm_stage s ON s.id = l.stage_id
             WHERE p.commercial_partner_id = ANY(%s)
               AND l.active
               AND (l.company_id = %s OR l.company_id IS NULL)
               AND NOT COALESCE(s.is_won, false)
            """,
            [account_ids, company.id],
        )
        records["crm.lead"] = dict(cr.fetchall())
        if "sale.order" in self.env:
            self.env["sale.order"].flush_model(["partner_id", "company_id", "state"])
            cr.execute(
                """
                SELECT o.id, p.commercial_partner_id
                  FROM sale_order o
                  JOIN res_partner p ON p.id = o.partner_id
                 WHERE p.commercial_partner_id = ANY(%s)
                   AND o.company_id = %s
                   AND o.state IN ('draft', 'sent')
                """,
                [account_ids, company.id],
            )
            records["sale.order"] = dict(cr.fetchall())
        return {"records": records, "leads": list(records["crm.lead"])}

    # ------------------------------------------------------------------
    # Moving activities and meetings
    # ------------------------------------------------------------------
    @api.model
    def _task_follow_move(self, scope, old_user, new_user, company, policy, *,
                          until=None, events=True, subscribe=True):
        """Give ``new_user`` the open activities of ``old_user`` on the records of
        ``scope`` (automated ones only under policy 'automated') and, under
        policy 'all', the future meetings ``old_user`` organises with them.
        A temporary cover passes ``until`` (only the activities due on or before
        that date), ``events=False`` (the meetings stay where they are) and
        ``subscribe=False`` (the cover does not follow the records for good).

        One UPDATE for all activities, one follower insertion per model, one
        write for the meetings: no per-activity notification.

        :return: dict describing the move (for the notifications)
        """
        move = {"old_user": old_user, "new_user": new_user, "company": company,
                "activities": {}, "events": self.env["calendar.event"]}
        if policy not in ("automated", "all"):
            return move
        cr = self.env.cr
        records = scope["records"]
        Activity = self.env["mail.activity"].sudo()
        Activity.flush_model()
        clauses, params = [], []
        for model, ids in records.items():
            if ids:
                clauses.append("(res_model = %s AND res_id = ANY(%s))")
                params += [model, list(ids)]
        rows = []
        if clauses:
            # one statement finds and moves them (no id list sent back and forth)
            query = (
                "UPDATE mail_activity SET user_id = %s, user_tz = %s, write_uid = %s, "
                "write_date = %s WHERE user_id = %s AND active AND ("
                + " OR ".join(clauses) + ")"
            )
            if policy == "automated":
                query += " AND automated"
            if until:
                query += " AND date_deadline <= %s"
                params.append(until)
            cr.execute(query + " RETURNING id, res_model, res_id", [
                new_user.id, new_user.sudo().tz or None, self.env.uid, fields.Datetime.now(),
                old_user.id, *params])
            rows = cr.fetchall()
        if rows:
            Activity.invalidate_model(["user_id", "user_tz", "write_uid", "write_date"])
            by_model = defaultdict(set)
            for _id, model, res_id in rows:
                by_model[model].add(res_id)
                move["activities"][_id] = (model, res_id, records[model][res_id])
            for model, res_ids in by_model.items() if subscribe else ():
                self._subscribe(model, res_ids, new_user.sudo().partner_id)
            # refresh the activity counters of both users' web clients
            new_user._bus_send("mail.activity/updated", {"activity_created": True})
            old_user._bus_send("mail.activity/updated", {"activity_deleted": True})
        if policy == "all" and events:
            move["events"] = self._task_follow_move_events(records, old_user, new_user)
        return move

    @api.model
    def _subscribe(self, model, res_ids, partner):
        """Make ``partner`` (an internal user's) follow the records, with the default
        subtypes, as Odoo does when an activity is assigned; existing followers
        are kept as they are. ``_message_subscribe`` would do the same through
        the ORM (a subscription read and one ``create`` of every follower with its
        subtypes); a mass reassignment subscribes a rep to 150,000 records at once,
        so it is two set-wise statements here."""
        subtype_ids, _internal, _external = self.env["mail.message.subtype"].sudo(
        )._default_subtypes(model)
        self.env["mail.followers"].flush_model()
        self.env.cr.execute(
            """
            WITH new AS (
                INSERT INTO mail_followers (res_model, res_id, partner_id)
                SELECT %s, unnest(%s::int[]), %s
                ON CONFLICT DO NOTHING
                RETURNING id
            )
            INSERT INTO mail_followers_mail_message_subtype_rel
                        (mail_followers_id, mail_message_subtype_id)
            SELECT new.id, subtype FROM new, unnest(%s::int[]) AS subtype
            """,
            [model, sorted(res_ids), partner.id, subtype_ids],
        )
        self.env["mail.followers"].invalidate_model()
        self.env[model].invalidate_model(
            ["message_follower_ids", "message_partner_ids", "message_is_follower"])

    @api.model
    def _task_follow_move_events(self, records, old_user, new_user):
        """Future meetings organised by ``old_user`` with the accounts' contacts or
        about their open leads: ``new_user`` organises and attends them instead."""
        Event = self.env["calendar.event"].sudo()
        contact_ids = list(records.get("res.partner", {}))
        lead_ids = list(records.get("crm.lead", {}))
        domain = [("user_id", "=", old_user.id),
                  ("start", ">", fields.Datetime.now()),
                  "|", ("partner_ids", "in", contact_ids),
                  ("opportunity_id", "in", lead_ids)]
        events = Event.search(domain)
        return self._task_follow_give_events(events, old_user, new_user)

    @api.model
    def _task_follow_give_events(self, events, old_user, new_user):
        """``new_user`` organises and attends ``events`` instead of ``old_user``
        (no invitation e-mail, no tracking)."""
        if events:
            old_partner = old_user.sudo().partner_id
            new_partner = new_user.sudo().partner_id
            events.sudo().with_context(
                dont_notify=True, no_mail_to_attendees=True, mail_notrack=True,
                mail_create_nosubscribe=True, **{SKIP_KEY: SERVER},
            ).write({
                "user_id": new_user.id,
                "partner_ids": [(3, old_partner.id), (4, new_partner.id)],
            })
        return events

    # ------------------------------------------------------------------
    # Notifications
    # ------------------------------------------------------------------
    @api.model
    def _task_follow_notify(self, moves):
        """One in-app notification to the person who made the change, now, and
        one e-mail per (receiving rep, account) listing the activities handed
        over, queued for the cron job that runs right after the commit."""
        moves = [m for m in moves if m["activities"] or m["events"]]
        if not moves:
            return
        self.env["crm.task.follow.handover"]._enqueue(moves)
        self._task_follow_notify_changer(moves)

    @api.model
    def _task_follow_notify_changer(self, moves):
        activity_count = sum(len(m["activities"]) for m in moves)
        event_count = sum(len(m["events"]) for m in moves)
        accounts = {acc for m in moves for (_m, _r, acc) in m["activities"].values()}
        reps = ", ".join(sorted({m["new_user"].sudo().name for m in moves}))
        message = _(
            "%(activities)s open activities of %(accounts)s accounts and %(events)s future "
            "meetings were handed over to %(reps)s.",
            activities=activity_count, accounts=len(accounts), events=event_count, reps=reps,
        )
        self.env.user._bus_send("simple_notification", {
            "type": "info",
            "title": _("Open activities followed the new owner"),
            "message": message,
            "sticky": False,
        })

    @api.model
    def _task_follow_send_mails(self, moves):
        template = self.env.ref(
            "crm_relationship_manager.mail_template_task_follow_handover",
            raise_if_not_found=False,
        )
        if not template:
            return
        template = template.sudo()
        Activity = self.env["mail.activity"].sudo()
        base_url = self.env["ir.config_parameter"].sudo().get_param("web.base.url")
        mail_values = []
        for move in moves:
            if not move["activities"]:
                continue
            new_user, company = move["new_user"].sudo(), move["company"]
            by_account = defaultdict(list)
            for activity_id, (_model, _res_id, account_id) in move["activities"].items():
                by_account[account_id].append(activity_id)
            lang = new_user.lang or self.env.lang
            tmpl = template.with_context(lang=lang)
            activities = Activity.with_context(lang=lang).browse(list(move["activities"]))
            lines, dates = {}, {}
            for activity in activities:
                deadline = activity.date_deadline
                if deadline not in dates:
                    dates[deadline] = format_date(self.env, deadline, lang_code=lang)
                lines[activity.id] = {
                    "type": activity.activity_type_id.name or "",
                    "summary": activity.summary or activity.res_name or "",
                    "date": deadline,
                    "date_formatted": dates[deadline],
                    "record": activity.res_name or "",
                    # handed over by a temporary cover: whom the rep covers for
                    "covering_for": activity.crm_rm_covering_for_id.name or "",
                    "url": f"{base_url}/mail/view?model={activity.res_model}"
                           f"&res_id={activity.res_id}",
                }
            # an account is a customer (res.partner id) or, for a lead without
            # customer, the lead itself (stored as its negated id)
            handover = defaultdict(dict)
            for account_id, ids in by_account.items():
                model, res_id = ("res.partner", account_id) if account_id > 0 \
                    else ("crm.lead", -account_id)
                handover[model][res_id] = [
                    lines[a] for a in sorted(ids, key=lambda a: (lines[a]["date"], a))]
            changed_by = move.get("changed_by") or self.env.user
            email_from = company.email_formatted or changed_by.sudo().email_formatted
            for model, model_handover in handover.items():
                res_ids = list(model_handover)
                add_context = {
                    "handover": model_handover,
                    "company_name": company.name,
                    "previous_rep": move["old_user"].sudo().name,
                    "new_rep": new_user.name,
                }
                subjects = tmpl._render_template(
                    tmpl.subject, model, res_ids, engine="inline_template",
                    add_context=add_context)
                # the body view is compiled once (rendering the template's
                # body_html would compile it again for every account)
                bodies = tmpl._render_template(
                    BODY_VIEW, model, res_ids, engine="qweb_view",
                    add_context=add_context, options={"post_process": True})
                for res_id in res_ids:
                    mail_values.append({
                        "subject": subjects[res_id],
                        "body_html": bodies[res_id],
                        "email_from": email_from,
                        "reply_to": email_from,
                        "recipient_ids": [(4, new_user.partner_id.id)],
                        "model": model,
                        "res_id": res_id,
                        "auto_delete": True,
                        "message_type": "user_notification",
                    })
        if mail_values:
            self.env["mail.mail"].sudo().create(mail_values)

    # ------------------------------------------------------------------
    # Leads whose Salesperson changed (crm.lead.write)
    # ------------------------------------------------------------------
    @api.model
    def _apply_lead_changes(self, groups):
        """Apply the policy to leads whose Salesperson changed.

        :param groups: {(old_user, new_user, company): [lead ids]}
        """
        moves = []
        groups = {key: lead_ids for key, lead_ids in groups.items()
                  if self._task_follow_policy(key[2]) != "none"}
        if not groups:
            return
        # the accounts of all the leads at once (not one query per group)
        self.env["crm.lead"].flush_model(["partner_id"])
        self.env.cr.execute(
            """
            SELECT l.id, COALESCE(p.commercial_partner_id, 0)
              FROM crm_lead l
         LEFT JOIN res_partner p ON p.id = l.partner_id
             WHERE l.id = ANY(%s)
            """,
            [[lead_id for lead_ids in groups.values() for lead_id in lead_ids]],
        )
        # account 0: a lead without customer is its own "account"
        account_of = {lead_id: account_id or -lead_id
                      for lead_id, account_id in self.env.cr.fetchall()}
        for (old_user, new_user, company), lead_ids in groups.items():
            policy = self._task_follow_policy(company)
            scope = {"records": {"crm.lead": {
                lead_id: account_of[lead_id] for lead_id in lead_ids if lead_id in account_of
            }}}
            moves.append(self._task_follow_move(scope, old_user, new_user, company, policy))
        self._task_follow_notify(moves)
