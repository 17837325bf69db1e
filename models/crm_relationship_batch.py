# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import logging
import time
from collections import Counter, defaultdict

from markupsafe import Markup

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError

from ..context_keys import SERVER, TASK_FOLLOW_SKIP
from .crm_relationship_batch_line import distribute

_logger = logging.getLogger(__name__)

BATCH_STATES = [
    ("draft", "Draft"),
    ("queued", "Queued"),
    ("running", "Running"),
    ("done", "Done"),
    ("failed", "Failed"),
    ("reverted", "Reverted"),
]
# Seconds one cron run spends on batches before it hands over (re-triggering
# itself); below the default real-time limit of a cron worker (120 s), so a run is
# not killed in the middle of a chunk (which would only cost the chunk's redo).
CRON_TIME_BUDGET = 60
# Customers named in an error message, at most.
NAMED = 5
# Fields the batch maintains itself: no client may write them (readonly in a
# view is only a hint); the batch writes them as the system.
SYSTEM_FIELDS = {
    "user_id", "state", "items_total", "items_processed", "chunk_next", "leads_moved",
    "date_started", "date_done", "error", "problems", "preview_done", "preview_leads",
    "preview_activities", "preview_meetings", "preview_html", "summary_html", "item_ids",
}


class CrmRelationshipBatch(models.Model):
    """Mass reassignment of customer relationships, processed in the background.

    A batch has lines (a rep's book or an audience, and the reps receiving the
    customers). Preview and Start compute one *item* per (customer, company,
    role) with a deterministic distribution; the cron then applies the items in
    chunks, one transaction per chunk, through ``crm.relationship._assign``.
    """

    _name = "crm.relationship.batch"
    _inherit = ["mail.thread"]
    _description = "Mass Relationship Reassignment"
    _order = "id desc"

    name = fields.Char(
        string="Reference", required=True, readonly=True, copy=False, default="/"
    )
    user_id = fields.Many2one(
        "res.users", string="Initiator", required=True, readonly=True,
        default=lambda self: self.env.user, ondelete="restrict",
    )
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company,
        domain=lambda self: [("id", "in", self.env.companies.ids)],
    )
    state = fields.Selection(
        BATCH_STATES, default="draft", required=True, readonly=True, copy=False,
        tracking=True, index=True,
    )
    move_leads = fields.Boolean(
        string="Move Open Leads and Opportunities", default=True,
        help="Also give the customers' open leads and opportunities of the previous "
        "rep to the new rep (for the company's Salesperson role).",
    )
    line_ids = fields.One2many(
        "crm.relationship.batch.line", "batch_id", string="Reassignments", copy=True
    )
    item_ids = fields.One2many(
        "crm.relationship.batch.item", "batch_id", string="Customers", readonly=True
    )
    chunk_size = fields.Integer(
        default=5000, required=True,
        help="Customers changed per transaction while the batch runs.",
    )
    items_total = fields.Integer(string="Customers to Change", readonly=True, copy=False)
    items_processed = fields.Integer(string="Processed", readonly=True, copy=False)
    chunk_next = fields.Integer(
        string="Next Chunk", readonly=True, copy=False,
        help="Lowest chunk that may still have pending customers (chunks are applied "
        "in order, each in one transaction).")
    progress = fields.Float(compute="_compute_progress")
    leads_moved = fields.Integer(readonly=True, copy=False)
    date_started = fields.Datetime(string="Started", readonly=True, copy=False)
    date_done = fields.Datetime(string="Finished", readonly=True, copy=False)
    error = fields.Text(string="Error Detail", readonly=True, copy=False)
    problems = fields.Text(readonly=True, copy=False)
    preview_done = fields.Boolean(readonly=True, copy=False)
    preview_leads = fields.Integer(string="Open Leads and Opportunities", readonly=True,
                                   copy=False)
    preview_activities = fields.Integer(string="Open Activities", readonly=True, copy=False)
    preview_meetings = fields.Integer(string="Future Meetings", readonly=True, copy=False)
    preview_html = fields.Html(string="Preview", readonly=True, copy=False)
    summary_html = fields.Html(string="Summary", readonly=True, copy=False)

    @api.depends("items_total", "items_processed")
    def _compute_progress(self):
        for batch in self:
            batch.progress = (
                100.0 * batch.items_processed / batch.items_total if batch.items_total else 0.0
            )

    # ------------------------------------------------------------------
    # ORM
    # ------------------------------------------------------------------
    def _check_system_fields(self, vals_list, creating=False):
        if self.env.su:
            return
        # on create, the initiator and the draft state are set below anyway
        system = SYSTEM_FIELDS - {"user_id", "state"} if creating else SYSTEM_FIELDS
        for vals in vals_list:
            if forbidden := system & set(vals):
                raise AccessError(_("These fields of a mass reassignment are maintained by "
                                    "the batch itself: %(fields)s.",
                                    fields=", ".join(sorted(forbidden))))

    @api.model_create_multi
    def create(self, vals_list):
        self._check_manager_rights()
        self._check_system_fields(vals_list, creating=True)
        for vals in vals_list:
            if vals.get("name", "/") == "/":
                vals["name"] = self.env["ir.sequence"].next_by_code(
                    "crm.relationship.batch") or "/"
            vals["user_id"] = self.env.uid
            vals["state"] = "draft"
        batches = super().create(vals_list)
        batches._check_manager_rights()
        return batches

    def write(self, vals):
        if self.env.su:
            return super().write(vals)
        self._check_manager_rights()
        self._check_system_fields([vals])
        locked = set(vals) - {"message_main_attachment_id"}
        if locked and self.filtered(lambda b: b.state != "draft"):
            raise UserError(_("Only a draft batch can be changed."))
        res = super().write(vals)
        self._check_manager_rights()  # the new values too (e.g. another company)
        return res

    def unlink(self):
        self._check_manager_rights()
        if self.filtered(lambda b: b.state not in ("draft", "failed")) or self.filtered(
            lambda b: b.state == "failed" and b.items_processed
        ):
            raise UserError(_("Only draft batches (or failed ones that changed nothing) "
                              "can be deleted; the others are history."))
        return super().unlink()

    # ------------------------------------------------------------------
    # Rights
    # ------------------------------------------------------------------
    def _check_manager_rights(self):
        """Relationship Managers only, in their allowed companies (server side)."""
        if self.env.su:
            return
        Rel = self.env["crm.relationship"]
        if not Rel._is_relationship_manager():
            raise AccessError(_("Only Relationship Managers can manage relationships in bulk."))
        for batch in self:
            companies = batch.company_id | batch.line_ids.company_id
            foreign = companies - (self.env.user.company_ids & self.env.companies)
            if foreign:
                raise AccessError(
                    _("You cannot manage relationships of company %(company)s: it is not "
                      "one of your allowed companies.", company=foreign[0].name))

    def _check_editable(self):
        """Lines and reps of a batch change only while it is a draft, by managers."""
        if self.env.su:
            return
        self._check_manager_rights()
        if self.filtered(lambda b: b.state != "draft"):
            raise UserError(_("Only a draft batch can be changed."))

    # ------------------------------------------------------------------
    # Preview and items
    # ------------------------------------------------------------------
    def _primary_role_pairs(self, company_ids):
        companies = self.env["res.company"].sudo().browse(list(company_ids))
        return {(c.id, c._get_relationship_primary_role().id) for c in companies}

    def _compute_items(self):
        """Recompute the items of a draft batch (deterministically) and return the
        problems found. Set-wise: one INSERT for all items."""
        self.ensure_one()
        cr = self.env.cr
        self.env.flush_all()
        cr.execute("DELETE FROM crm_relationship_batch_item WHERE batch_id = %s", (self.id,))
        self.invalidate_recordset(["item_ids"])
        problems = []
        rows = []  # (sort key..., line, target user, state, note)
        seen = {}
        for line in self.line_ids:
            line_problems = line._check_line()
            problems += line_problems
            if line_problems:
                line.target_ids.preview_count = 0
                line.preview_total = line.preview_unchanged = 0
                continue
            customers = line._get_customer_rows()
            users = line.target_ids.user_id
            picks = distribute(len(customers), line._get_shares())
            counts = Counter()
            unchanged = 0
            for (partner_id, company_id, role_id, old_user_id, rel_id), k in zip(customers, picks):
                key = (partner_id, company_id, role_id)
                if key in seen:
                    if seen[key] != line.id:
                        problems.append(("dup", partner_id, seen[key], line.id))
                    continue
                seen[key] = line.id
                new_user_id = users[k].id
                state = "pending"
                if old_user_id == new_user_id:
                    state = "skipped"
                    unchanged += 1
                else:
                    counts[new_user_id] += 1
                rows.append((company_id, role_id, new_user_id, partner_id, line.id,
                             old_user_id, rel_id, state))
            for target in line.target_ids:
                target.preview_count = counts[target.user_id.id]
            line.preview_total = len(customers)
            line.preview_unchanged = unchanged
        # customers in two lines
        dups = [p for p in problems if isinstance(p, tuple)]
        problems = [p for p in problems if not isinstance(p, tuple)]
        if dups:
            partners = self.env["res.partner"].browse({d[1] for d in dups})
            problems.append(_(
                "%(count)s customer(s) are in more than one line, e.g. %(customers)s: "
                "each customer can be reassigned by one line only.",
                count=len(partners), customers=", ".join(partners[:NAMED].mapped("display_name"))))
        rows.sort(key=lambda row: row[:5])
        pending = [row for row in rows if row[7] == "pending"]
        size = max(self.chunk_size, 1)
        chunk_of = {id(row): index // size for index, row in enumerate(pending)}
        if rows:
            cr.execute(
                """
                INSERT INTO crm_relationship_batch_item
                       (batch_id, company_id, role_id, new_user_id, partner_id, line_id,
                        old_user_id, previous_relationship_id, state, chunk, note,
                        leads_moved)
                SELECT %(batch)s, t.company_id, t.role_id, t.new_user_id, t.partner_id,
                       t.line_id, t.old_user_id, t.rel_id, t.state, t.chunk,
                       CASE WHEN t.state = 'skipped' THEN %(note)s END, 0
                  FROM unnest(%(company)s::int[], %(role)s::int[], %(new)s::int[],
                              %(partner)s::int[], %(line)s::int[], %(old)s::int[],
                              %(rel)s::int[], %(state)s::varchar[], %(chunk)s::int[])
                       AS t(company_id, role_id, new_user_id, partner_id, line_id,
                            old_user_id, rel_id, state, chunk)
                """,
                {
                    "batch": self.id,
                    "note": _("Already the rep: unchanged."),
                    "company": [r[0] for r in rows], "role": [r[1] for r in rows],
                    "new": [r[2] for r in rows], "partner": [r[3] for r in rows],
                    "line": [r[4] for r in rows], "old": [r[5] for r in rows],
                    "rel": [r[6] for r in rows], "state": [r[7] for r in rows],
                    "chunk": [chunk_of.get(id(r), -1) for r in rows],
                },
            )
            # fresh statistics: the planner must see the new items for the checks
            # and for the chunk queries (a 100,000-row insert is not auto-analyzed
            # before the transaction ends)
            cr.execute("ANALYZE crm_relationship_batch_item")
        if not pending and not problems:
            problems.append(_("No customer relationship would change."))
        problems += self._check_items_problems()
        return problems

    def _check_items_problems(self):
        """Problems of the computed items: targets who cannot take the customers of
        a company (archived, not internal, outside the company), customers already
        in another queued or running batch."""
        self.ensure_one()
        cr = self.env.cr
        problems = []
        cr.execute(
            """
            SELECT new_user_id, company_id, count(*) FROM crm_relationship_batch_item
             WHERE batch_id = %s AND state = 'pending'
             GROUP BY new_user_id, company_id ORDER BY new_user_id, company_id
            """, (self.id,))
        Rel = self.env["crm.relationship"]
        for user_id, company_id, count in cr.fetchall():
            user = self.env["res.users"].sudo().with_context(active_test=False).browse(user_id)
            company = self.env["res.company"].sudo().browse(company_id)
            try:
                Rel._check_rep(user, company)
            except ValidationError as exc:
                problems.append(_("%(problem)s (%(count)s customer(s))",
                                  problem=exc.args[0], count=count))
        # customers of another queued or running batch
        self.flush_model(["state"])
        cr.execute("SELECT id FROM crm_relationship_batch WHERE state IN ('queued', 'running') "
                   "AND id != %s", (self.id,))
        active_ids = [row[0] for row in cr.fetchall()]
        if not active_ids:
            return problems
        cr.execute(
            """
            SELECT o.batch_id, array_agg(DISTINCT o.partner_id)
              FROM crm_relationship_batch_item i
              JOIN crm_relationship_batch_item o
                ON o.partner_id = i.partner_id AND o.company_id = i.company_id
               AND o.batch_id = ANY(%s) AND o.state = 'pending'
             WHERE i.batch_id = %s AND i.state = 'pending'
             GROUP BY o.batch_id ORDER BY o.batch_id
            """, (active_ids, self.id))
        for batch_id, partner_ids in cr.fetchall():
            other = self.sudo().browse(batch_id)
            partners = self.env["res.partner"].sudo().browse(sorted(partner_ids))
            problems.append(_(
                "%(count)s customer(s) are already being reassigned by batch %(batch)s "
                "(%(state)s): %(customers)s. Wait until it is finished.",
                count=len(partners), batch=other.name,
                state=dict(BATCH_STATES)[other.state],
                customers=", ".join(partners[:NAMED].mapped("display_name"))
                + (", …" if len(partners) > NAMED else "")))
        return problems

    def _open_lead_rows(self, item_ids, company_ids=None):
        """Open leads/opportunities that move with the given pending items:
        (lead id, item id), for items of the company's Salesperson role, leads of
        the customer (or its contacts) in that company held by the previous rep.

        :param company_ids: the items' companies, when the caller knows them
        """
        if not item_ids:
            return []
        pairs = self._primary_role_pairs(company_ids or self._item_companies(item_ids))
        self.env["crm.lead"].flush_model(["user_id", "partner_id", "company_id", "active",
                                          "stage_id"])
        self.env.cr.execute(
            """
            SELECT l.id, i.id
              FROM crm_relationship_batch_item i
              JOIN unnest(%s::int[], %s::int[]) AS pr(company_id, role_id)
                ON pr.company_id = i.company_id AND pr.role_id = i.role_id
              JOIN res_partner p ON p.commercial_partner_id = i.partner_id
              JOIN crm_lead l
                ON l.partner_id = p.id AND l.user_id = i.old_user_id AND l.active
               AND (l.company_id = i.company_id OR l.company_id IS NULL)
              LEFT JOIN crm_stage s ON s.id = l.stage_id
             WHERE i.id = ANY(%s) AND s.is_won IS NOT TRUE
             ORDER BY l.id
            """,
            ([p[0] for p in pairs], [p[1] for p in pairs], list(item_ids)),
        )
        return self.env.cr.fetchall()

    def _item_companies(self, item_ids=None):
        """Companies of the given items, or of the batch's pending items."""
        if item_ids is None:
            self.env.cr.execute(
                "SELECT DISTINCT company_id FROM crm_relationship_batch_item "
                "WHERE batch_id = %s AND state = 'pending'", (self.id,))
        else:
            self.env.cr.execute(
                "SELECT DISTINCT company_id FROM crm_relationship_batch_item WHERE id = ANY(%s)",
                (list(item_ids),))
        return [row[0] for row in self.env.cr.fetchall()]

    def _pending_item_ids(self):
        self.env.cr.execute(
            "SELECT id FROM crm_relationship_batch_item WHERE batch_id = %s AND state = 'pending'",
            (self.id,))
        return [row[0] for row in self.env.cr.fetchall()]

    def _count_followers(self, item_ids, lead_rows):
        """(open activities moved per the task-follow policy, future meetings) of the
        previous reps on the customers and on their open leads (``lead_rows``)."""
        if not item_ids:
            return 0, 0
        cr = self.env.cr
        self.env["mail.activity"].flush_model()
        self.env["calendar.event"].flush_model()
        cr.execute(
            """
            WITH items AS (
                SELECT i.id, i.partner_id, i.old_user_id, c.task_follow_policy AS policy
                  FROM crm_relationship_batch_item i
                  JOIN res_company c ON c.id = i.company_id
                 WHERE i.id = ANY(%(items)s) AND i.old_user_id IS NOT NULL
            ), docs AS (
                SELECT p.id AS res_id, 'res.partner' AS res_model, it.old_user_id, it.policy
                  FROM items it JOIN res_partner p ON p.commercial_partner_id = it.partner_id
                UNION ALL
                SELECT l.id, 'crm.lead', it.old_user_id, it.policy
                  FROM unnest(%(leads)s::int[], %(lead_items)s::int[]) AS m(lead_id, item_id)
                  JOIN items it ON it.id = m.item_id
                  JOIN crm_lead l ON l.id = m.lead_id
            )
            SELECT count(a.id)
              FROM docs d
              JOIN mail_activity a
                ON a.res_model = d.res_model AND a.res_id = d.res_id
               AND a.user_id = d.old_user_id AND a.active
             WHERE d.policy = 'all' OR (d.policy = 'automated' AND a.automated IS TRUE)
            """,
            {"items": list(item_ids), "leads": [r[0] for r in lead_rows],
             "lead_items": [r[1] for r in lead_rows]},
        )
        activities = cr.fetchone()[0]
        cr.execute(
            """
            SELECT count(DISTINCT e.id)
              FROM crm_relationship_batch_item i
              JOIN res_partner p ON p.commercial_partner_id = i.partner_id
              JOIN calendar_event_res_partner_rel r ON r.res_partner_id = p.id
              JOIN calendar_event e ON e.id = r.calendar_event_id
               AND e.user_id = i.old_user_id AND e.active AND e.start > now() at time zone 'UTC'
             WHERE i.id = ANY(%s)
            """,
            (list(item_ids),),
        )
        meetings = cr.fetchone()[0]
        return activities, meetings

    def _render_preview(self, problems):
        self.ensure_one()
        parts = []
        for line in self.line_ids:
            rows = Markup("").join(
                Markup("<tr><td>{}</td><td class='text-end'>{}</td></tr>").format(
                    target.user_id.name, target.preview_count)
                for target in line.target_ids)
            parts.append(Markup(
                "<div class='mb-2'><strong>{title}</strong> — {total}"
                "<table class='table table-sm o_crm_rm_preview'><thead><tr><th>{rep}</th>"
                "<th class='text-end'>{customers}</th></tr></thead><tbody>{rows}</tbody>"
                "</table>{unchanged}</div>").format(
                    title=line.display_name,
                    total=_("%(count)s customer(s)", count=line.preview_total),
                    rep=_("New rep"), customers=_("Customers"), rows=rows,
                    unchanged=_("%(count)s already with their new rep (unchanged).",
                                count=line.preview_unchanged)
                    if line.preview_unchanged else ""))
        companies = self.env["res.company"].browse(self._item_companies()
                                                   or self.company_id.ids)
        policies = dict(self.env["res.company"]._fields["task_follow_policy"]
                        ._description_selection(self.env))
        moves = [
            _("Open leads and opportunities: %(count)s (%(what)s)", count=self.preview_leads,
              what=_("moved") if self.move_leads else _("not moved")),
            _("Open activities moved per the task-follow policy: %(count)s",
              count=self.preview_activities),
            _("Future meetings of the previous reps with these customers: %(count)s",
              count=self.preview_meetings),
        ]
        for company in companies:
            moves.append(_("Task-follow policy of %(company)s: %(policy)s",
                           company=company.name,
                           policy=policies.get(company.task_follow_policy)))
        parts.append(Markup("<div class='mb-2'><strong>{}</strong><ul>{}</ul></div>").format(
            _("What moves along"),
            Markup("").join(Markup("<li>{}</li>").format(m) for m in moves)))
        if problems:
            parts.append(Markup("<div class='alert alert-danger o_crm_rm_problems'>"
                                "<strong>{}</strong><ul>{}</ul></div>").format(
                _("Problems to fix before starting"),
                Markup("").join(Markup("<li>{}</li>").format(p) for p in problems)))
        return Markup("").join(parts)

    def _preview(self):
        self.ensure_one()
        problems = self._compute_items()
        item_ids = self._pending_item_ids()
        lead_rows = self._open_lead_rows(item_ids)
        activities, meetings = self._count_followers(item_ids, lead_rows)
        self.sudo().write({
            "preview_leads": len(lead_rows),
            "preview_activities": activities,
            "preview_meetings": meetings,
            "preview_done": True,
            "problems": "\n".join(problems) or False,
        })
        self.sudo().preview_html = self._render_preview(problems)
        return problems

    def action_preview(self):
        self.ensure_one()
        self._check_manager_rights()
        if self.state != "draft":
            raise UserError(_("Only a draft batch can be previewed."))
        self._preview()
        return True

    def action_start(self):
        """Validate, compute the items again (same distribution as the preview),
        queue the batch and wake the cron worker. Returns at once."""
        self.ensure_one()
        self._check_manager_rights()
        if self.state != "draft":
            raise UserError(_("Batch %(batch)s is already started.", batch=self.name))
        # serialize starts: two batches cannot both pass the overlap check
        self.env.cr.execute("SELECT pg_advisory_xact_lock(hashtext('crm_relationship_batch'))")
        problems = self._preview()
        if problems:
            raise UserError(_("Batch %(batch)s cannot start:\n%(problems)s",
                              batch=self.name, problems="\n".join(problems)))
        self.env.cr.execute(
            "SELECT count(*) FROM crm_relationship_batch_item WHERE batch_id = %s "
            "AND state != 'pending'", (self.id,))
        unchanged = self.env.cr.fetchone()[0]
        total = len(self._pending_item_ids())
        self.sudo().write({
            "state": "queued", "items_total": total + unchanged,
            "items_processed": unchanged, "error": False, "chunk_next": 0,
        })
        self.message_post(body=_("Started by %(user)s: %(count)s customer relationship(s) "
                                 "to change.", user=self.env.user.name, count=total))
        self.env.ref("crm_relationship_manager.ir_cron_crm_relationship_batch")._trigger()
        return True

    def action_retry(self):
        """Queue a failed batch again: its pending items are processed."""
        self._check_manager_rights()
        for batch in self:
            if batch.state != "failed":
                raise UserError(_("Only a failed batch can be retried."))
            batch.sudo().write({"state": "queued", "error": False})
            batch.message_post(body=_("Retried by %(user)s.", user=self.env.user.name))
        self.env.ref("crm_relationship_manager.ir_cron_crm_relationship_batch")._trigger()
        return True

    def action_view_items(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": _("Customers of %(batch)s", batch=self.name),
            "res_model": "crm.relationship.batch.item",
            "view_mode": "list",
            "domain": [("batch_id", "=", self.id)],
            "context": {"search_default_group_state": 1},
        }

    # ------------------------------------------------------------------
    # Background processing
    # ------------------------------------------------------------------
    def _batch_commit(self):
        """Commit the chunk (the cron's transaction). Tests replace it."""
        self.env.cr.commit()

    @api.model
    def _claim_batch(self):
        """Lock the next queued or running batch; other workers skip it."""
        self.flush_model(["state"])
        self.env.cr.execute(
            """
            SELECT id FROM crm_relationship_batch
             WHERE state IN ('queued', 'running')
             ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED
            """)
        row = self.env.cr.fetchone()
        return self.sudo().browse(row[0]) if row else self.browse()

    @api.model
    def _cron_process_batches(self, time_budget=CRON_TIME_BUDGET, max_chunks=None):
        """Cron: process queued batches chunk by chunk, one transaction per chunk.

        A chunk's relationship changes, lead moves, its items' states and the
        batch's progress are committed together; a crash loses at most the chunk
        in progress, whose items are still pending and are done by the next run.
        """
        deadline = time.monotonic() + time_budget
        chunks = 0
        while time.monotonic() < deadline and (max_chunks is None or chunks < max_chunks):
            batch = self._claim_batch()
            if not batch:
                break
            try:
                with self.env.cr.savepoint():
                    batch._process_chunk()
                    batch.flush_recordset()
            except Exception as exc:  # the chunk is rolled back to the savepoint
                _logger.exception("Relationship batch %s failed", batch.name)
                batch._fail(exc)
            self._batch_commit()
            chunks += 1
        self.env.flush_all()
        self.env.cr.execute(
            """
            SELECT COALESCE(sum(items_total - items_processed), 0)
              FROM crm_relationship_batch WHERE state IN ('queued', 'running')
            """)
        remaining = self.env.cr.fetchone()[0]
        # with progress reported, Odoo's cron runs the job again at once while work
        # remains; a run that did nothing (e.g. a batch locked by another worker),
        # or a call outside a cron job, leaves a trigger instead
        self.env["ir.cron"]._notify_progress(done=chunks, remaining=remaining)
        if remaining and not (chunks and self.env.context.get("ir_cron_progress_id")):
            self.env.ref("crm_relationship_manager.ir_cron_crm_relationship_batch")._trigger()
        return chunks

    def _fail(self, exc):
        self.ensure_one()
        detail = str(exc.args[0]) if isinstance(exc, UserError) and exc.args else repr(exc)
        self.write({"state": "failed", "error": detail})
        self.message_post(body=_("The batch failed: %(error)s", error=detail))

    def _initiator_env(self):
        """Relationship changes are made as the initiator (rights are checked again)."""
        user = self.user_id
        # No "you have been assigned to <customer>" e-mail and no Salesperson
        # tracking message per customer: the relationship history records every
        # change with the batch reference, and the initiator gets one summary.
        return self.env(user=user, context=dict(
            self.env.context, allowed_company_ids=user.company_ids.ids,
            mail_auto_subscribe_no_notify=True, tracking_disable=True))

    def _process_chunk(self):
        """Apply the next chunk of pending items in the current transaction.

        :return: the number of items processed
        """
        self.ensure_one()
        cr = self.env.cr
        if self.state == "queued":
            self.write({"state": "running", "date_started": fields.Datetime.now()})
        # chunks are applied in order: start looking at the first unfinished one
        # (an index range scan, not a scan of the customers already done)
        cr.execute(
            """
            SELECT chunk FROM crm_relationship_batch_item
             WHERE batch_id = %s AND chunk >= %s AND state = 'pending'
             ORDER BY chunk LIMIT 1
            """, (self.id, self.chunk_next))
        row = cr.fetchone()
        if row is None:
            self._finish()
            return 0
        chunk = row[0]
        cr.execute(
            """
            SELECT id, partner_id, company_id, role_id, old_user_id, new_user_id,
                   previous_relationship_id
              FROM crm_relationship_batch_item
             WHERE batch_id = %s AND chunk = %s AND state = 'pending'
             ORDER BY id FOR UPDATE
            """, (self.id, chunk))
        items = cr.fetchall()
        groups = defaultdict(list)
        for item in items:
            groups[(item[5], item[3], item[2])].append(item)
        env = self._initiator_env()
        Rel = env["crm.relationship"]
        primary = self._primary_role_pairs({key[2] for key in groups})
        done, skipped, errors = set(), {}, {}
        moved_by_item = Counter()
        leads_total = 0
        for (user_id, role_id, company_id), group in groups.items():
            company = env["res.company"].browse(company_id)
            user = env["res.users"].browse(user_id)
            role = env["crm.relationship.role"].browse(role_id)
            current = self._current_relationships([i[1] for i in group], company_id, role_id)
            apply = []
            for item in group:
                rel_id, rel_user = current.get(item[1], (None, None))
                if rel_user == user_id:
                    skipped[item[0]] = _("Already the rep: unchanged.")
                elif rel_id != item[6]:
                    skipped[item[0]] = _("Changed by someone else since the batch started.")
                else:
                    apply.append(item)
            if not apply:
                continue
            try:
                with cr.savepoint():
                    Rel.with_company(company)._assign(
                        env["res.partner"].browse([i[1] for i in apply]), user, role=role,
                        company=company, source="mass", reason=self.name,
                        extra_vals={"batch_id": self.id},
                    )
                    moved = Counter()
                    if self.move_leads and (company_id, role_id) in primary:
                        moved = self._move_leads([i[0] for i in apply], user, company)
                        leads_total += sum(moved.values())
                    done.update(item[0] for item in apply)
                    moved_by_item.update(moved)
            except (UserError, ValidationError) as exc:
                for item in apply:
                    errors[item[0]] = exc.args[0] if exc.args else repr(exc)
        self._write_item_states(done, moved_by_item, skipped, errors)
        self.write({
            "items_processed": self.items_processed + len(items),
            "leads_moved": self.leads_moved + leads_total,
            "chunk_next": chunk + 1,
        })
        cr.execute(
            "SELECT 1 FROM crm_relationship_batch_item WHERE batch_id = %s "
            "AND chunk > %s AND state = 'pending' LIMIT 1", (self.id, chunk))
        if not cr.fetchone():
            self._finish()
        return len(items)

    def _current_relationships(self, partner_ids, company_id, role_id):
        self.env["crm.relationship"].flush_model()
        self.env.cr.execute(
            """
            SELECT partner_id, id, user_id FROM crm_relationship
             WHERE partner_id = ANY(%s) AND company_id = %s AND role_id = %s
               AND date_end IS NULL
            """, (partner_ids, company_id, role_id))
        return {pid: (rid, uid) for pid, rid, uid in self.env.cr.fetchall()}

    def _move_leads(self, item_ids, user, company):
        """Give the open leads of the items' customers held by the previous reps to
        ``user``, set-wise: one ORM write per sales team. Activities follow
        through the relationship hook (task-follow policy), not the lead write.

        :return: Counter item id -> leads moved
        """
        rows = self._open_lead_rows(item_ids, company.ids)
        if not rows:
            return Counter()
        Lead = self.env["crm.lead"].with_user(self.user_id).sudo().with_context(
            **{TASK_FOLLOW_SKIP: SERVER}, tracking_disable=True, mail_notrack=True)
        leads = Lead.browse([r[0] for r in rows])
        teams = self.env["crm.team"].sudo()
        member_teams = teams.search([
            "|", ("member_ids", "in", user.ids), ("user_id", "=", user.id),
            ("company_id", "in", [False, company.id])])
        default_team = member_teams[:1]
        same_team_fields = self._lead_fields_kept_by_same_team(Lead)
        # The leads of the company keep it: the new rep works in the company
        # (checked by _assign) and the new team is of the company or of none, so
        # crm's company computation would give the same company back.
        company_field = [Lead._fields["company_id"]]
        for team, team_leads in leads.grouped("team_id").items():
            new_team = team if team in member_teams else (default_team or team)
            vals = {"user_id": user.id, "team_id": new_team.id}
            protect = [(company_field, team_leads.filtered(lambda lead: lead.company_id == company))]
            if new_team == team:
                # Same team: the fields that depend on the Salesperson only
                # through the team or the stage (stage, predictive lead scoring
                # probability, prorated revenues...) keep their value; Odoo would
                # recompute them to the same value. Leads without a stage get
                # one as usual.
                protect.append((same_team_fields, team_leads.filtered("stage_id")))
            with self.env.protecting(protect):
                team_leads.write(vals)
        # Recompute the leads' stored computed fields now, in this context: a
        # later flush (in a context without ``tracking_disable``) would log a
        # tracking message per lead for the tracked related field
        # ``colleague_id`` (= user_id), one mail.message each.
        leads.flush_recordset()
        return Counter(r[1] for r in rows)

    @api.model
    def _lead_fields_kept_by_same_team(self, Lead):
        """Stored computed fields of ``crm.lead`` that a Salesperson change marks
        for recomputation only through ``team_id`` and ``stage_id``: when the team
        stays and the lead has a stage, their inputs are unchanged.

        Read from the registry's dependencies, so the predictive lead scoring
        fields configured by the user (``crm.pls_fields``) are honoured: if one
        of them depends on the Salesperson, the probability is recomputed.
        """
        triggers = self.pool._field_triggers

        def dependents(start, stop=()):
            seen, todo = set(), list(start)
            while todo:
                for target in triggers.get(todo.pop(), {}).get((), ()):
                    if target.model_name == Lead._name and target not in seen \
                            and target not in stop:
                        seen.add(target)
                        todo.append(target)
            return seen

        team, stage = Lead._fields["team_id"], Lead._fields["stage_id"]
        through_team = dependents([team, stage]) | {stage}
        direct = dependents([Lead._fields["user_id"]], stop=(team, stage))
        return [field for field in through_team - direct if field.store and field.compute]

    def _write_item_states(self, done, moved, skipped, errors):
        """Record the outcome of a chunk's items, one statement per outcome:
        done (with the number of leads moved), skipped and errors (with their
        note)."""
        cr = self.env.cr
        if done:
            ids = sorted(done)
            cr.execute(
                """
                UPDATE crm_relationship_batch_item i SET state = 'done', leads_moved = v.leads
                  FROM unnest(%s::int[], %s::int[]) AS v(id, leads)
                 WHERE i.id = v.id
                """, (ids, [moved.get(item_id, 0) for item_id in ids]))
        for state, notes in (("skipped", skipped), ("error", errors)):
            if notes:
                ids = list(notes)
                cr.execute(
                    """
                    UPDATE crm_relationship_batch_item i
                       SET state = %s, note = v.note
                      FROM unnest(%s::int[], %s::varchar[]) AS v(id, note)
                     WHERE i.id = v.id
                    """,
                    (state, ids, [str(notes[i]) for i in ids]))
        self.env["crm.relationship.batch.item"].invalidate_model()

    # ------------------------------------------------------------------
    # Summary and e-mail
    # ------------------------------------------------------------------
    def _get_summary(self):
        """Counts for the summary: per new rep, skipped and errors with reasons."""
        self.ensure_one()
        Item = self.env["crm.relationship.batch.item"].sudo()
        per_rep = Item._read_group(
            [("batch_id", "=", self.id), ("state", "in", ("done", "reverted"))],
            ["new_user_id"], ["__count"], order="new_user_id")
        notes = Item._read_group(
            [("batch_id", "=", self.id), ("state", "in", ("skipped", "error"))],
            ["state", "note"], ["__count"])
        return {
            "per_rep": [(user.name, count) for user, count in per_rep],
            "done": sum(count for __, count in per_rep),
            "skipped": [(note, count) for state, note, count in notes if state == "skipped"],
            "errors": [(note, count) for state, note, count in notes if state == "error"],
        }

    def _get_summary_html(self):
        self.ensure_one()
        summary = self._get_summary()
        li = Markup("<li>{}</li>")
        reps = Markup("")
        for rep, count in summary["per_rep"]:
            reps += li.format(_("%(rep)s: %(count)s customer(s)", rep=rep, count=count))
        moved = [
            _("Open leads and opportunities moved: %(count)s", count=self.leads_moved),
            _("Open activities handled per the task-follow policy: %(count)s (as previewed)",
              count=self.preview_activities),
            _("Future meetings of the previous reps: %(count)s (as previewed)",
              count=self.preview_meetings),
        ]
        html = Markup(
            "<p>{intro}</p><p><strong>{per_rep}</strong></p><ul>{reps}</ul>"
            "<p><strong>{along}</strong></p><ul>{moved}</ul>").format(
                intro=_("Batch %(batch)s is finished: %(count)s customer relationship(s) "
                        "changed.", batch=self.name, count=summary["done"]),
                per_rep=_("Customers per new rep"), reps=reps,
                along=_("What moved along"),
                moved=Markup("").join(li.format(m) for m in moved))
        for title, entries in ((_("Skipped"), summary["skipped"]),
                               (_("Errors"), summary["errors"])):
            body = Markup("")
            for note, count in entries:
                body += li.format(_("%(count)s: %(reason)s", count=count, reason=note or ""))
            body = body or li.format(_("None"))
            html += Markup("<p><strong>{}</strong></p><ul>{}</ul>").format(title, body)
        return html

    def _finish(self):
        self.ensure_one()
        self.write({"state": "done", "date_done": fields.Datetime.now()})
        summary = self._get_summary_html()
        self.summary_html = summary
        self.message_post(body=summary)
        template = self.env.ref("crm_relationship_manager.mail_template_crm_relationship_batch_done",
                                raise_if_not_found=False)
        if template and self.user_id.email:
            template.send_mail(self.id, force_send=False)

    # ------------------------------------------------------------------
    # Revert
    # ------------------------------------------------------------------
    def action_revert(self):
        """Give back the customers to their previous reps, when the relationship the
        batch created is still the current one; report the others."""
        self.ensure_one()
        self._check_manager_rights()
        if self.state != "done":
            raise UserError(_("Only a finished batch can be reverted."))
        cr = self.env.cr
        self.env["crm.relationship"].flush_model()
        cr.execute(
            """
            SELECT i.id, i.partner_id, i.company_id, i.role_id, i.old_user_id, i.new_user_id,
                   rel.id IS NOT NULL
              FROM crm_relationship_batch_item i
              LEFT JOIN crm_relationship rel
                ON rel.batch_id = i.batch_id AND rel.partner_id = i.partner_id
               AND rel.company_id = i.company_id AND rel.role_id = i.role_id
               AND rel.date_end IS NULL
             WHERE i.batch_id = %s AND i.state = 'done'
             ORDER BY i.id FOR UPDATE OF i
            """, (self.id,))
        rows = cr.fetchall()
        changed_note = _("Changed since the batch: not reverted.")
        skipped = {r[0]: changed_note for r in rows if not r[6]}
        groups = defaultdict(list)
        for row in rows:
            if row[6]:
                groups[(row[4], row[3], row[2])].append(row)
        Rel = self.env["crm.relationship"]
        primary = self._primary_role_pairs({key[2] for key in groups})
        reason = _("Revert of %(batch)s", batch=self.name)
        reverted = []
        for (old_user_id, role_id, company_id), group in groups.items():
            company = self.env["res.company"].browse(company_id)
            old_user = self.env["res.users"].browse(old_user_id or [])
            try:
                with cr.savepoint():
                    Rel.with_company(company)._assign(
                        self.env["res.partner"].browse([r[1] for r in group]), old_user,
                        role=self.env["crm.relationship.role"].browse(role_id),
                        company=company, source="mass", reason=reason)
                    if self.move_leads and old_user and (company_id, role_id) in primary:
                        self._move_back_leads(group, old_user, company)
                    reverted += [r[0] for r in group]
            except (UserError, ValidationError) as exc:
                for r in group:
                    skipped[r[0]] = _("Not reverted: %(error)s", error=exc.args[0])
        if reverted:
            cr.execute(
                "UPDATE crm_relationship_batch_item SET state = 'reverted', note = %s "
                "WHERE id = ANY(%s)", (reason, reverted))
        if skipped:
            cr.execute(
                """
                UPDATE crm_relationship_batch_item i SET note = v.note
                  FROM unnest(%s::int[], %s::varchar[]) AS v(id, note) WHERE i.id = v.id
                """, (list(skipped), [str(n) for n in skipped.values()]))
        self.env["crm.relationship.batch.item"].invalidate_model()
        self.sudo().write({"state": "reverted"})
        message = Markup("<p>{}</p>").format(_(
            "%(batch)s reverted by %(user)s: %(reverted)s relationship(s) restored, "
            "%(skipped)s skipped.", batch=self.name, user=self.env.user.name,
            reverted=len(reverted), skipped=len(skipped)))
        if skipped:
            notes = Counter(str(note) for note in skipped.values())
            lines = Markup("")
            for note, count in notes.items():
                lines += Markup("<li>{}</li>").format(
                    _("%(count)s: %(reason)s", count=count, reason=note))
            message += Markup("<ul>{}</ul>").format(lines)
        self.message_post(body=message)
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "warning" if skipped else "success",
                "message": _("%(reverted)s relationship(s) restored, %(skipped)s skipped "
                             "(changed since the batch).",
                             reverted=len(reverted), skipped=len(skipped)),
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }

    def _move_back_leads(self, rows, old_user, company):
        """Open leads of the customers now held by the batch's new reps go back,
        through the same lead move as any relationship change (same matching as
        the forward move: leads of the company or of none)."""
        Rel = self.env["crm.relationship"].sudo().with_context(
            tracking_disable=True, mail_notrack=True)
        Partner, Users = self.env["res.partner"], self.env["res.users"]
        by_new_user = defaultdict(list)
        for row in rows:
            by_new_user[row[5]].append(row[1])
        for new_user_id, partner_ids in by_new_user.items():
            leads = Rel._move_open_leads(Partner.browse(partner_ids), Users.browse(new_user_id),
                                         old_user, company)
            leads.flush_recordset()  # no tracking message per lead (see _move_leads)
