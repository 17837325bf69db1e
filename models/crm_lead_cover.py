# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Temporary covers on crm.lead: a lead created for a covered rep goes to the cover."""
from odoo import api, models


class CrmLead(models.Model):
    _inherit = "crm.lead"

    @api.model_create_multi
    def create(self, vals_list):
        """Whoever creates a lead for a rep who is away with a cover (by hand, by
        import, over XML-RPC) gives it to the cover; the rotation pools redirect
        the leads they assign themselves (crm_rotation_pool_cover.py)."""
        Cover = self.env["crm.rep.cover"]
        # colleague_id is the Salesperson too (crm_lead_colleague.py)
        vals_list = [dict(self._crm_rm_colleague_vals(vals)) for vals in vals_list]
        redirected = Cover._redirect_lead_values(vals_list)
        leads = super().create(vals_list)
        if redirected:
            Cover._after_leads_redirected(leads, redirected)
        return leads
