# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import json
from datetime import timedelta

from odoo import _, api, fields, models, sql_db
from odoo.exceptions import ValidationError
from odoo.tools import SQL, email_normalize_all

from ..context_keys import (
    ROTATION_CHANNEL,
    ROTATION_SKIP_USER_IDS,
    SERVER,
    TASK_FOLLOW_SKIP,
    client_value,
    server_value,
)
from ..m2o_values import m2o_ids

ROTATION_REASONS = [
    ("sticky", "Sticky: the customer's rep"),
    ("rotation", "Rotation"),
    ("covered", "Rotation, covering for an away rep"),
    ("cover", "Temporary cover of the customer's rep"),
    ("fallback", "Fallback owner"),
    ("full", "Fallback owner: every available member at capacity"),
]


class CrmRotationPool(models.Model):
    """Who gets the new leads of a channel (company, team, source, medium, form).

    Turns are given under a row lock on the pool (``SELECT ... FOR UPDATE``)
    taken in the transaction that creates the lead, and the new turn state is
    appended to ``crm.rotation.pool.state`` in that same transaction: two
    parallel creations never get the same turn, and a creation that is rolled
    back gives its turn back. The pool row is only locked, never updated, by a
    turn, and the newest committed state is read on a fresh snapshot once the
    lock is held, so parallel creations wait for each other instead of failing
    with serialization errors (see ``_lock_state``).
    """

    _name = "crm.rotation.pool"
    _description = "Lead Rotation Pool"
    _order = "sequence, id"
    _check_company_auto = True

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10, help="Breaks ties between equally specific pools.")
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    team_id = fields.Many2one(
        "crm.team", string="Sales Team", required=True, check_company=True, index=True,
        domain="[('company_id', 'in', (False, company_id))]",
    )
    source_id = fields.Many2one(
        "utm.source", ondelete="restrict",
        help="Only leads of this source (empty: any source).",
    )
    medium_id = fields.Many2one(
        "utm.medium", ondelete="restrict",
        help="Only leads of this medium (empty: any medium).",
    )
    channel_key = fields.Char(
        string="Web Form Key",
        help="Only leads created with this form key (context key crm_rotation_channel, "
        "e.g. set by a website form or an integration). Empty: any.",
    )
    use_team_members = fields.Boolean(
        string="Include Team Members", default=True,
        help="Every active member of the sales team takes part, except Sales "
        "Administrators and Settings administrators, who take part only when listed "
        "in Members.",
    )
    member_ids = fields.One2many(
        "crm.rotation.pool.member", "pool_id", string="Members",
        help="Users listed here take part (even administrators) with the given weight.",
    )
    excluded_user_ids = fields.Many2many(
        "res.users", "crm_rotation_pool_excluded_rel", "pool_id", "user_id",
        string="Excluded", domain="[('share', '=', False)]",
        help="Never receive leads from this pool, not even as sticky rep.",
    )
    effective_user_ids = fields.Many2many(
        "res.users", compute="_compute_effective_user_ids", string="Effective Members",
        help="Who takes part in the rotation, in turn order (exclusions removed).",
    )
    fallback_user_id = fields.Many2one(
        "res.users", string="Fallback Owner", required=True, ondelete="restrict",
        compute="_compute_fallback_user_id", store=True, readonly=False, precompute=True,
        domain="[('share', '=', False), ('company_ids', 'in', company_id)]",
        help="Gets the lead when no member is eligible. Defaults to the team leader.",
    )
    notify_emails = fields.Char(
        string="Notify E-mails",
        help="Comma-separated addresses that receive one 'new lead' e-mail per lead "
        "assigned by this pool, naming the assigned rep.",
    )
    sticky_won_days = fields.Integer(
        string="Won Leads Count For (days)", default=90,
        help="A customer without a current rep sticks to the rep of an open lead or of "
        "a lead won in this many days.",
    )
    rotation_pointer = fields.Integer(
        string="Next Position", compute="_compute_rotation_state",
        help="Position in the turn order of the next rotation turn.",
    )
    rotation_turn = fields.Integer(
        string="Turns Given", compute="_compute_rotation_state",
        help="Number of rotation turns given so far (turn numbers in the log).",
    )
    rotation_owed = fields.Json(
        string="Owed Turns by User", compute="_compute_rotation_state",
        help="Turns skipped while a member was away, given back on their return.",
    )
    rotation_owed_text = fields.Char(
        string="Owed Turns", compute="_compute_rotation_state",
        help="Turns skipped while a member was away, given back on their return.",
    )
    log_ids = fields.One2many("crm.rotation.log", "pool_id", string="Decisions")
    log_count = fields.Integer(compute="_compute_log_count", string="Decisions Count")

    # ------------------------------------------------------------------
    # Computes and constraints
    # ------------------------------------------------------------------
    @api.depends("team_id")
    def _compute_fallback_user_id(self):
        for pool in self:
            if not pool.fallback_user_id and pool.team_id.user_id:
                pool.fallback_user_id = pool.team_id.user_id

    @api.depends("use_team_members", "team_id.member_ids", "member_ids.user_id",
                 "member_ids.weight", "excluded_user_ids")
    def _compute_effective_user_ids(self):
        # the same membership as the picks (_member_rows), on the values the
        # form shows, unsaved edits included
        Users = self.env["res.users"]
        for pool in self:
            pool.effective_user_ids = Users.browse([row[0] for row in pool._member_rows()])

    def _compute_rotation_state(self):
        states = {}
        if self.ids:
            self.env["crm.rotation.pool.state"].flush_model()
            self.env.cr.execute(
                "SELECT DISTINCT ON (pool_id) pool_id, pointer, turn, owed "
                "FROM crm_rotation_pool_state WHERE pool_id = ANY(%s) "
                "ORDER BY pool_id, seq DESC NULLS LAST", (list(self._origin.ids),))
            states = {row[0]: row[1:] for row in self.env.cr.fetchall()}
        for pool in self:
            pointer, turn, owed = states.get(pool._origin.id, (0, 0, None))
            pool.rotation_pointer, pool.rotation_turn = pointer, turn
            pool.rotation_owed = owed or False
            users = self.env["res.users"].browse(int(uid) for uid in (owed or {}))
            pool.rotation_owed_text = ", ".join(
                f"{user.name}: {owed[str(user.id)]}" for user in users.sudo()) or False

    def _compute_log_count(self):
        data = self.env["crm.rotation.log"]._read_group(
            [("pool_id", "in", self.ids)], ["pool_id"], ["__count"])
        counts = {pool.id: count for pool, count in data}
        for pool in self:
            pool.log_count = counts.get(pool.id, 0)

    @api.constrains("fallback_user_id", "company_id")
    def _check_fallback_user(self):
        for pool in self:
            user = pool.fallback_user_id
            if not user:
                raise ValidationError(
                    _("Rotation pool %(pool)s needs a fallback owner.", pool=pool.name))
            user._crm_rm_check_owner(pool.company_id, what=_(
                "the fallback owner of rotation pool %(pool)s", pool=pool.name))

    @api.constrains("company_id", "member_ids")
    def _check_member_company(self):
        self.member_ids._check_user_company()

    @api.constrains("notify_emails")
    def _check_notify_emails(self):
        for pool in self.filtered("notify_emails"):
            parts = [part.strip() for part in pool.notify_emails.replace(";", ",").split(",")]
            bad = [part for part in parts if part and not email_normalize_all(part)]
            if bad:
                raise ValidationError(
                    _("%(address)s is not a valid e-mail address (rotation pool %(pool)s).",
                      address=bad[0], pool=pool.name))

    @api.constrains("sticky_won_days")
    def _check_sticky_won_days(self):
        for pool in self:
            if pool.sticky_won_days < 0:
                raise ValidationError(
                    _("The number of days won leads count for cannot be negative "
                      "(rotation pool %(pool)s).", pool=pool.name))

    @api.model_create_multi
    def create(self, vals_list):
        Team = self.env["crm.team"]
        vals_list = [m2o_ids(self, vals) for vals in vals_list]
        for vals in vals_list:
            if "fallback_user_id" in vals and not vals["fallback_user_id"]:
                vals.pop("fallback_user_id")
            if not vals.get("fallback_user_id"):
                team = Team.browse(vals.get("team_id") or []).sudo()
                if not team.user_id:
                    raise ValidationError(
                        _("Rotation pool %(pool)s needs a fallback owner: choose one, or give "
                          "its sales team a team leader.", pool=vals.get("name") or ""))
        pools = super().create(vals_list)
        pools._ensure_sequences()
        return pools

    def unlink(self):
        names = [pool._sequence_name() for pool in self]
        res = super().unlink()
        for name in names:
            self.env.cr.execute(SQL("DROP SEQUENCE IF EXISTS %s", SQL.identifier(name)))
        return res

    def write(self, vals):
        if "fallback_user_id" in vals and not vals["fallback_user_id"]:
            raise ValidationError(
                _("Rotation pool %(pool)s needs a fallback owner.",
                  pool=", ".join(self.mapped("name"))))
        return super().write(vals)

    # ------------------------------------------------------------------
    # Members and eligibility
    # ------------------------------------------------------------------
    def _member_rows(self):
        """The pool's members in turn order, in one query: [(user id, weight,
        name, eligible)], eligible meaning they can own the pool company's
        records today (``res.users._crm_rm_eligible_sql``).

        Listed members first (their order), then the active team members who are
        neither Sales Administrators nor Settings administrators; exclusions
        removed. Archived and away users stay: they are skipped at pick time, so
        that the skip is logged and away members keep their turns. A pool being
        edited in a form is read from its values (the unsaved edits too), so that
        the effective members shown are the ones the picks will use; a saved
        pool's listed members and exclusions are read in the same query.
        """
        self.ensure_one()
        pool = self.sudo()
        IrModelData = self.env["ir.model.data"]
        admin_gids = [IrModelData._xmlid_to_res_id(xmlid) for xmlid in (
            "sales_team.group_sale_manager", "base.group_system")]  # cached: no query
        if isinstance(pool.id, models.NewId):
            listed = pool.member_ids.filtered("user_id")  # in their order (sequence, id)
            listed_sql = SQL(
                "SELECT l.user_id, l.weight, l.pos FROM unnest(%s::int[], %s::int[]) "
                "WITH ORDINALITY AS l(user_id, weight, pos)",
                [member.user_id._origin.id for member in listed],
                [member.weight for member in listed])
            excluded_sql = SQL("SELECT unnest(%s::int[])", pool.excluded_user_ids._origin.ids)
        else:
            self.env["crm.rotation.pool.member"].flush_model(
                ["pool_id", "user_id", "weight", "sequence"])
            pool.flush_recordset(["excluded_user_ids"])
            listed_sql = SQL(
                "SELECT pm.user_id, pm.weight, row_number() OVER (ORDER BY pm.sequence, pm.id) AS pos "
                "FROM crm_rotation_pool_member pm WHERE pm.pool_id = %s", pool.id)
            excluded_sql = SQL(
                "SELECT ex.user_id FROM crm_rotation_pool_excluded_rel ex WHERE ex.pool_id = %s",
                pool.id)
        self.env["crm.team.member"].flush_model(["crm_team_id", "user_id", "active"])
        self.env["res.users"].flush_model(["active", "groups_id", "partner_id"])
        self.env["res.groups"].flush_model(["users"])
        eligible = self.env["res.users"]._crm_rm_eligible_sql(
            "u", pool.company_id._origin.id or 0, fields.Date.context_today(self))
        self.env.cr.execute(SQL(
            """
            WITH listed AS MATERIALIZED (%(listed)s),
            candidates AS MATERIALIZED (
                SELECT l.user_id, l.weight, 0 AS listed_last, l.pos FROM listed l
                UNION ALL
                SELECT m.user_id, 1, 1, 0
                  FROM crm_team_member m
                 WHERE %(use_team)s AND m.crm_team_id = %(team)s AND m.active
                   AND m.user_id NOT IN (SELECT user_id FROM listed)
            )
            SELECT DISTINCT ON (c.listed_last, c.pos, u.id)
                   u.id, c.weight, rp.name, %(eligible)s
              FROM candidates c
              JOIN res_users u ON u.id = c.user_id
              JOIN res_partner rp ON rp.id = u.partner_id
             WHERE u.id NOT IN (%(excluded)s)
               AND (c.listed_last = 0 OR (u.active AND NOT EXISTS (
                        SELECT 1 FROM res_groups_users_rel g
                         WHERE g.uid = u.id AND g.gid = ANY(%(admin_gids)s))))
             ORDER BY c.listed_last, c.pos, u.id
            """,
            listed=listed_sql, excluded=excluded_sql, team=pool.team_id._origin.id or 0,
            use_team=bool(pool.use_team_members), admin_gids=admin_gids, eligible=eligible,
        ))
        return self.env.cr.fetchall()

    def _members_with_weights(self):
        """[(user, weight)] in turn order (see ``_member_rows``)."""
        rows = self._member_rows()
        return list(zip(self.env["res.users"].browse([row[0] for row in rows]),
                        (row[1] for row in rows)))

    def _schedule(self, members):
        """Turn order of one cycle: weight k = k turns, interleaved."""
        rounds = max((weight for _user, weight in members), default=0)
        return [user for r in range(rounds) for user, weight in members if weight > r]

    def _unavailability(self, users, today):
        """{user: why they cannot take a lead of this pool today} for the users
        of ``users`` who cannot: excluded, or a problem of the eligibility rule
        (``res.users._crm_rm_owner_problem_codes``)."""
        if not users:
            return {}
        pool = self.sudo()
        why = dict.fromkeys(users & pool.excluded_user_ids, "excluded")
        why.update(users._crm_rm_owner_problem_codes(pool.company_id, today))
        return why

    def _why_label(self, user, why):
        """The short note of the rotation log for a skipped user."""
        name = user.sudo().name
        if why == "archived":
            return _("%(user)s: archived", user=name)
        if why == "excluded":
            return _("%(user)s: excluded", user=name)
        if why == "away":
            return _("%(user)s: away until %(date)s", user=name, date=user.sudo().away_until)
        if why == "covered":
            return _("%(user)s: away, covered", user=name)
        return _("%(user)s: not in company %(company)s", user=name,
                 company=self.company_id.name)

    # ------------------------------------------------------------------
    # Matching a lead to a pool
    # ------------------------------------------------------------------
    @api.model
    def _find_for_lead_values(self, company, team, source, medium, channel, pools=None):
        """The most specific active pool for these lead values (or an empty recordset).

        A pool matches when its company is the lead's, its team is the lead's, and
        each of its source, medium and form key is either empty or equal to the
        lead's. A lead without a team matches only pools restricted to a source,
        medium or form key (and then gets the pool's team). More matching criteria
        win, then the sequence.
        """
        pools = self.sudo().search([("company_id", "=", company.id)]) if pools is None \
            else pools.filtered(lambda p: p.company_id == company)
        best, best_key = self.browse(), None
        for pool in pools:
            if team and pool.team_id != team:
                continue
            if pool.source_id and pool.source_id != source:
                continue
            if pool.medium_id and pool.medium_id != medium:
                continue
            if pool.channel_key and pool.channel_key != (channel or None):
                continue
            score = (bool(pool.channel_key) + bool(pool.source_id) + bool(pool.medium_id))
            if not team and not score:
                # a lead without a team is routed by its channel only
                continue
            key = (-score, pool.sequence, pool.id)
            if best_key is None or key < best_key:
                best, best_key = pool, key
        return best

    @api.model
    def _assign_lead_values(self, vals_list):
        """Give the leads about to be created (values without a Salesperson) the rep
        of their pool. Writes ``user_id``, ``rotation_pool_id`` (and ``team_id`` when
        the lead had none) into the values.

        :return: [(index in vals_list, decision)] for the values a pool assigned
        """
        pools = self.sudo().search_fetch([], [
            "company_id", "team_id", "source_id", "medium_id", "channel_key", "sequence",
            "fallback_user_id", "use_team_members", "notify_emails", "name", "capacity_mode"])
        if not pools:
            return []
        ctx = self.env.context
        Team, Partner = self.env["crm.team"].sudo(), self.env["res.partner"].sudo()
        Company = self.env["res.company"].sudo()
        channel = client_value(ctx, ROTATION_CHANNEL) or None
        requests = {}
        # one prefetch set for all the leads' teams and customers (their companies
        # are read in one query, not one per lead)
        team_prefetch = Team.browse({vals.get("team_id") or ctx.get("default_team_id")
                                     for vals in vals_list} - {None, False})._prefetch_ids
        partner_prefetch = Partner.browse(
            {vals.get("partner_id") or ctx.get("default_partner_id") for vals in vals_list}
            - {None, False})._prefetch_ids
        for index, vals in enumerate(vals_list):
            team = Team.browse(vals.get("team_id") or ctx.get("default_team_id") or []
                               ).with_prefetch(team_prefetch)
            partner = Partner.browse(vals.get("partner_id") or ctx.get("default_partner_id") or []
                                     ).with_prefetch(partner_prefetch)
            company = Company.browse(vals.get("company_id") or ctx.get("default_company_id") or [])
            company = company or team.company_id or partner.company_id or self.env.company
            source = self.env["utm.source"].browse(
                vals.get("source_id") or ctx.get("default_source_id") or [])
            medium = self.env["utm.medium"].browse(
                vals.get("medium_id") or ctx.get("default_medium_id") or [])
            pool = self._find_for_lead_values(company, team, source, medium, channel, pools)
            if pool:
                requests.setdefault(pool, []).append(
                    (index, {"partner": partner, "lead_vals": vals, "team": team}))
        result = []
        for pool, items in requests.items():
            decisions = pool._pick_batch([request for _index, request in items])
            for (index, request), decision in zip(items, decisions):
                vals = vals_list[index]
                vals["user_id"] = decision["user"].id
                vals["rotation_pool_id"] = decision["pool"].id
                vals["rotation_reason"] = decision["reason"]
                if decision["covered_user"]:
                    vals["rotation_covered_user_id"] = decision["covered_user"].id
                if not request["team"]:
                    vals["team_id"] = pool.team_id.id
                if not vals.get("company_id"):
                    vals["company_id"] = pool.company_id.id
                result.append((index, decision))
        result.sort(key=lambda item: item[0])
        return result

    # ------------------------------------------------------------------
    # Picking reps
    # ------------------------------------------------------------------
    def _pick_rep(self, partner=None, lead_vals=None):
        """Pick the rep of one new lead of this pool and log the decision.

        Sticky rep of ``partner`` (its commercial entity) if eligible, else the next
        eligible member (this consumes a turn, under a lock on the pool), else the
        fallback owner.

        :return: (res.users, reason) with reason in sticky/rotation/covered/fallback
        """
        self.ensure_one()
        decision = self._pick_batch([{"partner": partner, "lead_vals": lead_vals or {}}])[0]
        self._log_decisions([decision])
        return decision["user"], decision["reason"]

    def _sequence_name(self):
        return f"crm_rotation_pool_seq_{self.id}"

    def _ensure_sequences(self):
        """Each pool numbers its state rows with its own sequence (see _lock_state)."""
        for pool in self:
            self.env.cr.execute(SQL("CREATE SEQUENCE IF NOT EXISTS %s",
                                    SQL.identifier(pool._sequence_name())))

    def init(self):
        self.env.cr.execute("SELECT id FROM crm_rotation_pool")
        self.browse([row[0] for row in self.env.cr.fetchall()])._ensure_sequences()

    def _lock_state(self):
        """Lock the pool row; return the newest turn state (pointer, turn, owed).

        The lock orders the transactions that take turns of this pool: each
        waits until the previous one has committed or rolled back. Only the lock
        is taken on the pool row (no update), which does not make the next
        transaction fail with a serialization error.

        Under REPEATABLE READ the waiting transaction's snapshot may predate the
        previous holder's commit. State rows are numbered by the pool's own
        sequence, which is not transactional: when the last number given out is
        the newest one this transaction sees, its snapshot is up to date (the
        usual case, one query). Otherwise the newest committed state is read on a
        fresh snapshot (a second connection, started once the lock is held), and
        the newer of the two wins; the transaction's own snapshot still sees its
        own, uncommitted turns.
        """
        self.ensure_one()
        self.env["crm.rotation.pool.state"].flush_model()
        self.env.cr.execute(
            "SELECT id FROM crm_rotation_pool WHERE id = %s FOR UPDATE", (self.id,),
            # a serialization failure here (the pool itself was edited meanwhile)
            # is retried by Odoo (odoo.service.model.retrying): no error log
            log_exceptions=False,
        )
        # a separate statement: values computed by the locking statement itself
        # may have been computed before it waited for the lock
        self.env.cr.execute(SQL(
            """
            SELECT s.seq, s.pointer, s.turn, s.owed,
                   (SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM %s)
              FROM (SELECT 1) one
              LEFT JOIN LATERAL (SELECT seq, pointer, turn, owed
                                   FROM crm_rotation_pool_state
                                  WHERE pool_id = %s
                                  ORDER BY seq DESC LIMIT 1) s ON TRUE
            """,
            SQL.identifier(self._sequence_name()), self.id,
        ))
        seq, pointer, turn, owed, allocated = self.env.cr.fetchone()
        rows = [(seq, pointer, turn, owed)] if seq else []
        # whether this snapshot missed a commit: what else is read under the lock
        # must then be read on a fresh snapshot too (see _capacity_loads)
        self.env.cr.cache.setdefault("crm_rm_rotation_stale", {})[self.id] = allocated > (seq or 0)
        if allocated > (seq or 0):
            with sql_db.db_connect(self.env.cr.dbname).cursor() as fresh:
                fresh.execute("SELECT seq, pointer, turn, owed FROM crm_rotation_pool_state "
                              "WHERE pool_id = %s ORDER BY seq DESC LIMIT 1", (self.id,))
                rows += fresh.fetchall()
        if not rows:
            return 0, 0, {}
        _seq, pointer, turn, owed = max(rows, key=lambda row: row[0])
        if isinstance(owed, str):
            owed = json.loads(owed)
        return pointer or 0, turn or 0, {int(k): v for k, v in (owed or {}).items()}

    def _save_state(self, pointer, turn, owed):
        """Append the new turn state (an INSERT: never a row another turn writes)."""
        self.env.cr.execute(SQL(
            "INSERT INTO crm_rotation_pool_state (pool_id, seq, pointer, turn, owed) "
            "VALUES (%s, nextval(%s), %s, %s, %s)",
            self.id, self._sequence_name(), pointer, turn,
            json.dumps({str(k): v for k, v in owed.items() if v}),
        ))
        self.invalidate_recordset(
            ["rotation_pointer", "rotation_turn", "rotation_owed", "rotation_owed_text"])

    @api.model
    def _prune_states(self):
        """Delete all but each pool's newest committed state row."""
        self.env.cr.execute(
            """
            DELETE FROM crm_rotation_pool_state s
             WHERE s.seq < (SELECT max(n.seq) FROM crm_rotation_pool_state n
                             WHERE n.pool_id = s.pool_id)
            """
        )

    def _sticky_reps(self, partners):
        """{commercial partner id: [candidate reps, best first]} for this pool's company:
        the current relationship rep, then reps of open or recently won leads."""
        self.ensure_one()
        partners = partners.commercial_partner_id
        result = {partner.id: [] for partner in partners}
        if not partners:
            return result
        company = self.company_id
        role = company._get_relationship_primary_role()
        rels = self.env["crm.relationship"].sudo().search_fetch(
            [("partner_id", "in", partners.ids), ("company_id", "=", company.id),
             ("role_id", "=", role.id), ("is_current", "=", True)],
            ["partner_id", "user_id"],
        )
        for rel in rels:
            result[rel.partner_id.id].append(rel.user_id)
        cutoff = fields.Datetime.now() - timedelta(days=self.sticky_won_days)
        leads = self.env["crm.lead"].sudo().search_fetch(
            [("partner_id", "child_of", partners.ids), ("company_id", "=", company.id),
             ("user_id", "!=", False), "|", ("stage_id.is_won", "=", False),
             "&", ("stage_id.is_won", "=", True), ("date_closed", ">=", cutoff)],
            ["partner_id", "user_id"], order="id desc",
        )
        for lead in leads:
            reps = result.setdefault(lead.partner_id.commercial_partner_id.id, [])
            if lead.user_id not in reps:
                reps.append(lead.user_id)
        return result

    def _pick_batch(self, requests):
        """Decide the rep of each request ({'partner', 'lead_vals'}) of this pool.

        Set-wise: one lock, one state update, one sticky lookup for the batch.
        :return: a list of decision dicts (pool, user, reason, turn, skipped,
                 covered_user, partner)
        """
        self.ensure_one()
        pool = self.sudo()
        today = fields.Date.context_today(self)
        Users = self.env["res.users"]
        partners = self.env["res.partner"].union(*[
            req["partner"] for req in requests if req.get("partner")])
        sticky = pool._sticky_reps(partners) if partners else {}
        rows = pool._member_rows()
        # one recordset: the names of skipped members are read in one query
        members = list(zip(Users.browse([row[0] for row in rows]), (row[1] for row in rows)))
        schedule = pool._schedule(members)
        # members' loads against their capacities (crm_rotation_pool_capacity.py)
        capacity = pool._capacity_tracker([row[0] for row in rows])
        # the members' eligibility came with the rows: the rule is asked only
        # about the ineligible ones (to say why) and about sticky reps
        ineligible = Users.browse([row[0] for row in rows if not row[3]])
        why_cache = dict.fromkeys((row[0] for row in rows), False)
        why_cache.update((user.id, reason) for user, reason in
                         pool._unavailability(ineligible, today).items())
        # users who must not take anything of this batch (a user handing over
        # their resources, see res.users.reassign): skipped like exclusions
        for uid in server_value(self.env.context, ROTATION_SKIP_USER_IDS) or ():
            why_cache[uid] = "excluded"

        def why(user):
            if user.id not in why_cache:
                why_cache[user.id] = pool._unavailability(user, today).get(user, False)
            return why_cache[user.id]

        def label(user, reason):
            return pool._why_label(user, reason)

        state = None
        decisions = []
        for req in requests:
            partner = req.get("partner") or self.env["res.partner"]
            decision = {"pool": pool, "partner": partner, "turn": 0, "skipped": [],
                        "covered_user": Users, "lead_vals": req.get("lead_vals") or {}}
            # 1. sticky
            covered = Users
            for rep in sticky.get(partner.commercial_partner_id.id, []) if partner else []:
                reason = why(rep)
                if reason in ("archived", "excluded", "company"):
                    continue
                if reason in ("away", "covered"):
                    covered = rep
                    decision["skipped"].append(label(rep, reason))
                break
            else:
                rep = Users
            if rep and not covered:
                decision.update(user=rep, reason="sticky")
                capacity.add(rep)
                decisions.append(decision)
                continue
            # a rep with a temporary cover: their cover takes the lead
            # (crm_rotation_pool_cover.py); a pool cover by this pool rotates
            if covered and why(covered) == "covered" and pool._cover_decision(
                    decision, covered, today, why):
                decisions.append(decision)
                continue
            decision["covered_user"] = covered
            # 2. rotation, under the lock
            if state is None:
                state = list(pool._lock_state())
                capacity.read_loads()  # under the lock
            pointer, turn, owed = state
            picked = Users
            at_capacity = False
            # away members' turns are given back first, in turn order
            for user, _weight in members:
                if owed.get(user.id) and not why(user) and not capacity.full(user):
                    owed[user.id] -= 1
                    picked = user
                    break
            if not picked and schedule:
                passed_away = []
                for step in range(len(schedule)):
                    pos = (pointer + step) % len(schedule)
                    user = schedule[pos]
                    reason = why(user)
                    if not reason and capacity.full(user):
                        # not owed a turn: capacity is not an absence
                        at_capacity = True
                        if capacity.label(user) not in decision["skipped"]:
                            decision["skipped"].append(capacity.label(user))
                        continue
                    if not reason:
                        picked = user
                        pointer = (pos + 1) % len(schedule)
                        break
                    decision["skipped"].append(label(user, reason))
                    if reason in ("away", "covered"):
                        passed_away.append(user)
                if picked:
                    for user in passed_away:
                        owed[user.id] = owed.get(user.id, 0) + 1
            if picked:
                turn += 1
                state = [pointer, turn, owed]
                decision.update(user=picked, reason="covered" if covered else "rotation",
                                turn=turn)
            else:
                # 3. fallback
                decision.update(user=pool.fallback_user_id,
                                reason="full" if at_capacity else "fallback")
            capacity.add(decision["user"])
            decisions.append(decision)
        if state is not None:
            member_ids = {user.id for user, _weight in members}
            pool._save_state(state[0], state[1],
                             {uid: n for uid, n in state[2].items() if uid in member_ids})
        return decisions

    # ------------------------------------------------------------------
    # After the leads exist: log, chatter, relationships, e-mails
    # ------------------------------------------------------------------
    @api.model
    def _log_decisions(self, decisions, leads=None):
        leads = leads or [self.env["crm.lead"]] * len(decisions)
        return self.env["crm.rotation.log"].sudo().create([
            {
                "pool_id": dec["pool"].id,
                "company_id": dec["pool"].company_id.id,
                "lead_id": lead.id or False,
                "partner_id": dec["partner"].commercial_partner_id.id or False,
                "user_id": dec["user"].id,
                "reason": dec["reason"],
                "turn": dec["turn"] or False,
                "covered_user_id": dec["covered_user"].id or False,
                "skipped": "\n".join(dec["skipped"]) or False,
                "email_pending": bool(lead and dec["pool"].notify_emails),
            }
            for dec, lead in zip(decisions, leads)
        ])

    @api.model
    def _after_leads_assigned(self, leads, decisions):
        """Log the decisions (which queues the pools' e-mails, sent by a scheduled
        action every minute) and make a rotated rep the customer's rep when it
        has none.

        The chatter note is part of the lead's creation message
        (``crm.lead._creation_message``), or logged here when creation messages
        are switched off (context ``mail_create_nolog``).
        """
        logs = self._log_decisions(decisions, leads)
        if self.env.context.get("mail_create_nolog"):
            leads.sudo()._message_log_batch(
                bodies={lead.id: lead._rotation_note() for lead in leads})
        self._make_rotated_reps_current(leads, decisions)
        return logs

    @api.model
    def _make_rotated_reps_current(self, leads, decisions):
        """A customer without a current rep gets the rep the rotation gave it
        (source 'rotation'), so its next leads stick to that rep."""
        groups = {}
        # sudo: a creator restricted to own documents may not read the lead anymore
        for lead, dec in zip(leads.sudo(), decisions):
            partner = lead.partner_id.commercial_partner_id
            if not partner or dec["reason"] not in ("rotation", "fallback", "full"):
                continue
            if partner.company_id and partner.company_id != lead.company_id:
                continue
            groups.setdefault((dec["user"], lead.company_id), self.env["res.partner"])
            groups[(dec["user"], lead.company_id)] |= partner
        Rel = self.env["crm.relationship"].sudo()
        for (user, company), partners in groups.items():
            role = company._get_relationship_primary_role()
            owned = Rel.search([("partner_id", "in", partners.ids),
                                ("company_id", "=", company.id), ("role_id", "=", role.id),
                                ("is_current", "=", True)]).partner_id
            if partners - owned:
                Rel.with_company(company).with_context(**{TASK_FOLLOW_SKIP: SERVER})._assign(
                    partners - owned, user, role=role, company=company, source="rotation",
                    reason=_("Rotation pool"), check_rights=False)

    # ------------------------------------------------------------------
    # UI
    # ------------------------------------------------------------------
    def action_view_log(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "crm_relationship_manager.crm_rotation_log_action")
        action["domain"] = [("pool_id", "=", self.id)]
        return action

    def action_reset_rotation(self):
        """Start the turn order again at the first member and forget owed turns."""
        # the state is written in SQL: the pool's write right is checked here
        # (Relationship Managers may read pools, not change them)
        self.check_access("write")
        for pool in self:
            _pointer, turn, _owed = pool._lock_state()
            pool._save_state(0, turn, {})
        return True
