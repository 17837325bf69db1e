# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Temporary cover: while a rep is away from one company, a colleague (or a
rotation pool) takes their new leads and their open activities due in the
window; customers' relationships do not change. On return, what the cover
received and still holds goes back to the rep.

A cover is recorded (draft), confirmed (planned), started by the scheduled
action "CRM: start and end temporary covers" on its first day (at once when
confirmed on or after it), and ended by that action at the end of its last
day, or earlier by hand ("End cover now"). Each thing handed over is an item
(``crm.rep.cover.item``) saying what was given, from whom to whom, and what
became of it on return.
"""
from collections import defaultdict
from datetime import datetime, time, timedelta
from itertools import cycle

from markupsafe import Markup

from odoo import api, fields, models, tools
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import format_date

COVER_STATES = [
    ("draft", "Draft"),
    ("planned", "Planned"),
    ("active", "Active"),
    ("ended", "Ended"),
    ("cancelled", "Cancelled"),
]
# confirmed covers: they route the rep's new leads on their dates
LIVE_STATES = ("planned", "active")
# covers that count for the overlap and chain checks
OPEN_STATES = ("draft", "planned", "active")
# what the buttons and the scheduled action write, never a client
SERVER_FIELDS = {"state", "started_at", "ended_at", "ended_by_id", "customer_count", "item_ids"}
CRON_XMLID = "crm_relationship_manager.ir_cron_rep_cover"


class CrmRepCover(models.Model):
    _name = "crm.rep.cover"
    _description = "Temporary Cover"
    _inherit = ["mail.thread"]
    _order = "date_from desc, id desc"
    _check_company_auto = True

    name = fields.Char(compute="_compute_name", store=True)
    user_id = fields.Many2one(
        "res.users", string="Away", required=True, index=True, tracking=True,
        default=lambda self: self.env.user, domain="[('share', '=', False)]",
        help="The rep who is away.")
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company,
        help="The company whose customers and leads are covered.")
    date_from = fields.Date(
        string="From", required=True, tracking=True, default=fields.Date.context_today,
        help="First day of the absence.")
    date_to = fields.Date(
        string="To", required=True, tracking=True,
        default=lambda self: fields.Date.context_today(self) + timedelta(days=6),
        help="Last day of the absence (included): the work goes back at the end of this day.")
    cover_user_id = fields.Many2one(
        "res.users", string="Covered By", tracking=True, index="btree_not_null",
        domain="[('share', '=', False), ('company_ids', 'in', company_id)]",
        help="Takes the rep's new leads and open activities during the absence.")
    cover_pool_id = fields.Many2one(
        "crm.rotation.pool", string="Covering Pool", check_company=True, tracking=True,
        help="Instead of one user: the members of this rotation pool take turns.")
    cover_label = fields.Char(string="Cover", compute="_compute_cover_label")
    state = fields.Selection(
        COVER_STATES, default="draft", required=True, readonly=True, copy=False,
        tracking=True, index=True)
    note = fields.Text()
    started_at = fields.Datetime(readonly=True, copy=False)
    ended_at = fields.Datetime(readonly=True, copy=False)
    ended_by_id = fields.Many2one("res.users", readonly=True, copy=False)
    customer_count = fields.Integer(
        string="Customers", readonly=True, copy=False,
        help="Customers whose rep was covered when the cover started.")
    item_ids = fields.One2many("crm.rep.cover.item", "cover_id", string="Handed Over",
                               readonly=True)
    item_count = fields.Integer(compute="_compute_item_counts", string="Items")
    activity_count = fields.Integer(compute="_compute_item_counts", string="Activities")
    lead_count = fields.Integer(compute="_compute_item_counts", string="Leads")
    given_count = fields.Integer(compute="_compute_item_counts", string="With the Cover")
    returned_count = fields.Integer(compute="_compute_item_counts", string="Returned")
    done_count = fields.Integer(compute="_compute_item_counts", string="Kept: Done")
    moved_count = fields.Integer(compute="_compute_item_counts", string="Kept: Moved On")

    # ------------------------------------------------------------------
    # Computes
    # ------------------------------------------------------------------
    @api.depends("user_id", "cover_user_id", "cover_pool_id")
    def _compute_name(self):
        for cover in self:
            cover.name = self.env._("%(user)s covered by %(cover)s",
                                    user=cover.user_id.sudo().name or "",
                                    cover=cover.cover_label or "")

    @api.depends("cover_user_id", "cover_pool_id")
    def _compute_cover_label(self):
        for cover in self:
            # sudo: an associate may not read rotation pools
            cover.cover_label = cover.cover_user_id.sudo().name or cover.cover_pool_id.sudo().name

    def _compute_item_counts(self):
        counts = defaultdict(lambda: defaultdict(int))
        if self.ids:
            groups = self.env["crm.rep.cover.item"].sudo()._read_group(
                [("cover_id", "in", self.ids)], ["cover_id", "kind", "state"], ["__count"])
            for cover, kind, state, count in groups:
                counts[cover.id][kind] += count
                counts[cover.id][state] += count
        for cover in self:
            count = counts[cover.id]
            cover.activity_count, cover.lead_count = count["activity"], count["lead"]
            cover.item_count = count["activity"] + count["lead"]
            cover.given_count, cover.returned_count = count["given"], count["returned"]
            cover.done_count, cover.moved_count = count["done"], count["moved"]

    # ------------------------------------------------------------------
    # Which covers are live (routing of new leads, eligibility)
    # ------------------------------------------------------------------
    @api.model
    def _live_cover_ids(self, company, on_date):
        """{user id: cover id} of the confirmed covers of ``company`` on ``on_date``."""
        if not company or not on_date:
            return {}
        return dict(self._live_cover_map(company.id, fields.Date.to_string(on_date)))

    @api.model
    @tools.ormcache("company_id", "on_date")
    def _live_cover_map(self, company_id, on_date):
        # cached: every rotation pick and lead creation asks; cleared when a
        # cover is written (covers change seldom, leads come in all day)
        self.flush_model(["user_id", "company_id", "state", "date_from", "date_to"])
        self.env.cr.execute(
            """
            SELECT user_id, id FROM crm_rep_cover
             WHERE company_id = %s AND state IN %s AND date_from <= %s AND date_to >= %s
            """,
            [company_id, LIVE_STATES, on_date, on_date],
        )
        return tuple(self.env.cr.fetchall())

    @api.model
    def _covers_of(self, users, companies, on_date):
        """{(user id, company id): cover} of the confirmed covers of ``users`` on ``on_date``."""
        result = {}
        for company in companies:
            live = self._live_cover_ids(company, on_date)
            for user in users:
                if user.id in live:
                    result[(user.id, company.id)] = self.sudo().browse(live[user.id])
        return result

    def _cover_note(self):
        """"Covered by Y until D" (the relationship, customer and user forms)."""
        self.ensure_one()
        return self.env._("Covered by %(cover)s until %(date)s", cover=self.sudo().cover_label,
                          date=format_date(self.env, self.date_to))

    # ------------------------------------------------------------------
    # Constraints: nothing half-written, every refusal names the problem
    # ------------------------------------------------------------------
    @api.constrains("user_id", "company_id", "date_from", "date_to", "cover_user_id",
                    "cover_pool_id", "state")
    def _check_cover(self):
        _ = self.env._
        covers = self.sudo().filtered(lambda c: c.state in OPEN_STATES)
        if not covers:
            return
        # the other open covers of the same people, in one search
        people = covers.user_id | covers.cover_user_id
        others = self.sudo().search([
            ("id", "not in", covers.ids), ("state", "in", OPEN_STATES),
            ("company_id", "in", covers.company_id.ids),
            "|", ("user_id", "in", people.ids), ("cover_user_id", "in", people.ids),
        ])
        for cover in covers:
            user, company = cover.user_id, cover.company_id
            args = {"user": user.name, "company": company.name}
            if cover.date_to < cover.date_from:
                raise ValidationError(_(
                    "The cover of %(user)s ends on %(to)s, before it starts on %(from)s.",
                    to=format_date(self.env, cover.date_to),
                    **{"from": format_date(self.env, cover.date_from)}, **args))
            if bool(cover.cover_user_id) == bool(cover.cover_pool_id):
                raise ValidationError(_(
                    "Choose who covers for %(user)s: either a user or a rotation pool.", **args))
            if cover.cover_user_id == user:
                raise ValidationError(_("%(user)s cannot cover for themselves.", **args))
            if cover.cover_pool_id and cover.cover_pool_id.company_id != company:
                raise ValidationError(_(
                    "Rotation pool %(pool)s is not a pool of %(company)s and cannot cover for "
                    "%(user)s there.", pool=cover.cover_pool_id.name, **args))
            user._crm_rm_check_owner(company, what=_(
                "covered in %(company)s", company=company.name))
            # the other covers written at once count too
            cover._check_overlaps((others | covers) - cover)
            if cover.cover_user_id:
                cover.cover_user_id._crm_rm_check_owner(
                    company, cover.date_from, what=_("the cover of %(user)s", **args))

    def _check_overlaps(self, others):
        """Refuse two covers of one rep at once, and covers in chains: the cover
        away too (in particular covering back), or the rep covering someone else."""
        _ = self.env._
        cover = self
        for other in others:
            if other.company_id != cover.company_id or other.date_from > cover.date_to \
                    or other.date_to < cover.date_from:
                continue
            args = {"user": cover.user_id.name, "cover": cover.cover_label,
                    "from": format_date(self.env, other.date_from),
                    "to": format_date(self.env, other.date_to), "other": other.user_id.name,
                    "by": other.cover_label, "company": cover.company_id.name}
            if other.user_id == cover.user_id:
                raise ValidationError(_(
                    "%(user)s already has a cover in %(company)s from %(from)s to %(to)s "
                    "(by %(by)s): covers of one rep cannot overlap.", **args))
            if other.user_id == cover.cover_user_id and other.cover_user_id == cover.user_id:
                raise ValidationError(_(
                    "%(user)s and %(cover)s cannot cover for each other: %(cover)s is away "
                    "from %(from)s to %(to)s and covered by %(user)s.", **args))
            if other.user_id == cover.cover_user_id:
                raise ValidationError(_(
                    "%(cover)s is away from %(from)s to %(to)s (covered by %(by)s) and cannot "
                    "cover for %(user)s on overlapping dates.", **args))
            if other.cover_user_id == cover.user_id:
                raise ValidationError(_(
                    "%(user)s covers for %(other)s from %(from)s to %(to)s and cannot be "
                    "covered on overlapping dates.", **args))

    # ------------------------------------------------------------------
    # CRUD: rights and server-only fields
    # ------------------------------------------------------------------
    def _check_client_vals(self, vals):
        """What a client may give: neither the fields the buttons set nor, unless
        a manager, a rotation pool as the cover (pools are the managers')."""
        _ = self.env._
        if given := SERVER_FIELDS & set(vals):
            raise AccessError(_("These fields of a cover are set by its buttons: %(fields)s.",
                                fields=", ".join(sorted(given))))
        if vals.get("cover_pool_id") and not self.env.user.has_group(
                "crm_relationship_manager.group_relationship_manager"):
            raise AccessError(_("Only a relationship manager can have a rotation pool cover "
                                "for a rep."))

    @api.model_create_multi
    def create(self, vals_list):
        model = self
        if not self.env.su:
            for vals in vals_list:
                self._check_client_vals(vals)
            # nor through the defaults of its context: those are dropped
            model = self.with_env(self.env(context={
                key: value for key, value in self.env.context.items()
                if not (key.startswith("default_")
                        and key[len("default_"):] in SERVER_FIELDS | {"cover_pool_id"})}))
        covers = super(CrmRepCover, model).create(vals_list).with_env(self.env)
        self.env.registry.clear_cache()  # _live_cover_map
        return covers

    def write(self, vals):
        _ = self.env._
        if not self.env.su:
            self._check_client_vals(vals)
            started = self.filtered(lambda c: c.state not in ("draft", "planned"))
            if started and set(vals) - {"note"}:
                raise UserError(_(
                    "The cover %(cover)s has started or ended: only its note can be changed. "
                    "End it and record a new one.", cover=started[0].name))
        res = super().write(vals)
        if not self.env.su:
            # the record rules hold for the new values too (an associate cannot
            # turn their own cover into someone else's)
            self.check_access("write")
        if {"user_id", "company_id", "date_from", "date_to", "state"} & set(vals):
            self.env.registry.clear_cache()  # _live_cover_map
            self.filtered(lambda c: c.state in LIVE_STATES)._schedule()
        return res

    def unlink(self):
        if started := self.filtered(lambda c: c.state not in ("draft", "cancelled")):
            raise UserError(self.env._(
                "The cover %(cover)s was confirmed: cancel or end it instead of deleting it.",
                cover=started[0].name))
        res = super().unlink()
        self.env.registry.clear_cache()
        return res

    # ------------------------------------------------------------------
    # Buttons
    # ------------------------------------------------------------------
    def _check_may_manage(self):
        """A manager manages the covers of their companies, an associate their own
        (record rules); the buttons then work as superuser."""
        self.check_access("write")

    def action_confirm(self):
        self._check_may_manage()
        drafts = self.filtered(lambda c: c.state == "draft")
        drafts.sudo().write({"state": "planned"})
        today = fields.Date.context_today(self)
        # writing the state scheduled the start and the end
        drafts.filtered(lambda c: c.date_from <= today)._start()
        return True

    def action_end_now(self):
        """End the cover now: what the cover still holds goes back to the rep."""
        self._check_may_manage()
        self.filtered(lambda c: c.state == "planned").sudo().write({"state": "cancelled"})
        self.filtered(lambda c: c.state == "active")._end(ended_by=self.env.user)
        return True

    def action_cancel(self):
        self._check_may_manage()
        if active := self.filtered(lambda c: c.state == "active"):
            raise UserError(self.env._(
                "The cover %(cover)s has started: end it (End cover now) instead.",
                cover=active[0].name))
        self.filtered(lambda c: c.state in ("draft", "planned")).sudo().write(
            {"state": "cancelled"})
        return True

    def action_view_items(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Handed over: %(cover)s", cover=self.name),
            "res_model": "crm.rep.cover.item",
            "view_mode": "list",
            "domain": [("cover_id", "=", self.id)],
            "context": {"search_default_group_state": 1},
        }

    # ------------------------------------------------------------------
    # Scheduled action: start on the first day, end after the last one
    # ------------------------------------------------------------------
    def _schedule(self):
        cron = self.env.ref(CRON_XMLID, raise_if_not_found=False)
        if not cron:
            return
        moments = set()
        for cover in self:
            if cover.state == "planned":
                moments.add(datetime.combine(cover.date_from, time.min))
            if cover.state in LIVE_STATES:
                moments.add(datetime.combine(cover.date_to + timedelta(days=1), time.min))
        if moments:
            cron.sudo()._trigger(at=sorted(moments))

    @api.model
    def _cron_run_covers(self):
        """End the covers whose last day is over, then start those whose first day came."""
        today = fields.Date.context_today(self)
        Cover = self.sudo()
        Cover.search([("state", "=", "active"), ("date_to", "<", today)])._end()
        due = Cover.search([("state", "=", "planned"), ("date_from", "<=", today)])
        # a cover whose whole window passed unnoticed has nothing left to do
        missed = due.filtered(lambda c: c.date_to < today)
        missed.write({"state": "ended", "ended_at": fields.Datetime.now()})
        (due - missed)._start()

    # ------------------------------------------------------------------
    # Start: the open activities due in the window go to the cover
    # ------------------------------------------------------------------
    def _start(self):
        for cover in self.sudo():
            cover._start_one()

    def _start_one(self):
        """Hand the rep's open activities due by the last day, on the records of
        their customers and on their leads of the company, to the cover: one
        UPDATE per receiving user (crm.task.follow; the cover does not become a
        follower of the records for good), one INSERT writing the items, one
        handover e-mail per customer (queued)."""
        self.ensure_one()
        Follow = self.env["crm.task.follow"].sudo()
        company, user = self.company_id, self.user_id
        accounts = self._covered_accounts()
        scope = Follow._task_follow_scope(accounts, company)
        scope["records"]["crm.lead"].update(self._rep_leads())
        moves = []
        for receiver, part in self._split_scope(scope):
            moves.append(Follow._task_follow_move(
                part, user, receiver, company, "all", until=self.date_to, events=False,
                subscribe=False))
        activity_ids = [act_id for move in moves for act_id in move["activities"]]
        self._record_given_activities(activity_ids)
        for move in moves:
            move["changed_by"] = self.env.user
        Follow._task_follow_notify(moves)
        self.write({"state": "active", "started_at": fields.Datetime.now(),
                    "customer_count": len(accounts)})
        self._send_summary("start")
        self.message_post(body=self.env._(
            "Cover started: %(count)s open activities handed over.", count=len(activity_ids)))

    def _covered_accounts(self):
        """The customers (commercial entities) whose current rep in the company is the rep."""
        self.ensure_one()
        role = self.company_id._get_relationship_primary_role()
        self.env["crm.relationship"].flush_model()
        self.env.cr.execute(
            """
            SELECT DISTINCT partner_id FROM crm_relationship
             WHERE user_id = %s AND company_id = %s AND role_id = %s AND is_current
            """,
            [self.user_id.id, self.company_id.id, role.id],
        )
        return self.env["res.partner"].browse([row[0] for row in self.env.cr.fetchall()])

    def _rep_leads(self):
        """{lead id: account} of the rep's open leads of the company (a lead
        without customer is its own account, as its negated id)."""
        self.env["crm.lead"].flush_model(["user_id", "company_id", "active", "partner_id",
                                          "stage_id"])
        self.env.cr.execute(
            """
            SELECT l.id, COALESCE(p.commercial_partner_id, -l.id)
              FROM crm_lead l
         LEFT JOIN res_partner p ON p.id = l.partner_id
         LEFT JOIN crm_stage s ON s.id = l.stage_id
             WHERE l.user_id = %s AND l.active
               AND (l.company_id = %s OR l.company_id IS NULL)
               AND NOT COALESCE(s.is_won, false)
            """,
            [self.user_id.id, self.company_id.id],
        )
        return dict(self.env.cr.fetchall())

    def _receivers(self):
        """Who receives the activities: the covering user, or the members of the
        covering pool who can own the company's records today, in turn order."""
        if self.cover_user_id:
            return self.cover_user_id
        rows = self.cover_pool_id._member_rows()
        members = self.env["res.users"].browse(
            [row[0] for row in rows if row[3] and row[0] != self.user_id.id])
        return members or self.cover_pool_id.fallback_user_id

    def _split_scope(self, scope):
        """[(receiver, scope)]: with a pool, the customers are dealt out to its
        members in turn, each customer's records to one member."""
        receivers = self._receivers()
        if len(receivers) == 1:
            return [(receivers, scope)]
        accounts = sorted({acc for ids in scope["records"].values() for acc in ids.values()})
        deal = dict(zip(accounts, cycle(receivers.ids)))
        parts = {uid: {"records": {model: {} for model in scope["records"]}}
                 for uid in receivers.ids}
        for model, ids in scope["records"].items():
            for res_id, account in ids.items():
                parts[deal[account]]["records"][model][res_id] = account
        return [(receivers.browse(uid), part) for uid, part in parts.items()]

    def _record_given_activities(self, activity_ids):
        """Write the items of the activities handed over, in one INSERT (the
        items also mark the activities "covering for" the rep). No foreign key
        to check but the cover and the receiving user: the rep is the cover's,
        and the cover says who wrote them."""
        if not activity_ids:
            return
        self.env.cr.execute(
            """
            INSERT INTO crm_rep_cover_item
                   (cover_id, kind, res_model, res_id, record_model, record_id, name,
                    to_user_id, state, create_date, write_date)
            SELECT %(cover)s, 'activity', 'mail.activity', id, res_model, res_id,
                   COALESCE(NULLIF(summary, ''), res_name), user_id, 'given', %(now)s, %(now)s
              FROM mail_activity
             WHERE id = ANY(%(ids)s)
            """,
            {"cover": self.id, "ids": sorted(activity_ids), "now": fields.Datetime.now()},
        )
        self.invalidate_recordset(["item_ids"])

    # ------------------------------------------------------------------
    # New leads during the cover
    # ------------------------------------------------------------------
    @api.model
    def _redirect_lead_values(self, vals_list):
        """Leads about to be created whose Salesperson is a covered rep: the cover
        gets them instead (a covering pool picks, sticky and turns as usual).

        :return: [(index, cover, rotation decision or None)] for the values redirected
        """
        ctx = self.env.context
        Team = self.env["crm.team"].sudo()
        today = fields.Date.context_today(self)
        wanted = []
        for index, vals in enumerate(vals_list):
            user_id = vals.get("user_id", ctx.get("default_user_id")
                               or ctx.get("default_colleague_id"))
            if not user_id or not isinstance(user_id, int):
                continue
            company_id = vals.get("company_id") or ctx.get("default_company_id") or \
                Team.browse(vals.get("team_id") or ctx.get("default_team_id") or []
                            ).company_id.id or self.env.company.id
            wanted.append((index, user_id, company_id))
        if not wanted:
            return []
        Company = self.env["res.company"]
        live = {cid: self._live_cover_ids(Company.browse(cid), today)
                for cid in {company_id for _i, _u, company_id in wanted}}
        redirected = []
        # a covering pool picks for all its leads at once (one lock, one turn state)
        pool_requests = defaultdict(list)  # pool -> [(position in redirected, request)]
        for index, user_id, company_id in wanted:
            cover_id = live[company_id].get(user_id)
            if not cover_id:
                continue
            cover = self.sudo().browse(cover_id)
            vals = vals_list[index]
            if cover.cover_pool_id:
                partner = self.env["res.partner"].sudo().browse(
                    vals.get("partner_id") or ctx.get("default_partner_id") or [])
                pool_requests[cover.cover_pool_id].append(
                    (len(redirected), {"partner": partner, "lead_vals": vals}))
            else:
                vals["user_id"] = cover.cover_user_id.id
            redirected.append([index, cover, None])
        for pool, requests in pool_requests.items():
            decisions = pool._pick_batch([request for _pos, request in requests])
            for (pos, _request), decision in zip(requests, decisions):
                index, cover, _none = redirected[pos]
                decision["covered_user"] = cover.user_id
                vals_list[index]["user_id"] = decision["user"].id
                redirected[pos][2] = decision
        return [tuple(item) for item in redirected]

    @api.model
    def _after_leads_redirected(self, leads, redirected):
        """Log each redirected lead (chatter, and the pool's log for a pool) and
        record it on its cover."""
        decisions = [(leads[index], decision) for index, _cover, decision in redirected
                     if decision]
        if decisions:
            self.env["crm.rotation.pool"]._log_decisions(
                [decision for _lead, decision in decisions],
                [lead for lead, _decision in decisions])
        received = [(leads[index].sudo(), cover, leads[index].sudo().user_id)
                    for index, cover, _decision in redirected]
        self._record_received_leads(received)

    @api.model
    def _record_received_leads(self, received):
        """Record the new leads covers received: [(lead, cover, receiving user)];
        the chatter of each lead says whom it covers for."""
        if not received:
            return
        self.env["crm.rep.cover.item"].sudo().create([{
            "cover_id": cover.id, "kind": "lead", "res_model": "crm.lead", "res_id": lead.id,
            "record_model": "crm.lead", "record_id": lead.id, "name": lead.name,
            "to_user_id": user.id, "state": "given",
        } for lead, cover, user in received])
        bodies = {}
        for lead, cover, user in received:
            bodies[lead.id] = Markup("<p>%s</p>") % self.env._(
                "Assigned to %(cover)s, covering for %(rep)s (away until %(date)s).",
                cover=user.name, rep=cover.user_id.name,
                date=format_date(self.env, cover.date_to))
        leads = self.env["crm.lead"].sudo().browse(list(bodies))
        leads._message_log_batch(bodies=bodies)

    # ------------------------------------------------------------------
    # End: what the cover still holds goes back
    # ------------------------------------------------------------------
    def _end(self, ended_by=None):
        for cover in self.sudo():
            cover._end_one(ended_by)

    def _end_one(self, ended_by=None):
        """Give back every item still with the cover: an activity still open and
        still assigned to whom it was given, a lead still open and still with
        whom it was given. The others are kept and said why (done, moved on)."""
        self.ensure_one()
        returned = self._return_activities()
        returned_leads = self._return_leads()
        self.env["crm.rep.cover.item"].invalidate_model(["state"])
        self.write({"state": "ended", "ended_at": fields.Datetime.now(),
                    "ended_by_id": ended_by.id if ended_by else False})
        self.invalidate_recordset()
        self._send_summary("end")
        self.message_post(body=self.env._(
            "Cover ended: %(activities)s activities and %(leads)s leads returned to %(user)s; "
            "%(done)s kept because done, %(moved)s kept because moved on.",
            activities=returned, leads=returned_leads, user=self.user_id.name,
            done=self.done_count, moved=self.moved_count))

    def _return_activities(self):
        """One UPDATE gives back the activities and marks their items returned;
        one more says why the others were kept. :return: count returned"""
        cr, now = self.env.cr, fields.Datetime.now()
        self.env["mail.activity"].flush_model()
        self.env["crm.rep.cover.item"].flush_model()
        cr.execute(
            """
            WITH back AS (
                UPDATE mail_activity a
                   SET user_id = %(user)s, user_tz = %(tz)s, write_uid = %(uid)s,
                       write_date = %(now)s
                  FROM crm_rep_cover_item i
                 WHERE i.cover_id = %(cover)s AND i.kind = 'activity' AND i.state = 'given'
                   AND a.id = i.res_id AND a.active AND a.user_id = i.to_user_id
             RETURNING i.id AS item_id, a.res_model, a.res_id
            ), marked AS (
                UPDATE crm_rep_cover_item i SET state = 'returned', write_date = %(now)s
                  FROM back WHERE i.id = back.item_id
             RETURNING back.res_model, back.res_id
            )
            SELECT res_model, array_agg(res_id) FROM marked GROUP BY res_model
            """,
            {"cover": self.id, "user": self.user_id.id, "tz": self.user_id.tz or None,
             "uid": self.env.uid, "now": now},
        )
        by_model = dict(cr.fetchall())
        cr.execute(
            """
            UPDATE crm_rep_cover_item i
               SET state = CASE WHEN EXISTS (SELECT 1 FROM mail_activity a
                                              WHERE a.id = i.res_id AND a.active)
                                THEN 'moved' ELSE 'done' END,
                   write_date = %(now)s
             WHERE i.cover_id = %(cover)s AND i.kind = 'activity' AND i.state = 'given'
            """,
            {"cover": self.id, "now": now},
        )
        Activity = self.env["mail.activity"]
        Activity.invalidate_model(["user_id", "user_tz", "write_uid", "write_date"])
        if by_model:
            # the rep followed the records already (Odoo subscribes an activity's
            # assignee), and the cover did not start to: no follower changes
            self.user_id._bus_send("mail.activity/updated", {"activity_created": True})
        return sum(len(ids) for ids in by_model.values())

    def _return_leads(self):
        """Open leads still with whom they were given go back (one lead move per
        team); the others are kept. :return: count returned"""
        Item = self.env["crm.rep.cover.item"].sudo()
        items = Item.search([("cover_id", "=", self.id), ("kind", "=", "lead"),
                             ("state", "=", "given")])
        if not items:
            return 0
        leads = self.env["crm.lead"].sudo().with_context(active_test=False).browse(
            items.mapped("res_id")).exists()
        leads.fetch(["active", "user_id", "stage_id"])
        by_id = {lead.id: lead for lead in leads}
        back_ids, state = [], {}
        for item in items:
            lead = by_id.get(item.res_id)
            if not lead or not lead.active or lead.stage_id.is_won:
                state[item.id] = "done"
            elif lead.user_id != item.to_user_id:
                state[item.id] = "moved"
            else:
                state[item.id] = "returned"
                back_ids.append(lead.id)
        for value in ("returned", "done", "moved"):
            Item.browse([item_id for item_id, s in state.items() if s == value]).write(
                {"state": value})
        back = self.env["crm.lead"].sudo().browse(back_ids)
        back._crm_rm_move_owner(self.user_id, self.company_id)
        return len(back)

    # ------------------------------------------------------------------
    # Summary e-mails: one to the rep and one to each covering user
    # ------------------------------------------------------------------
    def _summary_recipients(self):
        """[(user, role)]: the rep ('away') and who covers ('cover')."""
        if self.cover_user_id:
            covering = self.cover_user_id
        else:
            covering = self.item_ids.to_user_id or \
                self.cover_pool_id.fallback_user_id
        return [(self.user_id, "away")] + [(user, "cover") for user in covering]

    def _send_summary(self, moment):
        template = self.env.ref(
            f"crm_relationship_manager.mail_template_rep_cover_{moment}",
            raise_if_not_found=False)
        if not template:
            return
        for user, role in self._summary_recipients():
            user = user.sudo()
            if not user.partner_id.email:
                continue
            template.sudo().with_context(
                lang=user.lang or self.env.lang, cover_recipient=user.name,
                cover_role=role,
            ).send_mail(self.id, email_values={
                "recipient_ids": [(6, 0, user.partner_id.ids)],
                "auto_delete": True,
            })
