from . import test_relationship
from . import test_relationship_rpc
from . import test_relationship_tour
from . import test_transfer
from . import test_task_follow
from . import test_import_customers_rpc
