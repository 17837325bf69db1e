# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The runner of a mass reassignment: the cron claims a queued batch (forward or
revert alike), applies its pending items chunk by chunk, one transaction per
chunk, through ``crm.relationship._assign``, moves the customers' open leads
along and records each item's outcome."""
import logging
import time
from collections import Counter, defaultdict

from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError

_logger = logging.getLogger(__name__)

# Seconds one cron run spends on batches before it hands over (re-triggering
# itself); below the default real-time limit of a cron worker (120 s), so a run is
# not killed in the middle of a chunk (which would only cost the chunk's redo).
CRON_TIME_BUDGET = 60


class CrmRelationshipBatch(models.Model):
    _inherit = "crm.relationship.batch"

    def _batch_commit(self):
        """Commit the chunk (the cron's transaction). Tests replace it."""
        self.env.cr.commit()  # pylint: disable=invalid-commit

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
        reason, changed_note = self._assign_reason(), self._changed_note()
        for (user_id, role_id, company_id), group in groups.items():
            company = env["res.company"].browse(company_id)
            # empty for a revert giving a customer back to no rep
            user = env["res.users"].browse(user_id or [])
            role = env["crm.relationship.role"].browse(role_id)
            current = self._current_relationships([i[1] for i in group], company_id, role_id)
            apply = []
            for item in group:
                rel_id, rel_user = current.get(item[1], (None, None))
                if rel_user == user_id:
                    skipped[item[0]] = _("Already the rep: unchanged.")
                elif rel_id != item[6]:
                    skipped[item[0]] = changed_note
                else:
                    apply.append(item)
            if not apply:
                continue
            try:
                with cr.savepoint():
                    Rel.with_company(company)._assign(
                        env["res.partner"].browse([i[1] for i in apply]), user, role=role,
                        company=company, source="mass", reason=reason,
                        extra_vals={"batch_id": self.id},
                    )
                    moved = Counter()
                    if self.move_leads and user and (company_id, role_id) in primary:
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
        """Give the open leads of the items' customers held by their previous reps
        to ``user`` (forward and revert alike: a revert item's previous rep is the
        rep the batch gave). Activities follow through the relationship hook
        (task-follow policy), not the lead write.

        :return: Counter item id -> leads moved
        """
        rows = self._open_lead_rows(self._items_relation(item_ids), company.ids)
        if not rows:
            return Counter()
        leads = self.env["crm.lead"].with_user(self.user_id).sudo().browse(
            [r[0] for r in rows])
        leads._crm_rm_move_owner(user, company, track=False)
        return Counter(r[1] for r in rows)

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

