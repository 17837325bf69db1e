# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import base64
import csv
import io

from odoo import _, api, fields, models
from odoo.exceptions import UserError

from ..models.crm_customer_import import IMPORT_ACTIONS

ACTION_LABELS = [
    ("created", "Created"),
    ("updated", "Updated"),
    ("restored", "Restored"),
    ("transferred", "Transferred"),
    ("restored_transferred", "Restored and transferred"),
    ("conflict", "Conflict"),
    ("error", "Error"),
]
assert tuple(a for a, _label in ACTION_LABELS) == IMPORT_ACTIONS
TRUE_WORDS = {"1", "true", "yes", "y", "x", "wahr", "ja", "vero", "si", "sì"}
FALSE_WORDS = {"0", "false", "no", "n", "falsch", "nein", "falso", ""}


class ResPartnerImportCustomers(models.TransientModel):
    """Import customers from a CSV or XLSX file with the ``crm.customer.import`` service."""

    _name = "res.partner.import.customers"
    _description = "Import Customers"

    file = fields.Binary(required=True, attachment=False,
                         help="CSV (UTF-8, comma or semicolon separated) or XLSX, with a "
                         "header line; the column external_ref is required.")
    filename = fields.Char()
    transfer_mode = fields.Boolean(
        help="Also restore archived customers and take over other reps' customers "
        "with their history; without it, those rows are reported as conflicts.")
    mode = fields.Selection(
        [("update", "Update"), ("update_delete", "Update and delete")],
        required=True, default="update",
        help="Update and delete also archives the rep's customers that are not in the "
        "file; they are deleted after the company's retention period.")
    user_id = fields.Many2one(
        "res.users", string="Rep", required=True, default=lambda self: self.env.user,
        domain="[('share', '=', False), ('company_ids', 'in', company_id)]")
    company_id = fields.Many2one("res.company", default=lambda self: self.env.company,
                                 readonly=True)
    state = fields.Selection([("draft", "Draft"), ("done", "Done")], default="draft")
    line_ids = fields.One2many("res.partner.import.customers.line", "wizard_id",
                               string="Results", readonly=True)
    summary = fields.Char(readonly=True)
    result_file = fields.Binary(readonly=True, attachment=False)
    result_filename = fields.Char()

    @api.model
    def _read_rows(self, content, filename):
        """Rows (dicts keyed by the header) of a CSV or XLSX file; empty cells are
        left out (they do not clear values)."""
        name = (filename or "").lower()
        if name.endswith(".xlsx") or content[:2] == b"PK":
            table = self._read_xlsx(content)
        else:
            table = self._read_csv(content)
        table = [row for row in table if any(cell.strip() for cell in row)]
        if not table:
            raise UserError(_("The file is empty."))
        header = [cell.strip().lower() for cell in table[0]]
        if "external_ref" not in header:
            raise UserError(_("The file needs an external_ref column (found: %(columns)s).",
                              columns=", ".join(header)))
        rows = []
        for line in table[1:]:
            row = {}
            for column, cell in zip(header, line):
                cell = cell.strip()
                if not column or not cell:
                    continue
                if column == "is_company":
                    low = cell.lower()
                    cell = True if low in TRUE_WORDS else False if low in FALSE_WORDS else cell
                row[column] = cell
            rows.append(row)
        return rows

    @api.model
    def _read_csv(self, content):
        try:
            text = content.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = content.decode("latin-1")
        try:
            dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
        except csv.Error:
            dialect = csv.excel
        return list(csv.reader(io.StringIO(text), dialect))

    @api.model
    def _read_xlsx(self, content):
        try:
            import openpyxl
        except ImportError as exc:  # shipped with Odoo's requirements
            raise UserError(_("Reading XLSX files needs the openpyxl library.")) from exc
        try:
            book = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        except Exception as exc:  # noqa: BLE001 - any unreadable file
            raise UserError(_("This file could not be read as XLSX: %(error)s",
                              error=str(exc))) from exc
        table = []
        for values in book.worksheets[0].iter_rows(values_only=True):
            cells = []
            for value in values:
                if value is None:
                    value = ""
                elif isinstance(value, float) and value.is_integer():
                    value = str(int(value))
                elif isinstance(value, bool):
                    value = "1" if value else "0"
                cells.append(str(value))
            table.append(cells)
        return table

    def action_import(self):
        self.ensure_one()
        rows = self._read_rows(base64.b64decode(self.file), self.filename)
        result = self.env["crm.customer.import"]._import(
            rows, transfer_mode=self.transfer_mode, mode=self.mode, rep_id=self.user_id.id)
        results = result["results"]
        self.line_ids = [(5, 0, 0)] + [(0, 0, {
            "row": res["row"] + 2,  # line of the file: header is line 1
            "external_ref": res["external_ref"],
            "partner_id": res["partner_id"] or False,
            "action": res["action"],
            "message": res["message"],
        }) for res in results]
        counts = result["counts"]
        labels = dict(self.env["res.partner.import.customers.line"]._fields["action"]
                      ._description_selection(self.env))
        parts = [f"{labels[action]}: {count}" for action, count in counts.items() if count]
        if result["archived_ids"]:
            parts.append(_("Archived: %(count)s", count=len(result["archived_ids"])))
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(["line", "external_ref", "partner_id", "action", "message"])
        for res in results:
            writer.writerow([res["row"] + 2, res["external_ref"], res["partner_id"] or "",
                             res["action"], res["message"]])
        for partner_id in result["archived_ids"]:
            writer.writerow(["", "", partner_id, "archived", ""])
        self.write({
            "state": "done",
            "summary": ", ".join(parts) or _("Nothing imported."),
            "result_file": base64.b64encode(buffer.getvalue().encode()),
            "result_filename": "customer_import_result.csv",
        })
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "new",
            "name": _("Import Customers"),
        }

