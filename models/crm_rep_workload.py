# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Workload report: per rep, company and relationship role, the rep's current
customers, open leads, open and overdue activities, covers and capacity.

A read-only SQL view (``init`` creates it). One row per (rep, company, role):
the customers are counted per role; the facts that belong to the rep in a
company rather than to a role (open leads and opportunities, activities,
covers, capacity) are on the row of the company's Salesperson role (the role
that owns the leads), so that every sum over roles counts them once and a
pivot by role shows the leads under the Salesperson.
"""
from odoo import fields, models
from odoo.tools import SQL, sql

from .crm_rep_cover import OPEN_STATES


class CrmRepWorkload(models.Model):
    _name = "crm.rep.workload"
    _description = "Rep Workload"
    _auto = False
    _order = "user_id, company_id, role_id"
    _rec_name = "user_id"
    # read through the ORM: these fields are flushed before the view is queried
    _depends = {
        "crm.relationship": ["user_id", "company_id", "role_id", "is_current"],
        "crm.lead": ["user_id", "company_id", "active", "stage_id", "team_id", "date_open"],
        "crm.rep.cover": ["user_id", "cover_user_id", "company_id", "state"],
        "crm.rotation.pool": ["active", "company_id", "team_id", "capacity_mode",
                              "use_team_members"],
        "crm.rotation.pool.member": ["pool_id", "user_id", "own_capacity"],
        "crm.team.member": ["user_id", "crm_team_id", "active", "assignment_max"],
        "crm.stage": ["is_won"],
        "mail.activity": ["user_id", "res_model", "res_id", "active", "date_deadline"],
        "res.company": ["relationship_primary_role_id"],
        "res.partner": ["company_id"],
        "res.users": ["company_id"],
    }

    user_id = fields.Many2one("res.users", string="Rep", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    role_id = fields.Many2one("crm.relationship.role", readonly=True)
    customer_count = fields.Integer(
        string="Customers", readonly=True,
        help="Customers of which the rep holds the current relationship of this role.")
    open_lead_count = fields.Integer(
        string="Open Leads", readonly=True,
        help="Open leads and opportunities (active, not won) assigned to the rep; a lead "
        "without company counts in the rep's main company.")
    activity_count = fields.Integer(
        string="Open Activities", readonly=True,
        help="Open activities assigned to the rep, in the company of their lead or "
        "customer (else the rep's main company).")
    overdue_activity_count = fields.Integer(
        string="Overdue Activities", readonly=True,
        help="Open activities assigned to the rep whose deadline is past.")
    cover_count = fields.Integer(
        string="Covers of Absences", readonly=True,
        help="Temporary covers of the rep's absences in the company, still to come or "
        "running.")
    covering_count = fields.Integer(
        string="Covers for Others", readonly=True,
        help="Temporary covers in which the rep covers for a colleague, still to come or "
        "running.")
    capacity = fields.Integer(
        readonly=True,
        help="For a member of rotation pools with a capacity in the company, the capacity "
        "in the pool where the rep is the fullest (Odoo's 'Average Leads Capacity' of "
        "their team membership, or their pool line's own capacity).")
    capacity_load = fields.Integer(
        string="Load", readonly=True,
        help="The rep's load in that pool: open leads, or leads received in the last 30 "
        "days, of the pool's team, as the pool counts them.")
    capacity_use = fields.Float(
        string="Capacity Use (%)", readonly=True, aggregator="max",
        help="Load as a percentage of the capacity (100 = at capacity).")

    # ------------------------------------------------------------------
    # Facts of the temporary covers and the rotation pools' capacities, each
    # as rows (user_id, company_id, ...)
    # ------------------------------------------------------------------
    def _workload_cover_rows(self):
        """Open covers (draft, planned, active) per rep and company: of the rep's
        absences, and those in which the rep covers."""
        return SQL(
            """
            SELECT user_id, company_id, 1 AS absent, 0 AS covering
              FROM crm_rep_cover WHERE state IN %(open)s
            UNION ALL
            SELECT cover_user_id, company_id, 0, 1
              FROM crm_rep_cover WHERE state IN %(open)s AND cover_user_id IS NOT NULL
            """, open=tuple(OPEN_STATES))

    def _workload_capacity_rows(self):
        """Per rep and company, the capacity-limited pool where the rep is the
        fullest: (user_id, company_id, capacity, load). The members are the
        pool's lines and, for a pool of team members, the team's members; the
        load is counted as the pool counts it (crm_rotation_pool_capacity.py)."""
        return SQL(
            """
            WITH members AS (
                SELECT p.id AS pool_id, p.company_id, p.team_id, p.capacity_mode, pm.user_id
                  FROM crm_rotation_pool p
                  JOIN crm_rotation_pool_member pm ON pm.pool_id = p.id
                 WHERE p.active AND p.capacity_mode != 'none'
                UNION
                SELECT p.id, p.company_id, p.team_id, p.capacity_mode, tm.user_id
                  FROM crm_rotation_pool p
                  JOIN crm_team_member tm ON tm.crm_team_id = p.team_id AND tm.active
                 WHERE p.active AND p.capacity_mode != 'none' AND p.use_team_members
            ), loads AS (
                SELECT m.pool_id, m.company_id, m.user_id,
                       COALESCE(tm.assignment_max, pm.own_capacity, 0) AS capacity,
                       (SELECT count(*) FROM crm_lead l
                         WHERE l.user_id = m.user_id AND l.team_id = m.team_id
                           AND CASE WHEN m.capacity_mode = 'open'
                                    THEN l.active AND (l.stage_id IS NULL OR l.stage_id NOT IN
                                         (SELECT id FROM crm_stage WHERE is_won))
                                    ELSE l.date_open >= (now() at time zone 'UTC')
                                                        - interval '30 days' END) AS load
                  FROM members m
                  LEFT JOIN crm_team_member tm ON tm.user_id = m.user_id
                                              AND tm.crm_team_id = m.team_id AND tm.active
                  LEFT JOIN crm_rotation_pool_member pm ON pm.user_id = m.user_id
                                                       AND pm.pool_id = m.pool_id
            )
            SELECT DISTINCT ON (user_id, company_id) user_id, company_id, capacity, load
              FROM loads
             ORDER BY user_id, company_id,
                      CASE WHEN capacity > 0 THEN load::float / capacity ELSE 'Infinity' END
                      DESC, pool_id
            """)

    def _workload_query(self):
        default_role = self.env.ref("crm_relationship_manager.role_account_manager",
                                    raise_if_not_found=False)
        return SQL(
            """
            WITH customers AS (
                SELECT r.user_id, r.company_id, r.role_id, count(*) AS customer_count
                  FROM crm_relationship r
                 WHERE r.is_current
                 GROUP BY r.user_id, r.company_id, r.role_id
            ), facts AS (
                SELECT l.user_id, COALESCE(l.company_id, u.company_id) AS company_id,
                       1 AS lead, 0 AS activity, 0 AS overdue, 0 AS cover, 0 AS covering
                  FROM crm_lead l
                  JOIN res_users u ON u.id = l.user_id
                  LEFT JOIN crm_stage s ON s.id = l.stage_id
                 WHERE l.active AND s.is_won IS NOT TRUE
                UNION ALL
                SELECT a.user_id, COALESCE(l.company_id, p.company_id, u.company_id),
                       0, 1, CASE WHEN a.date_deadline < CURRENT_DATE THEN 1 ELSE 0 END, 0, 0
                  FROM mail_activity a
                  JOIN res_users u ON u.id = a.user_id
                  LEFT JOIN crm_lead l ON a.res_model = 'crm.lead' AND l.id = a.res_id
                  LEFT JOIN res_partner p ON a.res_model = 'res.partner' AND p.id = a.res_id
                 WHERE a.active
                UNION ALL
                SELECT c.user_id, c.company_id, 0, 0, 0, c.absent, c.covering
                  FROM (%(covers)s) c
            ), per_company AS (
                SELECT f.user_id, f.company_id, sum(f.lead) AS open_lead_count,
                       sum(f.activity) AS activity_count,
                       sum(f.overdue) AS overdue_activity_count,
                       sum(f.cover) AS cover_count, sum(f.covering) AS covering_count
                  FROM facts f
                 WHERE f.user_id IS NOT NULL AND f.company_id IS NOT NULL
                 GROUP BY f.user_id, f.company_id
                UNION ALL
                SELECT k.user_id, k.company_id, 0, 0, 0, 0, 0 FROM (%(capacity)s) k
            ), keyed AS (
                SELECT user_id, company_id, role_id, customer_count, 0 AS open_lead_count,
                       0 AS activity_count, 0 AS overdue_activity_count, 0 AS cover_count,
                       0 AS covering_count
                  FROM customers
                UNION ALL
                SELECT pc.user_id, pc.company_id,
                       COALESCE(c.relationship_primary_role_id, %(default_role)s), 0,
                       pc.open_lead_count, pc.activity_count, pc.overdue_activity_count,
                       pc.cover_count, pc.covering_count
                  FROM per_company pc
                  JOIN res_company c ON c.id = pc.company_id
            ), totals AS (
                SELECT user_id, company_id, role_id,
                       sum(customer_count)::int AS customer_count,
                       sum(open_lead_count)::int AS open_lead_count,
                       sum(activity_count)::int AS activity_count,
                       sum(overdue_activity_count)::int AS overdue_activity_count,
                       sum(cover_count)::int AS cover_count,
                       sum(covering_count)::int AS covering_count
                  FROM keyed
                 GROUP BY user_id, company_id, role_id
            )
            SELECT row_number() OVER (ORDER BY t.user_id, t.company_id, t.role_id) AS id,
                   t.*,
                   -- the capacity is the rep's in the company: on the Salesperson
                   -- role's row, like the leads
                   COALESCE(k.capacity, 0)::int AS capacity,
                   COALESCE(k.load, 0)::int AS capacity_load,
                   CASE WHEN k.capacity > 0 THEN round(100.0 * k.load / k.capacity, 1)
                        WHEN k.user_id IS NOT NULL AND k.load > 0 THEN 100.0
                        ELSE 0.0 END AS capacity_use
              FROM totals t
              JOIN res_company c ON c.id = t.company_id
              LEFT JOIN (%(capacity)s) k
                     ON k.user_id = t.user_id AND k.company_id = t.company_id
                    AND t.role_id = COALESCE(c.relationship_primary_role_id, %(default_role)s)
            """,
            covers=self._workload_cover_rows(), capacity=self._workload_capacity_rows(),
            default_role=default_role.id if default_role else None,
        )

    def init(self):
        sql.drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute(SQL("CREATE VIEW %s AS (%s)", SQL.identifier(self._table),
                                self._workload_query()))
