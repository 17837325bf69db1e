# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Every custom context key the addon reads, in one place.

A web or XML-RPC client sends its own context, made of plain JSON/XML-RPC
values. A key that changes rights, history (source, reason, dates) or
notifications is therefore honoured only when its value was made by server
code: a ``ServerFlag`` (a ``str`` subclass) or ``ServerIds`` (a ``tuple``
subclass). A client can only produce plain ``str``/``list``/``bool`` values,
which ``server_value`` ignores.

Each key is declared below with ``_declare`` (its name, a one-line doc, and
whether a client may set it). The addon reads keys only through these
constants; ``tests/test_context_keys.py`` sends every declared server-only key
from an XML-RPC client and checks that nothing changes, and fails when the
source reads a ``crm_*`` context key that is not declared here.
"""
from collections import namedtuple


class ServerFlag(str):
    """A context value created by server code (a client can only send plain str)."""

    __slots__ = ()


class ServerIds(tuple):
    """A tuple of ids created by server code (a client can only send plain lists)."""

    __slots__ = ()


SERVER = ServerFlag("1")

_SERVER_TYPES = (ServerFlag, ServerIds)


def server_value(context, key):
    """The value of ``key`` in ``context`` if server code set it, else None."""
    value = context.get(key)
    return value if isinstance(value, _SERVER_TYPES) else None


ContextKey = namedtuple("ContextKey", "name doc server_only")

#: name -> ContextKey, every custom context key the addon reads
CONTEXT_KEYS = {}


def _declare(name, doc, server_only=True):
    CONTEXT_KEYS[name] = ContextKey(name, doc, server_only)
    return name


# --- relationships and the Salesperson ------------------------------------
REL_SOURCE = _declare(
    "crm_rel_source",
    "Source of the relationship changes made through the Salesperson field "
    "(e.g. ServerFlag('import') by the customer import).")
REL_REASON = _declare(
    "crm_rel_reason",
    "Reason recorded on the relationship changes made through the Salesperson field.")
NO_SYNC = _declare(
    "crm_rel_no_sync",
    "The addon itself writes the Salesperson: no relationship change (no loop).")

# --- task-follow policy ----------------------------------------------------
TASK_FOLLOW_POLICY = _declare(
    "crm_task_follow_policy",
    "Task-follow policy ('none'|'automated'|'all') overriding the company's for one change.")
TASK_FOLLOW_SKIP = _declare(
    "crm_task_follow_skip",
    "Skip the task-follow policy: the caller moves the activities itself.")
ACTIVITY_MANUAL = _declare(
    "crm_rm_activity_manual",
    "Activities created now were scheduled by hand in the UI (not 'automated').")
KEEP_ACTIVITIES_OF = _declare(
    "crm_rm_keep_activities_of",
    "ServerIds of users being archived: their activities are kept, not deleted.")

# --- leads: colleague, notifications, relay to other companies -------------
UI_CREATE = _declare(
    "crm_rm_ui_create",
    "The lead is created in the form: its creator keeps it (no rotation pool).")
RELAY = _declare(
    "crm_rm_relay",
    "Writing a relayed notice on a linked lead: no notification nor relay back.")
NO_RELAY = _declare(
    "crm_rm_no_relay",
    "Post on a lead without relaying a notice to the linked leads of other companies.")
NO_NOTIFY = _declare(
    "crm_rm_no_notify",
    "Change a lead's stage without telling its colleague.")

# --- rotation pools -------------------------------------------------------
NO_ROTATION = _declare(
    "crm_rotation_skip",
    "Create leads without a Salesperson without asking the rotation pools.")
ROTATION_SKIP_USER_IDS = _declare(
    "crm_rm_rotation_skip_user_ids",
    "ServerIds of users the rotation pools must skip (a user handing over their resources).")
ROTATION_CHANNEL = _declare(
    "crm_rotation_channel",
    "Form key of the channel a lead comes from (website form, integration); selects "
    "the pools restricted to it. A client may set it: it routes like team_id or "
    "source_id, which the client sends as data anyway.",
    server_only=False)


def client_value(context, key):
    """The value of a key that clients may set (declared ``server_only=False``)."""
    assert not CONTEXT_KEYS[key].server_only, f"{key} is honoured only when set by the server"
    return context.get(key)
