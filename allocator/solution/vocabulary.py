"""One vocabulary: every measure a person reads, with one display name, its unit, a one-line
definition, and how its numbers are shown.

The command line's printed summary, ``report.md``, ``report.xlsx``, ``report.html``, the figures
and the web app take their names and their rounding from here, and docs/measures.md carries
:func:`markdown_table` (a test fails when it is stale). Full precision stays in ``result.json``
and the CSV result files only: everything a person reads is rounded to what its unit can
tell (:func:`fmt` for text, :func:`rounded` for a number stored in a workbook cell).

Two measures are easily confused, so their names are built apart: the *worst shortfall*
(``max_shortfall_pct``, docs/model.md §8) is the single region × specialty furthest below its own
fair share; the *region furthest below* (``most_below_region``, ``max_below_target_pct``) adds
each region's specialties together first.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Unit:
    """How the numbers of a unit are written.

    Attributes
    ----------
    id : the unit's key in :data:`UNITS`.
    suffix : what a column header adds after the measure's name (``"posts"`` → ``"(posts)"``);
        empty for a unit the name already says (an index, posts per 100,000).
    digits : decimals shown; ``None`` for a unit rounded to significant figures instead.
    sig : significant figures (shadow prices), when ``digits`` is ``None``.
    excel : the workbook's number format for the unit.
    up : round away from zero (an amount that must be reached, such as a relaxation: rounded
        down it would not be enough).
    """

    id: str
    suffix: str
    digits: int | None
    sig: int | None = None
    excel: str = "General"
    up: bool = False


UNITS: dict[str, Unit] = {
    u.id: u
    for u in (
        Unit("posts", "posts", 1, excel="#,##0.0"),
        Unit("doctors", "doctors", 1, excel="#,##0.0"),
        Unit("capacity", "", 1, excel="#,##0.0"),
        Unit("per_100k", "", 1, excel="#,##0.0"),
        Unit("pct", "%", 1, excel="0.0"),
        Unit("pct_below", "% below its fair share", 1, excel="0.0"),
        Unit("pct_below_stock", "% below its fair stock", 1, excel="0.0"),
        Unit("gini", "", 3, excel="0.000"),
        Unit("theil", "", 4, excel="0.0000"),
        Unit("cost", "", 1, excel="#,##0.0"),
        Unit("objective", "", 2, excel="#,##0.00"),
        Unit("gap_pct", "%", None, sig=3),
        Unit("relax", "", 1, excel="#,##0.0", up=True),
        Unit("dual", "objective units per unit of the bound", None, sig=3),
        Unit("year", "", 0, excel="0"),
        Unit("text", "", None),
    )
}


@dataclass(frozen=True)
class Measure:
    """One measure: ``id`` (its column in results and frames), ``name`` (the one display
    name), ``unit`` (a key of :data:`UNITS`) and a one-line ``definition``."""

    id: str
    name: str
    unit: str
    definition: str

    @property
    def label(self) -> str:
        """The name with its unit, as a column header: ``Gap to fair shares (posts)``."""
        return label(self.id)


_M = Measure
MEASURES: dict[str, Measure] = {
    m.id: m
    for m in (
        # docs/model.md §8, per planning year
        _M("gap_posts", "Gap to fair shares", "posts", "Σ over regions and specialties of |posts − fair share|."),
        _M("gap_closed_pct", "Gap closed", "pct", "Share of the unchanged baseline's gap to fair shares removed."),
        _M(
            "gini",
            "Gini of posts per 100,000 need-weighted population",
            "gini",
            "Inequality of posts per 100,000 need-weighted population across regions (0 = all regions alike).",
        ),
        _M(
            "max_shortfall_pct",
            "Worst shortfall, one region × specialty",
            "pct_below",
            "How far the one region × specialty furthest below its own fair share is below it.",
        ),
        _M("posts_moved", "Posts moved", "posts", "Posts regions lose from one year to the next (each move once)."),
        _M("cost", "Cost", "cost", "Σ cost of a post × posts, in the instance's cost units."),
        # per region
        _M("posts", "Posts", "posts", "Training posts of a region and specialty (or their sum)."),
        _M("target", "Fair share", "posts", "The national total shared out by need: N · D / Σ D."),
        _M(
            "per_100k",
            "Posts per 100,000 need-weighted population",
            "per_100k",
            "100,000 · posts of a region / (population · need index).",
        ),
        _M(
            "per_100k_fair_share",
            "Fair share per 100,000 need-weighted population",
            "per_100k",
            "What posts per 100,000 need-weighted population would be at the fair shares.",
        ),
        _M(
            "distance_pct",
            "Distance from fair share",
            "pct",
            "100 · (posts − fair share) / fair share: negative below, positive above.",
        ),
        # equity (allocator.solution.equity)
        _M(
            "most_below_region",
            "Region furthest below its fair share",
            "text",
            "The region whose posts, all specialties together, fall furthest below its fair share.",
        ),
        _M(
            "max_below_target_pct",
            "Region furthest below, all specialties",
            "pct_below",
            "How far that region, all specialties together, is below its fair share.",
        ),
        _M("theil", "Theil index against fair shares", "theil", "Σ (x/X) · ln(x/T) over region × specialty cells."),
        _M("between_regions", "Theil between regions", "theil", "The part of the Theil index between regions."),
        _M("within_regions", "Theil within regions", "theil", "The part of the Theil index inside regions."),
        # the workforce pipeline (docs/model.md §10)
        _M("supply_gap", "Supply gap", "doctors", "Σ |trained stock − fair stock| over regions and specialties."),
        _M(
            "supply_gini",
            "Gini of supply per 100,000 need-weighted population",
            "gini",
            "Inequality of trained stock per 100,000 need-weighted population across regions.",
        ),
        _M(
            "supply_max_shortfall_pct",
            "Worst supply shortfall, one region × specialty",
            "pct_below_stock",
            "How far the one region × specialty furthest below its fair stock is below it.",
        ),
        _M("stock", "Stock", "doctors", "Trained doctors of a region (all specialties) in a year."),
        _M("fair_stock", "Fair stock", "doctors", "The national stock shared out by need."),
        _M(
            "supply_per_100k",
            "Supply per 100,000 need-weighted population",
            "per_100k",
            "100,000 · stock of a region / (population · need index).",
        ),
        _M(
            "supply_per_100k_fair",
            "Fair stock per 100,000 need-weighted population",
            "per_100k",
            "What supply per 100,000 need-weighted population would be at the fair stock.",
        ),
        # scenarios (docs/model.md §12)
        _M(
            "risk",
            "Risk term over the futures",
            "objective",
            "The supply terms of every member future, combined by the risk measure (expected, worst or CVaR).",
        ),
        # teams (docs/model.md §11)
        _M("team_gap", "Team gap in capacity", "capacity", "Σ over regions of |team capacity − team fair share|."),
        _M(
            "team_gini",
            "Gini of team capacity per 100,000 team-need-weighted population",
            "gini",
            "Inequality of team capacity per 100,000 team-need-weighted population across regions.",
        ),
        _M("capacity", "Team capacity", "capacity", "Σ over a team's members of posts × equivalence."),
        _M("team_target", "Team fair share", "capacity", "The team's national capacity shared out by need."),
        _M("share", "Share of team capacity", "pct", "A member's part of its team's capacity in a region."),
        # plans for uncertain futures (docs/model.md §12, docs/robust.md)
        _M(
            "regret",
            "Regret",
            "objective",
            "A plan's objective in one future minus that of the plan made for that future alone.",
        ),
        _M(
            "vss",
            "Value of the stochastic solution (VSS)",
            "objective",
            "The risk objective of the central future's plan minus that of the robust plan.",
        ),
        _M(
            "evpi",
            "Expected value of perfect information (EVPI)",
            "objective",
            "The robust plan's expected objective minus the expected best objective of each future.",
        ),
        # the solve
        _M(
            "relax_by",
            "Relax by",
            "relax",
            "The least change of one limit that makes an infeasible instance solvable (rounded up).",
        ),
        _M("objective", "Objective", "objective", "The model file's weighted sum, minimised."),
        _M(
            "mip_gap_pct",
            "Gap to the best bound",
            "gap_pct",
            "100 · (objective − best bound) / objective: at most how much better a whole-post plan could be.",
        ),
        _M(
            "dual",
            "Shadow price",
            "dual",
            "Change in the objective per unit increase of a binding constraint's bound.",
        ),
    )
}

#: What a workbook, page or table column with a measure's label (or a variant of it) holds:
#: a header that is no measure's label is matched by these words, in order, else "posts".
_KEYWORDS = (
    ("shadow price", "dual"),
    ("theil", "theil"),
    ("gini", "gini"),
    ("(%", "pct"),
    ("% below", "pct"),
    ("share (%", "pct"),
    ("per 100,000", "per_100k"),
    ("objective", "objective"),
    ("best bound", "objective"),
    ("cost", "cost"),
)
#: Headers that hold no measure (identifiers, years, words).
_NOT_NUMBERS = {"year", "region", "specialty", "constraint", "team", "measure", "item", "value"}

#: Values smaller than this are shown, and stored in a workbook, as 0 (float noise).
TINY = 1e-9


def measure(mid: str) -> Measure:
    """The measure of an id (``KeyError`` naming the known ids if there is none)."""
    try:
        return MEASURES[mid]
    except KeyError:
        raise KeyError(f"no measure {mid!r} (known: {', '.join(MEASURES)})") from None


def name(mid: str) -> str:
    """The one display name of a measure."""
    return measure(mid).name


def label(mid: str, qualifier: str = "") -> str:
    """A measure's name with its unit, for a column header; with ``qualifier`` after the name
    (``label("gini", "baseline unchanged")`` → ``Gini of … population, baseline unchanged``)."""
    m = measure(mid)
    suffix = UNITS[m.unit].suffix
    text = f"{m.name}, {qualifier}" if qualifier else m.name
    said = suffix.lower() in m.name.lower().split()  # "Posts moved" says its unit already
    return f"{text} ({suffix})" if suffix and not said else text


_BY_LABEL = {label(m): v.unit for m, v in MEASURES.items()}


def unit_of(header: str) -> str | None:
    """The unit of a table column from its header: a measure's label (with or without a
    qualifier or a year), else by words in it (``(%)``, ``Gini``, ``Shadow price``, …); posts
    when nothing else matches; ``None`` for a column of identifiers or years."""
    h = str(header).strip()
    low = h.lower()
    if low in _NOT_NUMBERS or low.endswith(" id"):
        return None
    if h in MEASURES:
        return MEASURES[h].unit if MEASURES[h].unit != "text" else None
    if h in _BY_LABEL:
        return _BY_LABEL[h]
    named = [m for m in MEASURES.values() if m.unit != "text" and m.name not in ("Posts", "Stock", "Cost")]
    named = [m for m in named if low.startswith(m.name.lower())]
    if named:
        return max(named, key=lambda m: len(m.name)).unit
    for word, unit in _KEYWORDS:
        if word in low:
            return unit
    return "posts"


def _finite(v) -> bool:
    return isinstance(v, int | float | np.integer | np.floating) and not isinstance(v, bool) and math.isfinite(v)


def round_sig(v: float, sig: int) -> float:
    """``v`` to ``sig`` significant figures (0 below :data:`TINY`)."""
    if abs(v) < TINY:
        return 0.0
    return float(round(v, sig - 1 - math.floor(math.log10(abs(v))))) + 0.0


def rounded(unit: str | None, v):
    """``v`` rounded as ``unit`` (a unit id, or a measure id for its unit) shows it, as a number
    for a workbook cell: fixed decimals or significant figures (away from zero for a unit with
    ``up``); |v| < :data:`TINY` is 0 and −0 is 0. Anything but a finite number (text, ``None``,
    NaN) is returned unchanged."""
    if unit is None or not _finite(v) or isinstance(v, int | np.integer):
        return v.item() if isinstance(v, np.generic) else v
    u = UNITS[MEASURES[unit].unit if unit in MEASURES else unit]
    v = float(v)
    if abs(v) < TINY:
        return 0.0
    if u.digits is None:
        return round_sig(v, u.sig) if u.sig else v
    if u.up:  # away from zero, float noise (15.899999999999999) first taken off
        scale = 10.0**u.digits
        return math.copysign(math.ceil(round(abs(v) * scale, 6)) / scale, v) + 0.0
    return round(v, u.digits) + 0.0


def fmt(mid_or_unit: str, v, sign: bool = False) -> str:
    """``v`` as text for a person: by a measure id or a unit id, thousands separated, to the
    unit's decimals (significant figures for a shadow price); ``""`` for ``None``/NaN. With
    ``sign``, a leading ``+`` for a positive value. The minus sign is ``-``."""
    if v is None or (isinstance(v, float | np.floating) and math.isnan(v)):
        return ""
    if not _finite(v):
        return str(v)
    unit = MEASURES[mid_or_unit].unit if mid_or_unit in MEASURES else mid_or_unit
    u = UNITS[unit]
    r = rounded(unit, v)
    plus = "+" if sign and r > 0 else ""
    if u.digits is not None:
        return f"{r:{plus},.{u.digits}f}"
    if abs(r) >= 1000:
        return f"{r:{plus},.0f}"
    return plus + np.format_float_positional(r, trim="-")


def round_frame(frame: pd.DataFrame, units: dict[str, str | None] | None = None) -> pd.DataFrame:
    """A copy of ``frame`` with every numeric column rounded by its unit (``units[column]``,
    else :func:`unit_of` its header): what a workbook stores."""
    out = frame.copy()
    for col in out.columns:
        if not pd.api.types.is_numeric_dtype(out[col]) or pd.api.types.is_bool_dtype(out[col]):
            continue
        unit = units[col] if units and col in units else unit_of(col)
        if unit is None or pd.api.types.is_integer_dtype(out[col]):
            continue
        out[col] = out[col].map(lambda v, u=unit: rounded(u, v))
    return out


def text_frame(frame: pd.DataFrame, units: dict[str, str | None] | None = None) -> pd.DataFrame:
    """``frame`` as text, each numeric column written by its unit (``units[column]``, else
    :func:`unit_of` its header): what a person reads in the app, the terminal or Markdown."""
    out = pd.DataFrame(index=frame.index)
    for col in frame.columns:
        unit = units[col] if units and col in units else unit_of(col)
        values = frame[col]
        if unit is None or not pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
            out[col] = values.astype(object).map(lambda v: "" if v is None or v != v else str(v))
        else:
            out[col] = values.map(lambda v, u=unit: fmt(u, v))
    return out


#: What one unit of a binding constraint's bound is, by constraint family (posts otherwise).
BOUND_UNITS = {
    "budget": "unit of budget",
    "worst_shortfall": "percentage point",
    "worst_supply": "percentage point",
    "team_mix": "unit of team capacity",
}


def dual_text(constraint: str, dual: float) -> str:
    """A shadow price in words, not a bare signed number: the objective saved per unit of the
    bound and the direction that saves it (``"9.4 per post raised"``). The objective is
    minimised and ``dual`` is the change in it per unit increase of the bound, so a negative
    dual is saved by raising the bound and a positive one by lowering it."""
    if dual is None or (isinstance(dual, float) and math.isnan(dual)):
        return ""
    per = BOUND_UNITS.get(str(constraint), "post")
    if abs(dual) < TINY:
        return f"0 per {per}"
    return f"{fmt('dual', abs(dual))} per {per} {'raised' if dual < 0 else 'lowered'}"


#: The header of a column of :func:`dual_text`.
DUAL_HEADER = "objective saved per unit of the bound"


#: The lines around :func:`markdown_table` in docs/measures.md.
DOC_START = "<!-- the table of measures: written by allocator.solution.vocabulary.markdown_table() -->"
DOC_END = "<!-- end of the table of measures -->"


def markdown_table() -> str:
    """The table of measures for docs/measures.md: id, display name, unit, definition."""
    lines = ["| id | display name | unit | definition |", "|---|---|---|---|"]
    words = {"gini": "index, 0 to 1", "theil": "index", "per_100k": "per 100,000", "objective": "objective units"}
    words |= {"cost": "the instance's cost units", "relax": "the limit's unit"}
    for m in MEASURES.values():
        unit = UNITS[m.unit].suffix or words.get(m.unit, m.unit)
        cells = [f"`{m.id}`", m.name, unit, m.definition]
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(lines)
