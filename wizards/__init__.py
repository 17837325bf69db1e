from . import crm_relationship_update
from . import crm_lead_update_assignment
from . import mail_activity_schedule
from . import res_users_reassign
