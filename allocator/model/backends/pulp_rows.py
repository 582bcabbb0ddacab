"""How the PuLP backend names and files its rows (shared by ``pulp`` and ``pulp_workforce``).

Rows are named ``group[key]``; PuLP replaces the characters ``-+[] `` of a name by ``_``, so
the stored name of ``national_total[gp,2026]`` reads ``national_total_gp,2026_``. Two ids
that sanitise alike (``north-east``, ``north_east``) get a ``#n`` suffix to keep names unique.
A scenario member's own rows (docs/model.md §12) carry its prefix ``prob.row_prefix``
(``member2.``), as its variables do. Every row is also filed as ``prob.rows[group][key]``.
"""

from __future__ import annotations

import pulp

SANITISE = str.maketrans("-+[] ", "_____")  # what PuLP does to a row's name


def label(key: tuple) -> str:
    """``("north", "gp", 2026)`` -> ``"north,gp,2026"``."""
    return ",".join(str(k) for k in key)


def row_name(group: str, key: tuple) -> str:
    """The name PuLP stores for row ``group[key]``: ``row_name("lock", ("north-east", "gp",
    2026))`` is ``"lock_north_east,gp,2026_"`` (PuLP replaces ``-+[] `` by ``_``)."""
    return f"{group}[{label(key)}]".translate(SANITISE)


def add_row(prob: pulp.LpProblem, group: str, key: tuple, row: pulp.LpConstraint) -> None:
    """Add ``row`` named ``group[key]`` and file it under ``prob.rows[group][key]``."""
    name = getattr(prob, "row_prefix", "") + row_name(group, key)
    row.name = name
    if prob.get_constraint_by_name(row.name) is not None:  # two ids alike once sanitised
        row.name = f"{name}#{len(prob.rows.get(group, {}))}"
    prob.addConstraint(row)
    prob.rows.setdefault(group, {})[key] = row
