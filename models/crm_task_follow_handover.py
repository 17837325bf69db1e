# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, fields, models


class CrmTaskFollowHandover(models.Model):
    """Queue of handover e-mails still to write.

    An ownership change records one row per (previous rep, new rep, company)
    with the activities handed over; the cron job "CRM: send handover e-mails"
    (triggered at once, so it runs right after the change is committed) writes
    one e-mail per receiving rep and customer account. A change of 10,000
    accounts therefore costs one INSERT here instead of 10,000 rendered e-mails
    inside the user's request.
    """

    _name = "crm.task.follow.handover"
    _description = "Open activities handed over (e-mails to send)"
    _order = "id"

    new_user_id = fields.Many2one("res.users", required=True, ondelete="cascade")
    old_user_id = fields.Many2one("res.users", ondelete="set null")
    company_id = fields.Many2one("res.company", required=True, ondelete="cascade")
    activity_data = fields.Json(
        help="[[activity id, account]]: account is the customer (res.partner id) or, "
        "for a lead without customer, the negated lead id.")

    @api.model
    def _enqueue(self, moves):
        """Queue the handover e-mails of ``moves`` (see crm.task.follow)."""
        vals_list = [{
            "new_user_id": move["new_user"].id,
            "old_user_id": move["old_user"].id,
            "company_id": move["company"].id,
            "activity_data": [[act_id, account] for act_id, (_m, _r, account)
                              in move["activities"].items()],
        } for move in moves if move["activities"]]
        if not vals_list:
            return self.browse()
        handovers = self.sudo().create(vals_list)
        cron = self.env.ref("crm_relationship_manager.ir_cron_task_follow_handover_mails",
                            raise_if_not_found=False)
        if cron:
            cron.sudo()._trigger()
        return handovers

    @api.model
    def _cron_send_mails(self, limit=None):
        """Write the queued handover e-mails (one per rep and account) and empty the queue."""
        handovers = self.sudo().search([], limit=limit)
        # every queued activity at once (not one existence check per row): only
        # what is still open and still assigned to the receiving rep is sent
        all_ids = {act_id for handover in handovers
                   for act_id, _account in handover.activity_data or []}
        alive = self.env["mail.activity"].sudo().browse(all_ids).exists().filtered("active")
        alive.fetch(["res_model", "res_id", "user_id"])
        alive_by_id = {activity.id: activity for activity in alive}
        moves = []
        for handover in handovers:
            data = dict(handover.activity_data or [])
            user = handover.new_user_id
            activities = [alive_by_id[act_id] for act_id in data
                          if act_id in alive_by_id and alive_by_id[act_id].user_id == user]
            moves.append({
                "old_user": handover.old_user_id,
                "new_user": user,
                "company": handover.company_id,
                "changed_by": handover.create_uid,
                "activities": {a.id: (a.res_model, a.res_id, data[a.id]) for a in activities},
            })
        self.env["crm.task.follow"]._task_follow_send_mails(moves)
        handovers.unlink()
        return len(handovers)
