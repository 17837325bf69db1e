# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Rotation pools and temporary covers: a new lead whose sticky rep is covered
goes to the cover (a user, or the rotation of the covering pool), and the cover
records it, to give it back on the rep's return."""
from odoo import api, models


class CrmRotationPool(models.Model):
    _inherit = "crm.rotation.pool"

    def _cover_decision(self, decision, rep, today, why):
        """Decide ``decision`` for a lead whose sticky ``rep`` is covered today.

        :return: True when decided here (the covering user, or the covering
            pool when it is another pool); False when this pool's rotation
            decides (it is the covering pool, or the covering user cannot take
            the lead today)
        """
        self.ensure_one()
        Cover = self.env["crm.rep.cover"].sudo()
        cover = Cover.browse(Cover._live_cover_ids(self.company_id, today).get(rep.id))
        if not cover:
            return False
        decision["cover"] = cover
        if cover.cover_user_id:
            if why(cover.cover_user_id):
                return False
            decision.update(user=cover.cover_user_id, reason="cover", covered_user=rep)
            return True
        if cover.cover_pool_id == self:
            return False
        other = cover.cover_pool_id._pick_batch([{
            "partner": decision["partner"], "lead_vals": decision["lead_vals"]}])[0]
        decision.update(pool=other["pool"], user=other["user"], turn=other["turn"],
                        reason=other["reason"], covered_user=rep,
                        skipped=decision["skipped"] + other["skipped"])
        return True

    @api.model
    def _after_leads_assigned(self, leads, decisions):
        """The leads a cover received are recorded on it (given back on return)."""
        logs = super()._after_leads_assigned(leads, decisions)
        received = [(lead, dec["cover"], dec["user"]) for lead, dec in zip(leads, decisions)
                    if dec.get("cover") and dec["user"] != dec["cover"].user_id]
        if received:
            self.env["crm.rep.cover"]._record_received_leads(received)
        return logs
