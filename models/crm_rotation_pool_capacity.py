# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Capacity of rotation pool members: a member at capacity is skipped.

A pool's *Capacity* option says what a member's capacity counts: nothing (no
limit, the default), their **open leads**, or the leads they **received in the
last 30 days** (Odoo's own measure: ``crm.team.member.assignment_max``,
"Average Leads Capacity (on 30 days)", counted on ``date_open`` like
``crm.team.member.lead_month_count``). Both count the member's leads of the
pool's sales team, archived (lost) leads included for the 30-day window.

The capacity of a member is Odoo's ``assignment_max`` of their membership of
the pool's team; a user listed in the pool who is not in the team has the
capacity of their member line (``crm.rotation.pool.member.own_capacity``).

The loads are read under the pool's lock (``_lock_state``), in one query for
all the members of a pick batch, and the leads given earlier in the same batch
are added to them: parallel creations never push a member over capacity.
"""
from collections import Counter
from datetime import timedelta

from odoo import _, api, fields, models, sql_db
from odoo.tools import SQL

CAPACITY_MODES = [
    ("none", "No limit"),
    ("open", "Open leads"),
    ("month", "Leads received in the last 30 days"),
]


class RotationCapacity:
    """The members' loads against their capacities during one pick batch.

    ``read_loads`` is called once the pool's lock is held; ``add`` counts every
    lead given in the batch (the batch's leads are not in the database yet).
    """

    def __init__(self, pool, user_ids):
        self.pool = pool
        self.enabled = pool.capacity_mode != "none" and bool(user_ids)
        self.user_ids = user_ids
        self.limits = {}  # user id: (capacity, load in the database)
        self.given = Counter()

    def read_loads(self):
        if self.enabled and not self.limits:
            self.limits = self.pool._capacity_loads(self.user_ids, locked=True)

    def add(self, user):
        self.given[user.id] += 1

    def load(self, user):
        return self.limits.get(user.id, (0, 0))[1] + self.given[user.id]

    def full(self, user):
        if not self.enabled or user.id not in self.limits:
            return False
        return self.load(user) >= self.limits[user.id][0]

    def label(self, user):
        """The rotation log's note for a member skipped at capacity."""
        return self.pool._capacity_label(user, self.load(user), self.limits[user.id][0])


class CrmRotationPool(models.Model):
    _inherit = "crm.rotation.pool"

    capacity_mode = fields.Selection(
        CAPACITY_MODES, string="Capacity", default="none", required=True,
        help="What a member's capacity limits. A member at capacity is skipped by the "
        "rotation; when every available member is at capacity the lead goes to the "
        "fallback owner. A member's capacity is the 'Average Leads Capacity (on 30 days)' "
        "of their membership of the sales team (CRM > Configuration > Sales Teams), or, "
        "for a user listed here who is not in the team, the capacity of their line. "
        "Only the leads of the pool's sales team count.",
    )
    capacity_text = fields.Text(
        string="Load / Capacity", compute="_compute_capacity_text",
        help="Each effective member's current load and capacity.",
    )

    @api.depends("capacity_mode", "effective_user_ids")
    def _compute_capacity_text(self):
        for pool in self:
            if pool.capacity_mode == "none" or not pool._origin.id:
                pool.capacity_text = False
                continue
            users = pool.effective_user_ids
            limits = pool._origin._capacity_loads(users._origin.ids)
            pool.capacity_text = "\n".join(
                _("%(user)s: %(load)s / %(capacity)s", user=user.sudo().name,
                  load=limits[user.id][1], capacity=limits[user.id][0])
                for user in users if user.id in limits) or False

    def _capacity_tracker(self, user_ids):
        """A ``RotationCapacity`` for one pick batch of this pool (no query)."""
        self.ensure_one()
        return RotationCapacity(self.sudo(), user_ids)

    def _capacity_label(self, user, load, capacity):
        if self.capacity_mode == "open":
            return _("%(user)s: at capacity (%(load)s of %(capacity)s open leads)",
                     user=user.sudo().name, load=load, capacity=capacity)
        return _("%(user)s: at capacity (%(load)s of %(capacity)s leads in 30 days)",
                 user=user.sudo().name, load=load, capacity=capacity)

    def _capacity_lead_filter(self, cutoff):
        """The leads that count towards a member's load: SQL condition on crm_lead l."""
        if self.capacity_mode == "open":
            # won stages: a small hashed subquery rather than a lookup per lead
            return SQL("l.active AND (l.stage_id IS NULL OR l.stage_id NOT IN "
                       "(SELECT id FROM crm_stage WHERE is_won))")
        return SQL("l.date_open >= %s", cutoff)

    def _capacity_loads(self, user_ids, locked=False):
        """{user id: (capacity, load)} of these users in this pool, in one query.

        With ``locked`` (right after ``_lock_state``, the pool's lock held): under
        REPEATABLE READ the transaction's snapshot may predate the commit of the
        previous lock holder, whose leads it then does not see. ``_lock_state``
        tells when (the pool's sequence gave out a state number newer than this
        snapshot's newest state). Then the loads are counted as the union of the
        leads this snapshot sees (the transaction's own uncommitted leads
        included) and those committed by now, read on a fresh snapshot: never
        fewer than the real load.
        """
        self.ensure_one()
        if not user_ids or self.capacity_mode == "none":
            return {}
        self.env["crm.lead"].flush_model(["user_id", "team_id", "active", "stage_id",
                                          "date_open"])
        self.env["crm.team.member"].flush_model(["user_id", "crm_team_id", "active",
                                                 "assignment_max"])
        self.env["crm.rotation.pool.member"].flush_model(["pool_id", "user_id", "own_capacity"])
        cutoff = fields.Datetime.now() - timedelta(days=30)
        team_id, users = self.team_id.id, list(user_ids)
        lead_filter = self._capacity_lead_filter(cutoff)
        self.env.cr.execute(SQL(
            """
            WITH loads AS (
                SELECT l.user_id, count(*) AS load
                  FROM crm_lead l
                 WHERE l.user_id = ANY(%(users)s) AND l.team_id = %(team)s AND %(leads)s
                 GROUP BY l.user_id
            )
            SELECT m.user_id, COALESCE(tm.assignment_max, pm.own_capacity, 0),
                   COALESCE(loads.load, 0)
              FROM unnest(%(users)s::int[]) AS m(user_id)
              LEFT JOIN crm_team_member tm
                     ON tm.user_id = m.user_id AND tm.crm_team_id = %(team)s AND tm.active
              LEFT JOIN crm_rotation_pool_member pm
                     ON pm.user_id = m.user_id AND pm.pool_id = %(pool)s
              LEFT JOIN loads ON loads.user_id = m.user_id
            """,
            team=team_id, leads=lead_filter, users=users, pool=self.id,
        ))
        limits = {uid: (capacity, load) for uid, capacity, load in self.env.cr.fetchall()}
        if not (locked and self.env.cr.cache.get("crm_rm_rotation_stale", {}).get(self.id, True)):
            return limits
        ids_query = SQL(
            "SELECT l.user_id, array_agg(l.id) FROM crm_lead l "
            "WHERE l.user_id = ANY(%s) AND l.team_id = %s AND %s GROUP BY l.user_id",
            users, team_id, lead_filter)
        self.env.cr.execute(ids_query)
        leads = {uid: set(ids) for uid, ids in self.env.cr.fetchall()}
        with sql_db.db_connect(self.env.cr.dbname).cursor() as fresh:
            fresh.execute(ids_query)
            for uid, ids in fresh.fetchall():
                leads.setdefault(uid, set()).update(ids)
        return {uid: (capacity, len(leads.get(uid, ()))) for uid, (capacity, _load) in
                limits.items()}
