# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Context keys that only server code may set.

Some context keys change what the addon does (skip the task-follow policy,
override it, count an activity as scheduled by hand, write the Salesperson
without a relationship change). A web or XML-RPC client sends its own context,
made of plain JSON values, so such a key is honoured only when its value is a
``ServerFlag``: an object the server creates and a client cannot.
"""


class ServerFlag(str):
    """A context value created by server code (a client can only send plain str)."""

    __slots__ = ()


SERVER = ServerFlag("1")


def server_value(context, key):
    """The value of ``key`` in ``context`` if server code set it, else None."""
    value = context.get(key)
    return value if isinstance(value, ServerFlag) else None
