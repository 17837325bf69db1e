from . import crm_relationship_role
from . import crm_relationship
from . import res_company
from . import res_config_settings
from . import res_partner
from . import res_users
from . import crm_lead
