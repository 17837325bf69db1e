# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The planner of a mass reassignment: it turns the batch's lines (or, for a
revert, the batch it reverts) into items, one per (customer, company, role),
with their chunk, and counts what moves along for the preview.

Every query here is driven from the batch's items and the customers they name
(materialised CTEs), so that no plan can multiply the items by the leads or the
activities of a rep: the cost grows with the customers, whatever the statistics
of the freshly inserted item table say.
"""
from collections import Counter

from odoo import _, models
from odoo.exceptions import ValidationError
from odoo.tools import SQL

from ..pg_arrays import pg_array
from .crm_relationship_batch import BATCH_STATES, NAMED


class CrmRelationshipBatch(models.Model):
    _inherit = "crm.relationship.batch"

    def _primary_role_pairs(self, company_ids):
        companies = self.env["res.company"].sudo().browse(list(company_ids))
        return {(c.id, c._get_relationship_primary_role().id) for c in companies}

    def _plan_items(self):
        """Plan the items of a draft batch from its lines (deterministically: the
        preview is what the batch does) and return the problems found. Set-wise:
        one DELETE and one INSERT for all items."""
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
                        problems.append(("dup", partner_id, seen[key], line.id))
                    continue
                seen[key] = line.id
                new_user_id = user_ids[k]
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
                    "company": pg_array(r[0] for r in rows), "role": pg_array(r[1] for r in rows),
                    "new": pg_array(r[2] for r in rows), "partner": pg_array(r[3] for r in rows),
                    "line": pg_array(r[4] for r in rows), "old": pg_array(r[5] for r in rows),
                    "rel": pg_array(r[6] for r in rows), "state": pg_array(r[7] for r in rows),
                    "chunk": pg_array(chunk_of.get(id(r), -1) for r in rows),
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
        for user_id, company_id, count in cr.fetchall():
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

    def _open_lead_rows(self, item_ids, company_ids=None):
        """Open leads/opportunities that move with the given pending items:
        (lead id, item id), for items of the company's Salesperson role, leads of
        the customer (or its contacts) in that company (or in none) held by the
        item's previous rep.

        Driven from the customers: items, then their contacts (by commercial
        partner), then the leads of each contact (by partner, then rep). Joining
        the items with the leads on the previous rep first would make items x
        leads rows when one rep's book moves (every item and every lead share
        that rep); the materialised CTEs keep the planner from that order.

        :param company_ids: the items' companies, when the caller knows them
        """
        if not item_ids:
            return []
        pairs = self._primary_role_pairs(company_ids or self._item_companies(item_ids))
        self.env["crm.lead"].flush_model(["user_id", "partner_id", "company_id", "active",
                                          "stage_id"])
        self.env.cr.execute(SQL(
            """
            WITH items AS MATERIALIZED (
                SELECT i.id, i.partner_id, i.company_id, i.old_user_id
                  FROM crm_relationship_batch_item i
                  JOIN unnest(%s::int[], %s::int[]) AS pr(company_id, role_id)
                    ON pr.company_id = i.company_id AND pr.role_id = i.role_id
                 WHERE i.id = ANY(%s::int[]) AND i.old_user_id IS NOT NULL
            ), contacts AS MATERIALIZED (
                SELECT it.id AS item_id, p.id AS partner_id, it.company_id, it.old_user_id
                  FROM items it
                  JOIN res_partner p ON p.commercial_partner_id = it.partner_id
            )
            SELECT l.id, c.item_id %s
             ORDER BY l.id
            """,
            [p[0] for p in pairs], [p[1] for p in pairs], pg_array(item_ids),
            self.env["crm.lead"]._crm_rm_open_leads_of_contacts_sql(),
        ))
        return self.env.cr.fetchall()

    def _item_companies(self, item_ids=None):
        """Companies of the given items, or of the batch's pending items."""
        if item_ids is None:
            self.env.cr.execute(
                "SELECT DISTINCT company_id FROM crm_relationship_batch_item "
                "WHERE batch_id = %s AND state = 'pending'", (self.id,))
        else:
            self.env.cr.execute(
                "SELECT DISTINCT company_id FROM crm_relationship_batch_item "
                "WHERE id = ANY(%s::int[])", (pg_array(item_ids),))
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
                 WHERE i.id = ANY(%(items)s::int[]) AND i.old_user_id IS NOT NULL
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
            {"items": pg_array(item_ids), "leads": pg_array(r[0] for r in lead_rows),
             "lead_items": pg_array(r[1] for r in lead_rows)},
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
             WHERE i.id = ANY(%s::int[])
            """,
            (pg_array(item_ids),),
        )
        meetings = cr.fetchone()[0]
        return activities, meetings

    def _render_preview(self, problems):
        self.ensure_one()
        companies = self.env["res.company"].browse(self._item_companies()
                                                   or self.company_id.ids)
        policies = dict(self.env["res.company"]._fields["task_follow_policy"]
                        ._description_selection(self.env))
        return self.env["ir.qweb"]._render(
            "crm_relationship_manager.crm_relationship_batch_preview",
            {"batch": self, "companies": companies, "policies": policies,
             "problems": problems})

    def _preview(self):
        self.ensure_one()
        problems = self._plan_items()
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

