from . import test_relationship
from . import test_relationship_rpc
from . import test_relationship_tour
from . import test_task_follow
from . import test_task_follow_tour
from . import test_lead_colleague
from . import test_lead_colleague_rpc
from . import test_lead_colleague_tour
