from . import crm_relationship_update
from . import crm_lead_update_assignment
from . import res_partner_transfer
from . import res_partner_import_customers
from . import mail_activity_schedule
from . import res_partner_import_customers_line
