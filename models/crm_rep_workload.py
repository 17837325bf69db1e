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


class CrmRepWorkload(models.Model):
    _name = "crm.rep.workload"
    _description = "Rep Workload"
    _auto = False
    _order = "user_id, company_id, role_id"
    _rec_name = "user_id"
    # read through the ORM: these fields are flushed before the view is queried
    _depends = {
        "crm.relationship": ["user_id", "company_id", "role_id", "is_current"],
        "crm.lead": ["user_id", "company_id", "active", "stage_id"],
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
        string="Covers", readonly=True,
        help="Covers (crm.rep.cover) held by the rep; 0 while that model is not installed.")
    capacity = fields.Integer(
        readonly=True,
        help="Capacity of the rep as a rotation pool member in the company; 0 while pool "
        "members have no capacity.")

    # ------------------------------------------------------------------
    # Facts provided by other models when they are present. Each returns rows
    # (user_id, company_id, <count>) and is empty while its table or column is
    # missing, so the view is valid with or without them; they are read when
    # the view is (re)created, at install or update of the addon (the models
    # they read are loaded first: see models/__init__.py).
    # ------------------------------------------------------------------
    def _workload_cover_rows(self):
        """Covers per rep and company: rows of crm_rep_cover (user_id, company_id,
        and active when it has that column)."""
        cr = self.env.cr
        if not all(sql.column_exists(cr, "crm_rep_cover", column)
                   for column in ("user_id", "company_id")):
            return SQL("SELECT NULL::int AS user_id, NULL::int AS company_id, 0 AS value "
                       "WHERE false")
        active = SQL("WHERE active") if sql.column_exists(cr, "crm_rep_cover", "active") \
            else SQL("")
        return SQL("SELECT user_id, company_id, count(*) AS value FROM crm_rep_cover %s "
                   "GROUP BY user_id, company_id", active)

    def _workload_capacity_rows(self):
        """Capacity per rep and company: the capacity of the rep's memberships of
        the company's active rotation pools (crm_rotation_pool_member.capacity)."""
        if not sql.column_exists(self.env.cr, "crm_rotation_pool_member", "capacity"):
            return SQL("SELECT NULL::int AS user_id, NULL::int AS company_id, 0 AS value "
                       "WHERE false")
        return SQL(
            """
            SELECT m.user_id, pool.company_id, sum(m.capacity) AS value
              FROM crm_rotation_pool_member m
              JOIN crm_rotation_pool pool ON pool.id = m.pool_id AND pool.active
             GROUP BY m.user_id, pool.company_id
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
                       1 AS lead, 0 AS activity, 0 AS overdue, 0 AS cover, 0 AS capacity
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
                SELECT c.user_id, c.company_id, 0, 0, 0, c.value, 0 FROM (%(covers)s) c
                UNION ALL
                SELECT k.user_id, k.company_id, 0, 0, 0, 0, k.value FROM (%(capacity)s) k
            ), per_company AS (
                SELECT f.user_id, f.company_id, sum(f.lead) AS open_lead_count,
                       sum(f.activity) AS activity_count,
                       sum(f.overdue) AS overdue_activity_count,
                       sum(f.cover) AS cover_count, sum(f.capacity) AS capacity
                  FROM facts f
                 WHERE f.user_id IS NOT NULL AND f.company_id IS NOT NULL
                 GROUP BY f.user_id, f.company_id
            ), keyed AS (
                SELECT user_id, company_id, role_id, customer_count, 0 AS open_lead_count,
                       0 AS activity_count, 0 AS overdue_activity_count, 0 AS cover_count,
                       0 AS capacity
                  FROM customers
                UNION ALL
                SELECT pc.user_id, pc.company_id,
                       COALESCE(c.relationship_primary_role_id, %(default_role)s), 0,
                       pc.open_lead_count, pc.activity_count, pc.overdue_activity_count,
                       pc.cover_count, pc.capacity
                  FROM per_company pc
                  JOIN res_company c ON c.id = pc.company_id
            )
            SELECT row_number() OVER (ORDER BY user_id, company_id, role_id) AS id,
                   user_id, company_id, role_id,
                   sum(customer_count)::int AS customer_count,
                   sum(open_lead_count)::int AS open_lead_count,
                   sum(activity_count)::int AS activity_count,
                   sum(overdue_activity_count)::int AS overdue_activity_count,
                   sum(cover_count)::int AS cover_count,
                   sum(capacity)::int AS capacity
              FROM keyed
             GROUP BY user_id, company_id, role_id
            """,
            covers=self._workload_cover_rows(), capacity=self._workload_capacity_rows(),
            default_role=default_role.id if default_role else None,
        )

    def init(self):
        sql.drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute(SQL("CREATE VIEW %s AS (%s)", SQL.identifier(self._table),
                                self._workload_query()))
