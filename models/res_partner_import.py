# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The customer import on res.partner: its public XML-RPC entry point and the
marks of the customers it archived (see ``crm.customer.import``)."""
from odoo import _, api, fields, models
from odoo.exceptions import AccessError


class ResPartner(models.Model):
    _inherit = "res.partner"

    import_archived_date = fields.Datetime(
        string="Archived by Import",
        copy=False,
        readonly=True,
        help="Set when an import in 'update and delete' mode archived this customer; "
        "it is deleted (or anonymised) once the company's retention period is over, "
        "unless it is restored before.",
    )
    import_archived_company_id = fields.Many2one(
        "res.company", string="Archived by Import in", copy=False, readonly=True,
    )

    @api.model
    def import_customers(self, rows, *args, **options):
        """Synchronise the customers of a rep with ``rows`` (a list of dicts).

        Options, by name or by position in this order: ``transfer_mode``
        (default False), ``mode`` (default 'update'), ``rep_id`` (default: the
        caller). Any other option is refused with an error naming the accepted
        ones.

        Each row has the required key ``external_ref`` (the customer number) and
        any of the partner fields of ``crm_customer_import.IMPORT_FIELDS``. Rows are
        matched in the current company against the rep (``rep_id``, default: the
        caller):

        - ``updated``: one of the rep's current customers;
        - ``restored`` (transfer mode): one of the rep's archived customers;
        - ``transferred`` (transfer mode): another rep's (or nobody's) customer,
          moved with its open leads, activities and future meetings;
        - ``restored_transferred`` (transfer mode): archived, of another rep;
        - ``conflict`` (without transfer mode): nothing is touched;
        - ``created``: new customer of the rep;
        - ``error``: the row was not applied; the message says why.

        With ``mode='update_delete'`` the rep's current customers absent from
        ``rows`` are archived, and deleted by a daily job after the company's
        retention period.

        Whole-call errors (bad mode, field, rep, payload) are raised before
        anything changes; every row is applied in a savepoint.

        :return: {'results': [{'row', 'external_ref', 'partner_id', 'action',
                  'message'}], 'archived_ids': [int], 'counts': {action: n}}
        """
        Import = self.env["crm.customer.import"]
        return Import._import(rows, **Import._import_options(args, options))

    @api.model_create_multi
    def create(self, vals_list):
        self._check_import_archive_vals(vals_list)
        return super().create(vals_list)

    def _check_import_archive_vals(self, vals_list):
        """Only the import archives customers for its purge: nobody may mark a
        customer as archived by an import (the purge would delete it)."""
        if self.env.su:
            return
        for vals in vals_list:
            if vals.get("import_archived_date") or vals.get("import_archived_company_id"):
                raise AccessError(_("Only a customer import can mark customers as archived "
                                    "by an import."))

    def write(self, vals):
        self._check_import_archive_vals([vals])
        if vals.get("active") and "import_archived_date" not in vals:
            # restored: leave the import trash
            vals = dict(vals, import_archived_date=False, import_archived_company_id=False)
        return super().write(vals)
