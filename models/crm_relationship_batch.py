# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Mass reassignment of customer relationships: the batch's fields, its state
machine (draft, queued, running, done or failed, reverted) and the user actions.

The items are planned in ``crm_relationship_batch_planner.py`` and applied by the
cron in ``crm_relationship_batch_runner.py``; preview and summary are QWeb
templates (``views/crm_relationship_batch_templates.xml``).
"""
from collections import Counter

from markupsafe import Markup

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError

BATCH_STATES = [
    ("draft", "Draft"),
    ("queued", "Queued"),
    ("running", "Running"),
    ("done", "Done"),
    ("failed", "Failed"),
    ("reverted", "Reverted"),
]
# Customers named in an error message, at most.
NAMED = 5
# Fields the batch maintains itself: no client may write them (readonly in a
# view is only a hint); the batch writes them as the system.
SYSTEM_FIELDS = {
    "user_id", "state", "items_total", "items_processed", "chunk_next", "leads_moved",
    "date_started", "date_done", "error", "problems", "preview_done", "preview_leads",
    "preview_activities", "preview_meetings", "preview_html", "summary_html", "item_ids",
    "revert_of_id",
}


class CrmRelationshipBatch(models.Model):
    """Mass reassignment of customer relationships, processed in the background.

    A batch has lines (a rep's book or an audience, and the reps receiving the
    customers). Preview and Start plan one *item* per (customer, company, role)
    with a deterministic distribution; the cron then applies the items in chunks,
    one transaction per chunk, through ``crm.relationship._assign``. Revert is a
    batch of its own (``revert_of_id``), planned from the items this batch changed
    and applied in the background by the same runner.
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
    revert_of_id = fields.Many2one(
        "crm.relationship.batch", string="Reverts", readonly=True, copy=False,
        ondelete="restrict", index="btree_not_null",
        help="The batch whose changes this batch gives back to the previous reps.")
    revert_ids = fields.One2many("crm.relationship.batch", "revert_of_id", string="Reverted By",
                                 readonly=True)

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
        problems = self._preview(write_items=True)
        if problems:
            raise UserError(_("Batch %(batch)s cannot start:\n%(problems)s",
                              batch=self.name, problems="\n".join(problems)))
        total = self._queue()
        self.message_post(body=_("Started by %(user)s: %(count)s customer relationship(s) "
                                 "to change.", user=self.env.user.name, count=total))
        return True

    def _queue(self):
        """Queue a planned batch for the runner and wake the cron worker.

        :return: the number of items to apply
        """
        self.ensure_one()
        self.env.cr.execute(
            "SELECT count(*) FILTER (WHERE state = 'pending'), count(*) "
            "FROM crm_relationship_batch_item WHERE batch_id = %s", (self.id,))
        pending, total = self.env.cr.fetchone()
        self.sudo().write({
            "state": "queued", "items_total": total, "items_processed": total - pending,
            "error": False, "chunk_next": 0,
        })
        self.env.ref("crm_relationship_manager.ir_cron_crm_relationship_batch")._trigger()
        return pending

    def action_revert(self):
        """Give back the customers to their previous reps, where the relationship
        the batch created is still the current one; the others are reported.

        The revert is a batch of its own, applied in the background by the same
        runner, with its progress and its summary e-mailed to the user who
        reverts. This batch becomes *Reverted* when the revert is finished.
        """
        self.ensure_one()
        self._check_manager_rights()
        if self.state != "done":
            raise UserError(_("Only a finished batch can be reverted."))
        if self.revert_of_id:
            raise UserError(_("Batch %(batch)s is itself a revert: start a new batch to "
                              "change these customers again.", batch=self.name))
        # one revert at a time: lock this batch, then look for a revert in progress
        self.env.cr.execute("SELECT id FROM crm_relationship_batch WHERE id = %s FOR UPDATE",
                            (self.id,))
        running = self.sudo().search([("revert_of_id", "=", self.id)], limit=1)
        if running:
            raise UserError(_("Batch %(batch)s is already being reverted by %(revert)s "
                              "(%(state)s).", batch=self.name, revert=running.name,
                              state=dict(BATCH_STATES)[running.state]))
        revert = self.sudo().create({
            "company_id": self.company_id.id, "move_leads": self.move_leads,
            "chunk_size": self.chunk_size, "revert_of_id": self.id,
        })
        revert._plan_revert_items()
        total = revert._queue()
        message = _("Revert of %(batch)s started by %(user)s: %(count)s customer "
                    "relationship(s) to give back.", batch=self.name,
                    user=self.env.user.name, count=total)
        revert.message_post(body=message)
        self.message_post(body=Markup("{} {}").format(message, revert._get_html_link()))
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": revert.id,
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "current",
        }

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
        """The batch's customers, item by item. A draft's preview keeps its plan
        in memory: it is planned again and written here, so that the list is
        what Start would do with the lines as they are now."""
        self.ensure_one()
        if self.state == "draft":
            self._check_manager_rights()
            self._preview(write_items=True)
        return {
            "type": "ir.actions.act_window",
            "name": _("Customers of %(batch)s", batch=self.name),
            "res_model": "crm.relationship.batch.item",
            "view_mode": "list",
            "domain": [("batch_id", "=", self.id)],
            "context": {"search_default_group_state": 1},
        }

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
        return self.env["ir.qweb"]._render(
            "crm_relationship_manager.crm_relationship_batch_summary",
            {"batch": self, "summary": self._get_summary()})

    def _fail(self, exc):
        self.ensure_one()
        detail = str(exc.args[0]) if isinstance(exc, UserError) and exc.args else repr(exc)
        self.write({"state": "failed", "error": detail})
        self.message_post(body=_("The batch failed: %(error)s", error=detail))

    def _finish(self):
        """The last chunk is applied: the batch is done (a revert also marks the
        batch it reverts), its summary is posted and e-mailed to its initiator."""
        self.ensure_one()
        self.write({"state": "done", "date_done": fields.Datetime.now()})
        if self.revert_of_id:
            self._finish_revert()
        summary = self._get_summary_html()
        self.summary_html = summary
        self.message_post(body=summary)
        template = self.env.ref("crm_relationship_manager.mail_template_crm_relationship_batch_done",
                                raise_if_not_found=False)
        if template and self.user_id.email:
            template.send_mail(self.id, force_send=False)


    def _finish_revert(self):
        """Report a finished revert on the batch it reverts: its items given back
        are *Reverted*, the others carry why not, and the batch is *Reverted*."""
        self.ensure_one()
        origin = self.revert_of_id
        cr = self.env.cr
        cr.execute(
            """
            SELECT o.id, r.state, r.note
              FROM crm_relationship_batch_item r
              JOIN crm_relationship_batch_item o
                ON o.batch_id = %s AND o.state = 'done' AND o.partner_id = r.partner_id
               AND o.company_id = r.company_id AND o.role_id = r.role_id
             WHERE r.batch_id = %s
            """, (origin.id, self.id))
        rows = cr.fetchall()
        reason = self._assign_reason()
        reverted = [item_id for item_id, state, __ in rows if state == "done"]
        skipped = {
            item_id: note if state == "skipped" else _("Not reverted: %(error)s", error=note)
            for item_id, state, note in rows if state != "done"
        }
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
        origin.write({"state": "reverted"})
        message = Markup("<p>{}</p>").format(_(
            "%(batch)s reverted by %(user)s: %(reverted)s relationship(s) restored, "
            "%(skipped)s skipped.", batch=origin.name, user=self.user_id.name,
            reverted=len(reverted), skipped=len(skipped)))
        if skipped:
            lines = Markup("")
            for note, count in Counter(str(n) for n in skipped.values()).items():
                lines += Markup("<li>{}</li>").format(
                    _("%(count)s: %(reason)s", count=count, reason=note))
            message += Markup("<ul>{}</ul>").format(lines)
        origin.message_post(body=message)

    def _assign_reason(self):
        """The reason recorded on the relationships the batch creates."""
        self.ensure_one()
        if self.revert_of_id:
            return self.with_context(lang=self.user_id.lang).env._(
                "Revert of %(batch)s", batch=self.revert_of_id.name)
        return self.name
