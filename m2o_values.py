# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Many2one values of ``create``/``write`` as ids.

Odoo accepts a record as the value of a many2one field in ``create`` and
``write`` (``lead.write({'user_id': user})``). Code that reads such a value
from ``vals`` before the ORM does (to compare it, browse it or pass it to a
query) works on the copy returned by ``m2o_ids``.
"""
from odoo import models


def m2o_ids(model, vals):
    """A copy of ``vals`` whose many2one values given as records are ids
    (``False`` for an empty record); ``vals`` itself when there are none.

    A record of another model or of several records is refused with the
    ``ValueError`` Odoo itself raises for it."""
    if not any(isinstance(value, models.BaseModel) for value in vals.values()):
        return vals
    result = dict(vals)
    for name, value in vals.items():
        field = model._fields.get(name)
        if not isinstance(value, models.BaseModel) or field is None or field.type != "many2one":
            continue
        if value._name != field.comodel_name or len(value) > 1:
            raise ValueError(f"Wrong value for {field}: {value!r}")
        result[name] = value.id
    return result
