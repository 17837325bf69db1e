# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Long lists passed to PostgreSQL as one array parameter.

psycopg2 sends a Python list as ``ARRAY[1, 2, ...]``: PostgreSQL parses and
plans every element as an expression of its own, which costs seconds for a
few hundred thousand values (the items of a mass reassignment). ``pg_array``
gives the array's text form instead (``'{1,2,NULL}'``), which the server reads
at once with the cast in the query (``%s::int[]``).
"""


def pg_array(values):
    """The PostgreSQL text form of an array of integers or of plain words (no
    quotes, commas, braces, spaces or backslashes: states, selection keys);
    ``None`` is NULL. Cast it in the query: ``unnest(%s::int[])``."""
    return "{%s}" % ",".join("NULL" if value is None else str(value) for value in values)
