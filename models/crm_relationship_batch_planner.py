# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The planner of a mass reassignment: it plans the batch's lines in memory,
one row per (customer, company, role), and counts what moves along for the
preview; Start writes the rows as items with their chunk. A revert is planned
from the items of the batch it reverts.

Every counting query here is driven from the planned rows (or the stored items)
and the customers they name (materialised CTEs), so that no plan can multiply
the items by the leads or the activities of a rep: the cost grows with the
customers.
"""
from collections import Counter, namedtuple

from odoo import _, api, models
from odoo.exceptions import ValidationError
from odoo.tools import SQL

from ..pg_arrays import pg_array
from .crm_relationship_batch import BATCH_STATES, NAMED

# one planned item: a customer relationship (partner, company, role) going from
# its previous rep (and relationship) to the new rep, by a line
PlanRow = namedtuple("PlanRow", "company_id role_id new_user_id partner_id line_id "
                                "old_user_id rel_id state")


class CrmRelationshipBatch(models.Model):
    _inherit = "crm.relationship.batch"

    def _primary_role_pairs(self, company_ids):
        companies = self.env["res.company"].sudo().browse(list(company_ids))
        return {(c.id, c._get_relationship_primary_role().id) for c in companies}

    def _plan(self):
        """Plan a draft batch from its lines, deterministically (the preview is
        what the batch does), in memory: return ``(rows, problems)``, the rows
        sorted as the items are numbered, each ``PlanRow``. The lines' preview
        counts are written on the way."""
        self.ensure_one()
        # the lines' queries read customers, relationships and leads in SQL
        self.env.flush_all()
        problems = []
        rows = []
        seen = {}
        dups = Counter()
        for line in self.line_ids:
            line_problems = line._check_line()
            problems += line_problems
            if line_problems:
                line.target_ids.write({"preview_count": 0, "preview_before": 0,
                                       "preview_after": 0})
                line.preview_total = line.preview_unchanged = 0
                continue
            customers = line._get_customer_rows()
            user_ids = line.target_ids.user_id.ids
            picks = line._pick_targets(customers)
            counts = Counter()
            unchanged = 0
            for (partner_id, company_id, role_id, old_user_id, rel_id), k in zip(customers, picks):
                key = (partner_id, company_id, role_id)
                if key in seen:
                    if seen[key] != line.id:
                        dups[partner_id] += 1
                    continue
                seen[key] = line.id
                new_user_id = user_ids[k]
                state = "pending"
                if old_user_id == new_user_id:
                    state = "skipped"
                    unchanged += 1
                else:
                    counts[new_user_id] += 1
                rows.append(PlanRow(company_id, role_id, new_user_id, partner_id, line.id,
                                    old_user_id, rel_id, state))
            for target in line.target_ids:
                target.preview_count = counts[target.user_id.id]
            line.preview_total = len(customers)
            line.preview_unchanged = unchanged
        if dups:
            partners = self.env["res.partner"].browse(sorted(dups))
            problems.append(_(
                "%(count)s customer(s) are in more than one line, e.g. %(customers)s: "
                "each customer can be reassigned by one line only.",
                count=len(partners), customers=", ".join(partners[:NAMED].mapped("display_name"))))
        rows.sort(key=lambda row: row[:5])
        if not any(row.state == "pending" for row in rows) and not problems:
            problems.append(_("No customer relationship would change."))
        problems += self._check_items_problems(rows)
        return rows, problems

    def _plan_items(self):
        """Plan the items of a draft batch (``_plan``) and write them, with their
        chunk: one DELETE and one INSERT for all items. Return the problems."""
        rows, problems = self._plan()
        self._write_items(rows)
        return problems

    def _delete_items(self):
        self.env.flush_all()
        self.env.cr.execute("DELETE FROM crm_relationship_batch_item WHERE batch_id = %s",
                            (self.id,))
        self.invalidate_recordset(["item_ids"])

    def _write_items(self, rows):
        self.ensure_one()
        self._delete_items()
        if not rows:
            return
        size = max(self.chunk_size, 1)
        chunks = []
        pending = 0
        for row in rows:
            if row.state == "pending":
                chunks.append(pending // size)
                pending += 1
            else:
                chunks.append(-1)
        self.env.cr.execute(
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
                "company": pg_array(r.company_id for r in rows),
                "role": pg_array(r.role_id for r in rows),
                "new": pg_array(r.new_user_id for r in rows),
                "partner": pg_array(r.partner_id for r in rows),
                "line": pg_array(r.line_id for r in rows),
                "old": pg_array(r.old_user_id for r in rows),
                "rel": pg_array(r.rel_id for r in rows),
                "state": pg_array(r.state for r in rows),
                "chunk": pg_array(chunks),
            },
        )
        # fresh statistics for the runner's chunk queries (a 100,000-row insert
        # is not auto-analyzed before the transaction ends)
        self.env.cr.execute("ANALYZE crm_relationship_batch_item")

    def _check_items_problems(self, rows):
        """Problems of the planned rows: targets who cannot take the customers of
        a company (archived, not internal, outside the company), customers already
        in another queued or running batch."""
        self.ensure_one()
        cr = self.env.cr
        problems = []
        pending = [row for row in rows if row.state == "pending"]
        per_target = Counter((row.new_user_id, row.company_id) for row in pending)
        for (user_id, company_id), count in sorted(per_target.items()):
            user = self.env["res.users"].sudo().with_context(active_test=False).browse(user_id)
            company = self.env["res.company"].sudo().browse(company_id)
            try:
                user._crm_rm_check_owner(company)
            except ValidationError as exc:
                problems.append(_("%(problem)s (%(count)s customer(s))",
                                  problem=exc.args[0], count=count))
        # customers of another queued or running batch
        self.flush_model(["state"])
        cr.execute("SELECT id FROM crm_relationship_batch WHERE state IN ('queued', 'running') "
                   "AND id != %s", (self.id,))
        active_ids = [row[0] for row in cr.fetchall()]
        if not active_ids or not pending:
            return problems
        cr.execute(
            """
            SELECT o.batch_id, array_agg(DISTINCT o.partner_id)
              FROM unnest(%s::int[], %s::int[]) AS i(partner_id, company_id)
              JOIN crm_relationship_batch_item o
                ON o.partner_id = i.partner_id AND o.company_id = i.company_id
               AND o.batch_id = ANY(%s) AND o.state = 'pending'
             GROUP BY o.batch_id ORDER BY o.batch_id
            """, (pg_array(r.partner_id for r in pending),
                  pg_array(r.company_id for r in pending), active_ids))
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

    def _plan_revert_items(self):
        """Plan the items of a revert batch from the items its original batch
        changed: each customer goes back to its previous rep, from the rep the
        batch gave it. Customers whose relationship changed since the batch (the
        one the batch created is no longer current) are skipped at once; the
        runner checks again when it applies a chunk. One INSERT ... SELECT."""
        self.ensure_one()
        cr = self.env.cr
        self.env["crm.relationship"].flush_model()
        cr.execute(
            """
            WITH planned AS MATERIALIZED (
                SELECT i.company_id, i.role_id, i.old_user_id AS new_user_id, i.partner_id,
                       i.new_user_id AS old_user_id, rel.id AS rel_id,
                       CASE WHEN rel.id IS NULL THEN 'skipped' ELSE 'pending' END AS state
                  FROM crm_relationship_batch_item i
                  LEFT JOIN crm_relationship rel
                    ON rel.batch_id = i.batch_id AND rel.partner_id = i.partner_id
                   AND rel.company_id = i.company_id AND rel.role_id = i.role_id
                   AND rel.date_end IS NULL
                 WHERE i.batch_id = %(origin)s AND i.state = 'done'
            )
            INSERT INTO crm_relationship_batch_item
                   (batch_id, company_id, role_id, new_user_id, partner_id, old_user_id,
                    previous_relationship_id, state, chunk, note, leads_moved)
            SELECT %(batch)s, company_id, role_id, new_user_id, partner_id, old_user_id,
                   rel_id, state,
                   CASE WHEN state = 'pending' THEN
                       (row_number() OVER (PARTITION BY state ORDER BY company_id, role_id,
                                           new_user_id NULLS FIRST, partner_id) - 1)
                       / %(size)s
                   ELSE -1 END,
                   CASE WHEN state = 'skipped' THEN %(note)s END, 0
              FROM planned
            """,
            {"origin": self.revert_of_id.id, "batch": self.id,
             "size": max(self.chunk_size, 1), "note": self._changed_note()})
        cr.execute("ANALYZE crm_relationship_batch_item")
        self.env["crm.relationship.batch.item"].invalidate_model()

    def _changed_note(self):
        """Why an item is skipped when its customer changed since it was planned."""
        if self.revert_of_id:
            return _("Changed since the batch: not reverted.")
        return _("Changed by someone else since the batch started.")

    @api.model
    def _items_relation(self, item_ids):
        """The stored items ``item_ids`` as the relation the counting queries read:
        (id, partner_id, company_id, role_id, old_user_id)."""
        return SQL(
            "SELECT id, partner_id, company_id, role_id, old_user_id "
            "FROM crm_relationship_batch_item WHERE id = ANY(%s::int[])", pg_array(item_ids))

    @api.model
    def _rows_relation(self, rows):
        """Planned rows (``_plan``), not written, as the same relation: each row's
        id is its position (from 1)."""
        return SQL(
            "SELECT * FROM unnest(%s::int[], %s::int[], %s::int[], %s::int[], %s::int[]) "
            "AS r(id, partner_id, company_id, role_id, old_user_id)",
            pg_array(range(1, len(rows) + 1)), pg_array(r.partner_id for r in rows),
            pg_array(r.company_id for r in rows), pg_array(r.role_id for r in rows),
            pg_array(r.old_user_id for r in rows))

    def _open_lead_rows(self, items, company_ids):
        """Open leads/opportunities that move with the given pending items:
        (lead id, item id), for items of the company's Salesperson role, leads of
        the customer (or its contacts) in that company (or in none) held by the
        item's previous rep.

        Driven from the customers: items, then their contacts (by commercial
        partner), then the leads of each contact (by partner, then rep). Joining
        the items with the leads on the previous rep first would make items x
        leads rows when one rep's book moves (every item and every lead share
        that rep); the materialised CTEs keep the planner from that order.

        :param items: ``_items_relation`` (stored items) or ``_rows_relation``
            (planned rows)
        :param company_ids: the items' companies
        """
        if not company_ids:
            return []
        pairs = self._primary_role_pairs(company_ids)
        self.env["crm.lead"].flush_model(["user_id", "partner_id", "company_id", "active",
                                          "stage_id"])
        self.env.cr.execute(SQL(
            """
            WITH items AS MATERIALIZED (
                SELECT i.id, i.partner_id, i.company_id, i.old_user_id
                  FROM (%s) i
                  JOIN unnest(%s::int[], %s::int[]) AS pr(company_id, role_id)
                    ON pr.company_id = i.company_id AND pr.role_id = i.role_id
                 WHERE i.old_user_id IS NOT NULL
            ), contacts AS MATERIALIZED (
                SELECT it.id AS item_id, p.id AS partner_id, it.company_id, it.old_user_id
                  FROM items it
                  JOIN res_partner p ON p.commercial_partner_id = it.partner_id
            )
            SELECT l.id, c.item_id %s
             ORDER BY l.id
            """,
            items, [p[0] for p in pairs], [p[1] for p in pairs],
            self.env["crm.lead"]._crm_rm_open_leads_of_contacts_sql(),
        ))
        return self.env.cr.fetchall()

    def _pending_item_ids(self):
        self.env.cr.execute(
            "SELECT id FROM crm_relationship_batch_item WHERE batch_id = %s AND state = 'pending'",
            (self.id,))
        return [row[0] for row in self.env.cr.fetchall()]

    def _count_followers(self, items, lead_rows):
        """(open activities moved per the task-follow policy, future meetings) of the
        previous reps on the customers of ``items`` (see ``_open_lead_rows``) and
        on their open leads (``lead_rows``)."""
        cr = self.env.cr
        self.env["mail.activity"].flush_model()
        self.env["calendar.event"].flush_model()
        cr.execute(SQL(
            """
            WITH items AS MATERIALIZED (
                SELECT i.id, i.partner_id, i.old_user_id, c.task_follow_policy AS policy
                  FROM (%(items)s) i
                  JOIN res_company c ON c.id = i.company_id
                 WHERE i.old_user_id IS NOT NULL
            ), docs AS (
                SELECT p.id AS res_id, 'res.partner' AS res_model, it.old_user_id, it.policy
                  FROM items it JOIN res_partner p ON p.commercial_partner_id = it.partner_id
                UNION ALL
                SELECT l.id, 'crm.lead', it.old_user_id, it.policy
                  FROM unnest(%(leads)s::int[], %(lead_items)s::int[]) AS m(lead_id, item_id)
                  JOIN items it ON it.id = m.item_id
                  JOIN crm_lead l ON l.id = m.lead_id
            )
            SELECT (SELECT count(a.id)
                      FROM docs d
                      JOIN mail_activity a
                        ON a.res_model = d.res_model AND a.res_id = d.res_id
                       AND a.user_id = d.old_user_id AND a.active
                     WHERE d.policy = 'all' OR (d.policy = 'automated' AND a.automated IS TRUE)),
                   (SELECT count(DISTINCT e.id)
                      FROM items it
                      JOIN res_partner p ON p.commercial_partner_id = it.partner_id
                      JOIN calendar_event_res_partner_rel r ON r.res_partner_id = p.id
                      JOIN calendar_event e ON e.id = r.calendar_event_id
                       AND e.user_id = it.old_user_id AND e.active
                       AND e.start > now() at time zone 'UTC')
            """,
            items=items, leads=pg_array(r[0] for r in lead_rows),
            lead_items=pg_array(r[1] for r in lead_rows),
        ))
        return cr.fetchone()

    def _render_preview(self, problems, company_ids):
        self.ensure_one()
        companies = self.env["res.company"].browse(company_ids or self.company_id.ids)
        policies = dict(self.env["res.company"]._fields["task_follow_policy"]
                        ._description_selection(self.env))
        return self.env["ir.qweb"]._render(
            "crm_relationship_manager.crm_relationship_batch_preview",
            {"batch": self, "companies": companies, "policies": policies,
             "problems": problems})

    def _preview(self, write_items=False):
        """Plan the batch and record its preview: the counts per rep (on the
        lines), what moves along and the problems. The plan stays in memory: the
        items are written only with ``write_items`` (Start, or *Customers* on a
        draft), otherwise the stale ones of an earlier plan are deleted.

        :return: the problems
        """
        self.ensure_one()
        rows, problems = self._plan()
        if write_items:
            self._write_items(rows)
        else:
            self._delete_items()
        pending = [row for row in rows if row.state == "pending"]
        company_ids = sorted({row.company_id for row in pending})
        items = self._rows_relation(pending)
        lead_rows = self._open_lead_rows(items, company_ids)
        activities, meetings = self._count_followers(items, lead_rows) if pending else (0, 0)
        self.sudo().write({
            "preview_leads": len(lead_rows),
            "preview_activities": activities,
            "preview_meetings": meetings,
            "preview_done": True,
            "items_total": len(rows),
            "problems": "\n".join(problems) or False,
        })
        self.sudo().preview_html = self._render_preview(problems, company_ids)
        return problems
