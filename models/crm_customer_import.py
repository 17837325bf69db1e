# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The customer import as a service: ``res.partner.import_customers`` (XML-RPC)
and the Import Customers wizard call it; the retention job purges what it
archived.

One call: check the call and the caller's rights (``_import_check_call``),
resolve every row with a constant number of queries (``_import_plan``), apply
the plan a batch per savepoint (``_import_apply_plan``), and in
'update_delete' mode archive the rep's customers the rows do not mention
(``_import_archive_absent``). ``_cron_purge_import_archived`` deletes (or
anonymises) those customers after their company's retention period.
"""
import logging
from collections import defaultdict
from datetime import timedelta

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.osv import expression

from ..context_keys import REL_SOURCE, ServerFlag
from .res_partner_customer_number import normalize_external_ref

_logger = logging.getLogger(__name__)

# res.partner.import_customers(): the public XML-RPC contract
IMPORT_MODES = ("update", "update_delete")
# the options of import_customers besides the rows, in positional order
IMPORT_OPTIONS = ("transfer_mode", "mode", "rep_id")
IMPORT_MAX_ROWS = 50_000
IMPORT_ACTIONS = ("created", "updated", "restored", "transferred",
                  "restored_transferred", "conflict", "error")
# the partner fields an import may write, with their expected value type
IMPORT_FIELDS = {
    "name": "char", "email": "char", "phone": "char", "mobile": "char",
    "street": "char", "street2": "char", "city": "char", "zip": "char",
    "website": "char", "vat": "char", "function": "char", "comment": "text",
    "is_company": "bool", "country_code": "country",
}
# rows applied per savepoint; a failing batch is replayed row by row
IMPORT_BATCH_SIZE = 500
# fields cleared when a customer archived by an import cannot be deleted
ANONYMISED_FIELDS = ("email", "phone", "mobile", "street", "street2", "city", "zip",
                     "website", "vat", "function", "comment", "external_ref", "image_1920")


class CrmCustomerImport(models.AbstractModel):
    _name = "crm.customer.import"
    _description = "Customer Import"

    @api.model
    def _import(self, rows, *, transfer_mode=False, mode="update", rep_id=None):
        """Synchronise the customers of a rep (``rep_id``, default: the caller)
        in the current company with ``rows``; the contract is the one of
        ``res.partner.import_customers``, whose options are read by
        ``_import_options``.

        :return: {'results': [{'row', 'external_ref', 'partner_id', 'action',
                  'message'}], 'archived_ids': [int], 'counts': {action: n}}
        """
        company = self.env.company
        rep = self._import_check_call(rows, transfer_mode, mode, rep_id, company)
        plan = self._import_plan(rows, bool(transfer_mode), rep, company)
        results = plan["results"]
        self._import_apply_plan(plan["ops"], results, rep, company)
        archived = self.env["res.partner"]
        if mode == "update_delete":
            archived = self._import_archive_absent(rep, company, plan["matched_ids"])
        counts = dict.fromkeys(IMPORT_ACTIONS, 0)
        for result in results:
            counts[result["action"]] += 1
        return {"results": results, "archived_ids": archived.ids, "counts": counts}

    @api.model
    def _import_options(self, args, options):
        """The options of an import_customers call, given by position (in the
        order of ``IMPORT_OPTIONS``) or by name, with their defaults; unknown
        ones are refused, naming the accepted ones."""
        if len(args) > len(IMPORT_OPTIONS):
            raise UserError(_(
                "import_customers takes the rows and at most %(count)s options "
                "(%(options)s), not %(given)s values.", count=len(IMPORT_OPTIONS),
                options=", ".join(IMPORT_OPTIONS), given=len(args) + 1))
        if unknown := set(options) - set(IMPORT_OPTIONS):
            raise UserError(_(
                "Unknown import option(s): %(unknown)s. Accepted options: %(options)s.",
                unknown=", ".join(sorted(map(str, unknown))),
                options=", ".join(IMPORT_OPTIONS)))
        given = dict(zip(IMPORT_OPTIONS, args))
        if twice := set(given) & set(options):
            raise UserError(_("Option %(option)s is given twice.", option=sorted(twice)[0]))
        return {"transfer_mode": False, "mode": "update", "rep_id": None, **given, **options}

    @api.model
    def _import_check_call(self, rows, transfer_mode, mode, rep_id, company):
        """Validate a whole call and the caller's rights; return the rep."""
        Rel = self.env["crm.relationship"]
        me = self.env.user
        if not (self.env.su or me.has_group(
                "crm_relationship_manager.group_relationship_associate")):
            raise AccessError(_("You are not allowed to import customers."))
        if not isinstance(rows, list):
            raise UserError(
                _("The customers must be a list of rows (dicts), not %(type)s.",
                  type=type(rows).__name__))
        if len(rows) > IMPORT_MAX_ROWS:
            raise UserError(
                _("Too many rows: %(count)s; import at most %(max)s customers per call.",
                  count=len(rows), max=IMPORT_MAX_ROWS))
        if mode not in IMPORT_MODES:
            raise UserError(
                _("Unknown import mode %(mode)r; use one of: %(modes)s.",
                  mode=mode, modes=", ".join(IMPORT_MODES)))
        if not isinstance(transfer_mode, bool):
            raise UserError(_("transfer_mode must be true or false, not %(value)r.",
                              value=transfer_mode))
        allowed = set(IMPORT_FIELDS) | {"external_ref"}
        for index, row in enumerate(rows):
            if not isinstance(row, dict):
                raise UserError(
                    _("Row %(row)s is not a dict of field values but %(type)s.",
                      row=index, type=type(row).__name__))
            unknown = set(row) - allowed
            if unknown:
                name = sorted(map(str, unknown))[0]
                if name in self.env["res.partner"]._fields:
                    message = _("Row %(row)s: field %(field)s cannot be imported.",
                                row=index, field=name)
                else:
                    message = _("Row %(row)s: unknown field %(field)s.", row=index, field=name)
                raise UserError(
                    _("%(message)s Importable fields: %(fields)s.", message=message,
                      fields=", ".join(sorted(allowed))))
        if rep_id is None or rep_id is False:
            rep = me
        else:
            if not isinstance(rep_id, int) or isinstance(rep_id, bool):
                raise UserError(_("rep_id must be the id of a user, not %(value)r.",
                                  value=rep_id))
            rep = self.env["res.users"].sudo().with_context(active_test=False).browse(
                rep_id).exists()
            if not rep:
                raise UserError(_("Unknown rep: there is no user with id %(id)s.", id=rep_id))
        if company not in me.company_ids and not self.env.su:
            raise AccessError(_("You cannot import customers of company %(company)s.",
                                company=company.name))
        if rep != me and not (self.env.su or Rel._is_relationship_manager(me)):
            raise AccessError(
                _("As a Relationship Associate you can only import customers for "
                  "yourself, not for %(rep)s.", rep=rep.sudo().name))
        rep._crm_rm_check_owner(company)
        return rep.with_env(self.env)

    @api.model
    def _import_plan(self, rows, transfer_mode, rep, company):
        """Resolve every row in Python and with a constant number of queries.

        :return: dict with 'results' (one per row, 'action' provisional),
            'ops' (row index -> what to do) and 'matched_ids' (every existing
            customer some row refers to)
        """
        results, ops, keys = [], {}, {}
        manager = self.env.su or self.env["crm.relationship"]._is_relationship_manager()

        def fail(index, message):
            results[index].update(action="error", message=message)

        for index, row in enumerate(rows):
            ref = row.get("external_ref")
            if isinstance(ref, int) and not isinstance(ref, bool):
                ref = str(ref)
            results.append({"row": index, "external_ref": ref if isinstance(ref, str) else "",
                            "partner_id": False, "action": "error", "message": ""})
            if not isinstance(ref, str) or not ref.strip():
                fail(index, _("external_ref is required (a non-empty text)."))
                continue
            key = normalize_external_ref(ref)
            if key in keys:
                fail(index, _("Customer number %(ref)s appears twice in this import (row "
                              "%(first)s); only the first row is applied.",
                              ref=ref, first=keys[key]))
                continue
            keys[key] = index
            vals, error = self._import_row_vals(row)
            if error:
                fail(index, error)
                continue
            ops[index] = {"key": key, "ref": ref.strip(), "vals": vals}

        # countries: one query
        codes = {op["vals"]["country_code"].strip().upper() for op in ops.values()
                 if op["vals"].get("country_code")}
        countries = {}
        if codes:
            countries = {c.code.upper(): c.id for c in self.env["res.country"].search(
                [("code", "in", list(codes))])}
        for index, op in list(ops.items()):
            if "country_code" in op["vals"]:
                code = op["vals"].pop("country_code")
                code = code.strip().upper() if code else False
                if code and code not in countries:
                    fail(index, _("Unknown country code %(code)s.", code=code))
                    del ops[index]
                    continue
                op["vals"]["country_id"] = countries.get(code, False) if code else False

        # existing customers: one query for all references
        found = self._import_find(list({op["key"] for op in ops.values()}), company)
        matched_ids = {rec["id"] for recs in found.values() for rec in recs}
        existing = self.env["res.partner"].browse(matched_ids).with_context(active_test=False)
        field_names = sorted({name for op in ops.values() for name in op["vals"]})
        current_values = {}
        if existing and field_names:
            for record in existing.read(field_names, load=None):
                current_values[record["id"]] = record
        users = self.env["res.users"].sudo().browse(
            [rec["user_id"] for recs in found.values() for rec in recs if rec["user_id"]])
        names = {user.id: user.name for user in users}
        for index, op in list(ops.items()):
            matches = found.get(op["key"], [])
            result = results[index]
            if len(matches) > 1:
                fail(index, _("Customer number %(ref)s matches several customers; fix them "
                              "before importing.", ref=op["ref"]))
                del ops[index]
                continue
            if not matches:
                if not (op["vals"].get("name") or "").strip():
                    fail(index, _("Customer %(ref)s does not exist yet: a name is needed to "
                                  "create it.", ref=op["ref"]))
                    del ops[index]
                    continue
                op["action"] = "created"
                continue
            match = matches[0]
            result["partner_id"] = match["id"]
            op["partner_id"] = match["id"]
            if not match["commercial"]:
                fail(index, _("Customer number %(ref)s belongs to a contact person, not to a "
                              "customer.", ref=op["ref"]))
                del ops[index]
                continue
            owner = match["user_id"] or False
            if owner == rep.id:
                action = "updated" if match["active"] else "restored"
            else:
                action = "transferred" if match["active"] else "restored_transferred"
            if action != "updated" and not transfer_mode:
                if owner == rep.id:
                    message = _("Customer %(ref)s is an archived customer of %(rep)s; import "
                                "with transfer mode to restore it.", ref=op["ref"], rep=rep.name)
                elif owner:
                    message = _("Customer %(ref)s belongs to %(owner)s; import with transfer "
                                "mode to transfer it with its history.", ref=op["ref"],
                                owner=names.get(owner, owner))
                else:
                    message = _("Customer %(ref)s has no rep; import with transfer mode to "
                                "take it over.", ref=op["ref"])
                result.update(action="conflict", message=message)
                del ops[index]
                continue
            if action in ("transferred", "restored_transferred") and owner and not manager:
                fail(index, _("As a Relationship Associate you cannot take over customer "
                              "%(ref)s from %(owner)s; ask a Relationship Manager.",
                              ref=op["ref"], owner=names.get(owner, owner)))
                del ops[index]
                continue
            op["action"] = action
            op["old_user_id"] = owner
            current = current_values.get(match["id"], {})
            op["vals"] = {name: value for name, value in op["vals"].items()
                          if not self._import_same_value(current.get(name), value)}
        return {"results": results, "ops": ops, "matched_ids": matched_ids}

    @api.model
    def _import_row_vals(self, row):
        """Validate a row's values in Python; return (vals, error message)."""
        vals = {}
        for name, value in row.items():
            if name == "external_ref":
                continue
            kind = IMPORT_FIELDS[name]
            if value is None:
                value = False
            if kind == "bool":
                if not isinstance(value, bool):
                    return None, _("Field %(field)s must be true or false, not %(value)r.",
                                   field=name, value=value)
            elif value is not False and not isinstance(value, str):
                return None, _("Field %(field)s must be a text, not %(value)r.",
                               field=name, value=value)
            elif name == "name" and not (value or "").strip():
                return None, _("The name of a customer cannot be empty.")
            vals[name] = value
        return vals, None

    @staticmethod
    def _import_same_value(current, value):
        if isinstance(value, bool) or isinstance(current, bool):
            return (current or False) == (value or False)
        return (current or "") == (value or "")

    @api.model
    def _import_find(self, keys, company):
        """Customers of ``company`` (or shared) per normalised reference, archived
        included, with their current primary-role rep in ``company``."""
        if not keys:
            return {}
        self.env["res.partner"].flush_model(
            ["external_ref_key", "company_id", "active", "commercial_partner_id"])
        self.env["crm.relationship"].flush_model()
        role = company._get_relationship_primary_role()
        self.env.cr.execute(
            """
            SELECT p.id, p.external_ref_key, p.active, p.commercial_partner_id = p.id,
                   r.user_id
              FROM res_partner p
         LEFT JOIN crm_relationship r
                ON r.partner_id = p.id AND r.company_id = %s AND r.role_id = %s
               AND r.date_end IS NULL
             WHERE p.external_ref_key = ANY(%s)
               AND (p.company_id = %s OR p.company_id IS NULL)
            """,
            [company.id, role.id, keys, company.id],
        )
        found = defaultdict(list)
        for pid, key, active, commercial, user_id in self.env.cr.fetchall():
            found[key].append({"id": pid, "active": active, "commercial": commercial,
                               "user_id": user_id})
        return found

    @api.model
    def _import_apply_plan(self, ops, results, rep, company):
        """Apply the planned rows, a batch per savepoint; replay a failing batch
        row by row so that one bad row never loses the others."""
        indexes = sorted(ops)
        for start in range(0, len(indexes), IMPORT_BATCH_SIZE):
            batch = [ops[i] | {"index": i} for i in indexes[start:start + IMPORT_BATCH_SIZE]]
            try:
                with self.env.cr.savepoint():
                    done = self._import_apply_batch(batch, rep, company)
            except Exception:  # noqa: BLE001 - replayed row by row below
                _logger.info("Customer import: a batch failed, replaying it row by row",
                             exc_info=True)
                done = {}
                for op in batch:
                    try:
                        with self.env.cr.savepoint():
                            done.update(self._import_apply_batch([op], rep, company))
                    except Exception as exc:  # noqa: BLE001 - reported on the row
                        results[op["index"]].update(
                            action="error", message=self._import_error_message(exc))
            for index, partner_id in done.items():
                results[index].update(action=ops[index]["action"], partner_id=partner_id,
                                      message="")

    @staticmethod
    def _import_error_message(exc):
        message = getattr(exc, "args", None) and exc.args[0]
        if isinstance(exc, (UserError, ValidationError, AccessError)) and isinstance(message, str):
            return message
        pgerror = getattr(exc, "pgerror", None)
        return (pgerror or str(exc) or type(exc).__name__).strip().splitlines()[0]

    @api.model
    def _import_apply_batch(self, batch, rep, company):
        """Apply rows set-wise; return {row index: partner id}."""
        Partner = self.env["res.partner"].with_company(company).with_context(
            active_test=False, mail_create_nolog=True, tracking_disable=True,
            **{REL_SOURCE: ServerFlag("import")})
        done = {}
        # 1. field updates on existing customers, one write per distinct values
        by_vals = defaultdict(list)
        for op in batch:
            if op["action"] != "created" and op["vals"]:
                by_vals[tuple(sorted(op["vals"].items()))].append(op["partner_id"])
        # one prefetch set: the writes read the customers (access rules, users,
        # contacts) in one query per 1,000 rows, not once per distinct values
        prefetch = Partner.browse([pid for ids in by_vals.values() for pid in ids])._prefetch_ids
        for items, ids in by_vals.items():
            Partner.browse(ids).with_prefetch(prefetch).write(dict(items))
        # 2. restores
        restore_ids = [op["partner_id"] for op in batch
                       if op["action"] in ("restored", "restored_transferred")]
        if restore_ids:
            Partner.browse(restore_ids).write({"active": True})
        # 3. transfers: one relationship change for all, history per previous rep
        transfer_ids = [op["partner_id"] for op in batch
                        if op["action"] in ("transferred", "restored_transferred")]
        if transfer_ids:
            Partners = self.env["res.partner"]
            Partners._transfer_customers(Partners.browse(transfer_ids), rep, company,
                                         reason=_("Transferred by customer import"))
        # 4. creates, in one create
        creates = [op for op in batch if op["action"] == "created"]
        if creates:
            partners = Partner.create([
                dict(op["vals"], external_ref=op["ref"], company_id=company.id,
                     user_id=rep.id)
                for op in creates
            ])
            for op, partner in zip(creates, partners):
                done[op["index"]] = partner.id
        for op in batch:
            if op["action"] != "created":
                done[op["index"]] = op["partner_id"]
        return done

    @api.model
    def _import_archive_absent(self, rep, company, matched_ids):
        """Archive the rep's current customers that the import did not mention
        (update_delete mode). Customers that also have a rep in another company
        are left alone: archiving them would hide them from that company too."""
        role = company._get_relationship_primary_role()
        self.env["res.partner"].flush_model(["active"])
        self.env["crm.relationship"].flush_model()
        self.env.cr.execute(
            """
            SELECT p.id
              FROM crm_relationship r
              JOIN res_partner p ON p.id = r.partner_id
             WHERE r.company_id = %s AND r.role_id = %s AND r.user_id = %s
               AND r.date_end IS NULL AND p.active
               AND NOT p.id = ANY(%s)
               AND NOT EXISTS (SELECT 1 FROM crm_relationship o
                                WHERE o.partner_id = p.id AND o.date_end IS NULL
                                  AND o.company_id != r.company_id)
            """,
            [company.id, role.id, rep.id, list(matched_ids)],
        )
        partners = self.env["res.partner"].browse([row[0] for row in self.env.cr.fetchall()])
        if not partners:
            return partners
        vals = {"active": False, "import_archived_date": fields.Datetime.now(),
                "import_archived_company_id": company.id}
        # the importer's right to change them, then the bookkeeping as the system
        partners.check_access("write")
        partners = partners.sudo()
        try:
            with self.env.cr.savepoint():
                partners.write(vals)
            return partners.with_env(self.env)
        except Exception:  # noqa: BLE001 - retried one by one
            archived = self.env["res.partner"]
            for partner in partners:
                try:
                    with self.env.cr.savepoint():
                        partner.write(vals)
                    archived |= partner
                except Exception:  # noqa: BLE001 - left active, logged
                    _logger.warning("Customer import: could not archive %s", partner.id,
                                    exc_info=True)
            return archived

    # ------------------------------------------------------------------
    # Retention of customers archived by an import
    # ------------------------------------------------------------------
    @api.model
    def _cron_purge_import_archived(self):
        """Delete customers archived by an import once their company's retention
        period is over; anonymise those whose links forbid deletion."""
        Partner = self.env["res.partner"].sudo().with_context(active_test=False)
        now = fields.Datetime.now()
        # one search for all companies, each with its own retention period
        expired = Partner.search(expression.AND([[("active", "=", False)], expression.OR([
            [("import_archived_company_id", "=", company.id),
             ("import_archived_date", "<=",
              now - timedelta(days=company.customer_import_retention_days))]
            for company in self.env["res.company"].sudo().search([])
        ])]))
        if not expired:
            return {"deleted": 0, "anonymised": 0}
        # each customer with its contacts (child_of), in one search for all
        family = Partner.search([("id", "child_of", expired.ids)])
        parent_of = {partner.id: partner.parent_id.id for partner in family}
        groups = defaultdict(list)
        for partner_id in parent_of:
            ancestor_id = partner_id
            while ancestor_id in parent_of:
                groups[ancestor_id].append(partner_id)
                ancestor_id = parent_of[ancestor_id]
        groups = {customer: Partner.browse(groups[customer.id]) for customer in expired}
        deleted = anonymised = 0
        try:
            with self.env.cr.savepoint():
                Partner.union(*groups.values()).unlink()
            deleted = len(expired)
        except Exception:  # noqa: BLE001 - one by one below
            for group in groups.values():
                try:
                    with self.env.cr.savepoint():
                        group.unlink()
                    deleted += 1
                except Exception:  # noqa: BLE001 - links forbid deletion
                    self._anonymise_import_archived(group.exists())
                    anonymised += 1
        _logger.info("Customer import retention: %s deleted, %s anonymised",
                     deleted, anonymised)
        return {"deleted": deleted, "anonymised": anonymised}

    @api.model
    def _anonymise_import_archived(self, partners):
        vals = dict.fromkeys(ANONYMISED_FIELDS, False)
        vals.update(import_archived_date=False, country_id=False, state_id=False)
        for partner in partners:
            partner.with_context(tracking_disable=True).write(
                dict(vals, name=_("Deleted customer %(id)s", id=partner.id)))
