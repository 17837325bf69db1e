# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Server-only context values; kept for existing imports, see ``context_keys``."""
from .context_keys import SERVER, ServerFlag, ServerIds, server_value  # noqa: F401
