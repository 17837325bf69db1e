#!/usr/bin/env python3
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Mass reassignment: one batch distributing a rep's book across 4 reps.

Builds (set-wise SQL) N customers with a current relationship to one rep, 2 open
activities per customer (on the customer, or on its open lead) and N/2 open
leads, then, in this one process:

1. the batch: Start Update (items computed) and the cron processing, chunk by
   chunk, through ``crm.relationship._assign`` (history, Salesperson sync,
   task-follow hook moving the open activities), the open leads moved along;
2. the naive way: an ORM ``write`` per relationship and per lead, in a loop,
   on a slice of the customers, scaled up to N;
3. the floor: plain SQL UPDATEs of the same rows (relationship rep, Salesperson,
   leads, activities).

Goals: batch <= 60 s on 2 cores, >= 20x faster than naive, within 3x of the floor
(5x before December 2026).

By default the script works on a scratch copy of ``--database`` (dropped at the
end) and commits as production does: the data set, then Start Update (a web
request), then every chunk of the cron (one transaction each). The naive way and
the floor are rolled back after they are timed. ``--single-transaction`` runs
everything in one transaction on ``--database`` itself and rolls it back (the
cron's per-chunk commit replaced by a flush): PostgreSQL then re-checks every
foreign key of a row updated in the transaction that inserted it, which makes
all three figures slower than in production.

The task-follow policy queues its handover e-mails (one row per change,
written later by its own cron job): they are part of neither figure.

    python3 benchmarks/bench_mass_reassign.py --database crm_relationship_demo
        [--chunk-size 5000] [--single-transaction]
"""
import time
from unittest.mock import patch

from _odoo import create_reps, insert_current_relationships, odoo_env, parser


def build(env, count, policy):
    cr = env.cr
    company = env.company
    company.task_follow_policy = policy
    role = company._get_relationship_primary_role()
    users = create_reps(env, "Mass", 6)
    source, targets, naive_user = users[0], users[1:5], users[5]
    team = env["crm.team"].create({"name": "Mass team", "company_id": company.id,
                                   "member_ids": [(6, 0, users.ids)]})
    stage = env["crm.stage"].search([("is_won", "=", False)], limit=1)
    env.flush_all()
    t0 = time.perf_counter()
    cr.execute(
        """
        INSERT INTO res_partner (name, complete_name, is_company, company_id, active, type,
                                 user_id, crm_rm_user_id,
                                 create_date, write_date, create_uid, write_uid)
        SELECT 'Mass Customer ' || g, 'Mass Customer ' || g, true, %(company)s, true,
               'contact', %(source)s, jsonb_build_object(%(company)s::text, %(source)s),
               now() at time zone 'UTC', now() at time zone 'UTC', 1, 1
          FROM generate_series(1, %(count)s) g
        RETURNING id
        """, {"company": company.id, "source": source.id, "count": count})
    partner_ids = [r[0] for r in cr.fetchall()]
    cr.execute("UPDATE res_partner SET commercial_partner_id = id WHERE id = ANY(%s)",
               (partner_ids,))
    insert_current_relationships(cr, partner_ids, source.id, company.id, role.id)
    lead_partners = partner_ids[::2]
    cr.execute(
        """
        INSERT INTO crm_lead (name, type, partner_id, user_id, company_id, team_id, stage_id,
                              active, probability, create_date, write_date, create_uid,
                              write_uid)
        SELECT 'Mass deal ' || p, 'opportunity', p, %s, %s, %s, %s, true, 10,
               now() at time zone 'UTC', now() at time zone 'UTC', 1, 1
          FROM unnest(%s::int[]) p
        RETURNING id, partner_id
        """, (source.id, company.id, team.id, stage.id, lead_partners))
    lead_of = dict((p, lead_id) for lead_id, p in cr.fetchall())
    partner_model = env.ref("base.model_res_partner").id
    lead_model = env.ref("crm.model_crm_lead").id
    call = env.ref("mail.mail_activity_data_call").id
    # 2 activities per customer: on the customer, and on its lead (or customer again)
    cr.execute(
        """
        INSERT INTO mail_activity (res_model_id, res_model, res_id, res_name,
                                   activity_type_id, user_id, date_deadline, summary,
                                   automated, active, create_date, write_date,
                                   create_uid, write_uid)
        SELECT CASE WHEN l IS NULL THEN %(pm)s ELSE %(lm)s END,
               CASE WHEN l IS NULL THEN 'res.partner' ELSE 'crm.lead' END,
               COALESCE(l, p), 'Mass', %(call)s, %(user)s,
               (now() + interval '7 days')::date, 'Follow up', k = 1, true,
               now() at time zone 'UTC', now() at time zone 'UTC', 1, 1
          FROM unnest(%(partners)s::int[], %(leads)s::int[]) AS x(p, l0)
         CROSS JOIN generate_series(1, 2) k
         CROSS JOIN LATERAL (SELECT CASE WHEN k = 2 THEN l0 END AS l) y
        """,
        {"pm": partner_model, "lm": lead_model, "call": call, "user": source.id,
         "partners": partner_ids, "leads": [lead_of.get(p) for p in partner_ids]})
    cr.execute("ANALYZE res_partner; ANALYZE crm_relationship; ANALYZE crm_lead; "
               "ANALYZE mail_activity")
    env.invalidate_all()
    cr.execute("SELECT count(*) FROM mail_activity WHERE user_id = %s", (source.id,))
    activities = cr.fetchone()[0]
    print(f"setup: {count} customers/relationships, {len(lead_of)} open leads, "
          f"{activities} open activities in {time.perf_counter() - t0:.1f} s "
          f"(task-follow policy: {policy})")
    return source, targets, naive_user, partner_ids


def run_batch(env, source, targets, chunk_size, commit):
    Batch = env["crm.relationship.batch"]
    batch = Batch.create({"chunk_size": chunk_size, "line_ids": [(0, 0, {
        "kind": "rep", "source_user_id": source.id,
        "target_ids": [(0, 0, {"user_id": u.id}) for u in targets]})]})
    env.flush_all()
    if commit:
        env.cr.commit()  # the draft batch, saved by the wizard
    t0 = time.perf_counter()
    batch.action_start()
    env.flush_all()
    if commit:
        env.cr.commit()  # end of the web request
    t_start = time.perf_counter() - t0
    t0 = time.perf_counter()
    # the cron job's loop; with ``commit`` each chunk is its own transaction
    # (``_batch_commit`` commits), as in production
    chunk_commit = Batch._batch_commit if commit else (lambda self: self.env.flush_all())
    with patch.object(type(Batch), "_batch_commit", chunk_commit):
        while batch.state in ("queued", "running"):
            Batch._cron_process_batches(time_budget=3600)
    env.flush_all()
    if commit:
        env.cr.commit()
    t_process = time.perf_counter() - t0
    assert batch.state == "done", (batch.state, batch.error)
    return batch, t_start, t_process


def run_naive(env, batch, naive_user, size):
    """ORM write per relationship and per lead, in a loop (the naive way)."""
    Rel = env["crm.relationship"].with_context(crm_rel_source="mass", crm_rel_reason="naive",
                                               mail_auto_subscribe_no_notify=True,
                                               tracking_disable=True)
    # the relationships the batch created (current), a slice of them
    rels = Rel.search([("batch_id", "=", batch.id), ("is_current", "=", True)],
                      order="id", limit=size)
    from odoo.addons.crm_relationship_manager.context_keys import SERVER

    Lead = env["crm.lead"].with_context(crm_task_follow_skip=SERVER, tracking_disable=True)
    leads = Lead.search([("partner_id", "in", rels.partner_id.ids),
                         ("user_id", "in", rels.user_id.ids)])
    env.flush_all()
    t0 = time.perf_counter()
    for rel in rels:
        rel.write({"user_id": naive_user.id})
    for lead in leads:
        lead.write({"user_id": naive_user.id})
    env.flush_all()
    return time.perf_counter() - t0, len(rels)


def run_floor(env, batch, source):
    """Plain SQL UPDATEs of the same rows: relationship rep, Salesperson, leads,
    activities (back to the source rep)."""
    cr = env.cr
    company = batch.company_id
    env.flush_all()
    t0 = time.perf_counter()
    cr.execute("UPDATE crm_relationship SET user_id = %s WHERE batch_id = %s",
               (source.id, batch.id))
    cr.execute(
        """
        UPDATE res_partner p SET crm_rm_user_id = jsonb_build_object(%s::text, %s),
                                 user_id = %s
          FROM crm_relationship_batch_item i
         WHERE i.batch_id = %s AND p.commercial_partner_id = i.partner_id
        """, (company.id, source.id, source.id, batch.id))
    cr.execute(
        """
        UPDATE crm_lead l SET user_id = %s
          FROM crm_relationship_batch_item i
         WHERE i.batch_id = %s AND l.partner_id = i.partner_id
        """, (source.id, batch.id))
    cr.execute(
        """
        UPDATE mail_activity a SET user_id = %s
          FROM crm_relationship_batch_item i
         WHERE i.batch_id = %s AND a.res_model = 'res.partner' AND a.res_id = i.partner_id
        """, (source.id, batch.id))
    cr.execute(
        """
        UPDATE mail_activity a SET user_id = %s
          FROM crm_lead l JOIN crm_relationship_batch_item i ON i.partner_id = l.partner_id
         WHERE i.batch_id = %s AND a.res_model = 'crm.lead' AND a.res_id = l.id
        """, (source.id, batch.id))
    return time.perf_counter() - t0


def main():
    p = parser(__doc__)
    p.add_argument("--customers", type=int, default=100_000)
    p.add_argument("--naive-slice", type=int, default=5_000)
    p.add_argument("--chunk-size", type=int, default=5_000)
    p.add_argument("--policy", default="all", choices=["none", "automated", "all"],
                   help="task-follow policy of the company (default: all activities move)")
    p.add_argument("--single-transaction", action="store_true",
                   help="work in one rolled-back transaction on --database itself "
                   "instead of committing on a scratch copy")
    args = p.parse_args()
    commit = not args.single_transaction
    print("mode: " + ("scratch copy, committed like production (request, then one "
                      "transaction per chunk)" if commit else
                      "one transaction, rolled back (chunk commits replaced by flushes)"))
    with odoo_env(args, scratch_copy=commit) as env:
        source, targets, naive_user, partner_ids = build(env, args.customers, args.policy)
        if commit:
            env.cr.commit()
        batch, t_start, t_process = run_batch(env, source, targets, args.chunk_size, commit)
        cr = env.cr
        cr.execute("SELECT user_id, count(*) FROM crm_relationship WHERE batch_id = %s "
                   "AND is_current GROUP BY user_id ORDER BY user_id", (batch.id,))
        per_rep = cr.fetchall()
        cr.execute("SELECT count(*) FROM mail_activity WHERE user_id = ANY(%s)", (targets.ids,))
        moved_activities = cr.fetchone()[0]
        t_batch = t_start + t_process
        print(f"batch: start {t_start:.1f} s + processing {t_process:.1f} s "
              f"= {t_batch:.1f} s (goal <= 60 s)")
        print(f"  per new rep: {[c for __, c in per_rep]}, leads moved: {batch.leads_moved}, "
              f"activities moved: {moved_activities}")
        t_naive, n = run_naive(env, batch, naive_user, args.naive_slice)
        if commit:
            env.cr.rollback()
            env.invalidate_all()
        scale = args.customers / n
        print(f"naive ORM write per record: {t_naive:.1f} s for {n} customers "
              f"-> {t_naive * scale:.0f} s scaled to {args.customers}")
        t_floor = run_floor(env, batch, source)
        print(f"SQL UPDATE floor (same rows): {t_floor:.1f} s")
        print(f"ratio naive / batch: {t_naive * scale / t_batch:.1f}x (goal >= 20x)")
        print(f"ratio batch / floor: {t_batch / t_floor:.1f}x (goal <= 3x)")


if __name__ == "__main__":
    main()
