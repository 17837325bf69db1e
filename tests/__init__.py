from . import test_relationship
from . import test_relationship_rpc
