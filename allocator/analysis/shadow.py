"""Shadow prices in plain words, and HiGHS's sensitivity ranging.

A shadow price (dual) says how much the optimum would change if one constraint's bound
moved by one unit. :func:`explain` turns each row of a :class:`~allocator.solution.result.Result`'s
``binding`` table into one sentence a policy analyst can read ("one more training post of
capacity for Paediatrics in the North East in 2027 would lower the objective by 0.8"), and
:func:`ranging` reports, from a solved direct-HiGHS model, over what range of the objective
coefficients and of the binding bounds those prices stay valid.

Sign convention (docs/model.md §9): ``dual`` is the change in the optimum per unit increase
of the constraint's bound (its constant side). The objective is minimised, so relaxing a
binding limit never raises it: a binding ``≤`` limit has ``dual ≤ 0``, a binding minimum
``dual ≥ 0``, and an equality (national total, lock) either sign. Each sentence describes
the direction that lowers the objective, by ``|dual|``.

:func:`group` joins the sentences of one family and one region into one ("London's shrink
limits bind in 10 cells (psychiatry 2025–2027, …): each post more they let a cell lose would
lower the objective by 0.4–0.9"), for the report and the app.

A dual is a marginal value: it holds for small changes only, up to the limits that
:func:`ranging` reports, and at a degenerate optimum it may hold in one direction only.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from allocator.core.data import ProblemData
from allocator.core.families import BY_NAME, CELL_KEYS, FAMILIES, words
from allocator.core.instance import Instance
from allocator.io.instance import as_instance, as_problem_data
from allocator.solution.arrays import posts_array

EXPLAIN_COLUMNS = ["constraint", "region", "specialty", "year", "dual", "value", "sentence"]
RANGING_COLUMNS = [
    "kind",
    "constraint",
    "region",
    "specialty",
    "year",
    "value",
    "dual",
    "lower",
    "upper",
    "objective_at_lower",
    "objective_at_upper",
]


def names_from_instance(inst: Instance | str | Path) -> dict[str, str]:
    """``{id: display name}`` for the regions and specialties of an instance (or an instance file).

    An entity without a ``name`` keeps its id. Region and specialty ids share one mapping,
    as in the instance they are distinct name spaces only in principle; if an id is used for
    both, the region's name wins.
    """
    inst = as_instance(inst)
    names = {s.id: s.name or s.id for s in inst.specialties}
    names.update({r.id: r.name or r.id for r in inst.regions})
    return names


def _fmt(v: float) -> str:
    """A number for a sentence: 3 significant figures, thousands separated."""
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "?"
    a = abs(v)
    if a >= 1000:
        return f"{v:,.0f}"
    if a >= 1e-3 or a == 0:
        return f"{v:.3g}"
    return f"{v:.2e}"


def _pct(rate: float) -> str:
    return f"{_fmt(100 * rate)}%"


def _weights(result, spec):
    """The objective weights of the result's model, when known."""
    if spec is not None:
        return spec.objective
    from allocator.core.spec import DEFAULT_MODEL

    return DEFAULT_MODEL.objective if result.model == DEFAULT_MODEL.name else None


def _gap_words(dual: float, weights) -> str:
    """' (about 0.8 posts of gap closed)' when one objective unit is one post of gap (a = b)."""
    if weights is None or weights.shortfall <= 0 or weights.shortfall != weights.surplus:
        return ""
    n = _fmt(abs(dual) / weights.shortfall)
    return f" (about {n} post{'' if n == '1' else 's'} of gap closed)"


def _bound_value(row: dict, d: ProblemData, x: np.ndarray | None, z: float | None) -> float:
    """The constant side of a binding constraint, in posts (money for a budget).

    For transition limits whose bound depends on last year's posts, ``x_prev`` is taken
    from the result's allocation (the baseline in the first year).
    """
    name, dual = row["constraint"], row["dual"]
    r = d.regions.index(row["region"]) if row.get("region") is not None else None
    s = d.specialties.index(row["specialty"]) if row.get("specialty") is not None else None
    year = int(row["year"]) if row.get("year") is not None else None
    t = d.years.index(year) if year in d.years else None  # §10/§11 rows may be in evaluation years

    def prev_cell():
        if t == 0:
            return d.baseline[r, s]
        return np.nan if x is None else x[r, s, t - 1]

    if name == "national_total":
        if d.ranged[s, t]:  # v2: the binding side of the range
            return float(d.national_max[s, t] if dual < 0 else d.national_min[s, t])
        return float(d.national[s, t])
    if name == "lock":
        return float(d.lock[r, s, t])
    if name == "capacity":
        return float(d.max_posts[r, s, t] if dual < 0 else d.min_posts[r, s, t])
    if name == "growth_limit":
        return float(d.max_growth_rate * prev_cell() + d.growth_allowance)
    if name == "shrink_limit":
        return float(d.max_shrink_rate * prev_cell() + d.shrink_allowance)
    if name == "programme_shrink":
        return float(prev_cell() / d.programme_years[s])
    if name == "region_net_loss":
        prev = d.baseline[r].sum() if t == 0 else (np.nan if x is None else x[r, :, t - 1].sum())
        return float(d.max_region_net_loss_rate * prev)
    if name == "national_moves":
        return float(d.max_national_moves)
    if name == "budget":
        return float(d.budget[t])
    if name == "worst_shortfall":
        return float(d.target[r, s, t] * z / 100) if z is not None else np.nan
    if name == "team_mix":  # e_m · x <= max_share · E, written with 0 on the right
        return 0.0
    return np.nan


def _sentence(row: dict, value: float, d: ProblemData, names: Mapping[str, str], weights) -> str:
    """One plain-words sentence for one binding constraint."""
    name, dual = row["constraint"], float(row["dual"])
    by = _fmt(abs(dual))
    gap = _gap_words(dual, weights)
    region = names.get(row.get("region"), row.get("region"))
    spec = names.get(row.get("specialty"), row.get("specialty"))
    year = int(row["year"]) if row.get("year") is not None else None
    lower = f"would lower the objective by {by}{gap}"
    s = d.specialties.index(row["specialty"]) if row.get("specialty") is not None else None

    f = BY_NAME.get(name)
    ranged = f is not None and f.range_words is not None and s is not None and d.ranged[s, d.years.index(year)]
    said = words(name, ranged) if f is not None else None
    template = (said.shadow_down if dual > 0 and said.shadow_down else said.shadow_up) if said else ""
    if not template:
        return f"one more unit of the bound of {name} {lower}"
    allowance = getattr(d, f.allowance_field) if f.allowance_field else 0.0
    future = row.get("scenario")
    sentence = template.format(
        spec=spec,
        region=region,
        year=year,
        value=_fmt(value),
        by=by,
        by100=_fmt(100 * abs(dual)),
        lower=lower,
        pct=_pct(getattr(d, f.rate_field)) if f.rate_field else "",
        plus_word=f" plus {_fmt(allowance)} posts" if allowance else "",
        plus_posts=f" + {_fmt(allowance)} posts" if allowance else "",
        years=_fmt(d.programme_years[s]) if s is not None else "",
        team=next((t.name for t in d.teams if t.id == row.get("team")), row.get("team")),
        scenario=future,
    )
    if future is not None and name != "scenario_risk":  # a member's own row (§12)
        return f"in the {future} future: {sentence}"
    return sentence


def explain(
    result,
    d: ProblemData | Instance | str | Path,
    top: int | None = None,
    names: Mapping[str, str] | None = None,
    spec=None,
) -> pd.DataFrame:
    """Each binding constraint of a result as a sentence, largest shadow price first.

    Parameters
    ----------
    result : a :class:`~allocator.solution.result.Result` (optimal LP: integer results have no duals).
    d : its :class:`~allocator.core.data.ProblemData`, or its instance (or the instance's file).
    top : keep only the ``top`` largest ``|dual|``.
    names : ``{id: display name}`` for regions and specialties
        (:func:`names_from_instance`); ids are used where a name is missing.
    spec : the :class:`~allocator.core.spec.ModelSpec` solved, to translate objective units into
        posts of gap when the shortfall and surplus weights are equal (``a = b``: one unit of
        objective is then ``1/a`` posts of gap). Without it, the default model's weights are
        assumed if the result's model is the default one, else no translation is given.

    Returns
    -------
    DataFrame ``constraint, region, specialty, year, dual, value, sentence``:

    - ``dual``: change in the optimum per unit increase of the bound (as in ``binding``);
      for ``worst_shortfall`` the unit is 1/100 post of shortfall (the row is
      ``100 · short ≤ T · z``), so the sentence quotes ``100 · |dual|`` per post;
    - ``value``: the bound itself: the cap or minimum (capacity), the locked posts, the
      national total, the limit in posts this year (growth, shrink, programme, regional
      net loss; ``x_prev`` taken from the result), the national moves limit, the budget,
      the shortfall allowed by the worst shortfall ``T · z / 100``;
    - ``sentence``: the improving direction in words, with ``|dual|``.
    """
    d = as_problem_data(d)
    names = dict(names or {})
    rows = result.binding
    if rows is None or len(rows) == 0:
        return pd.DataFrame(columns=EXPLAIN_COLUMNS)
    x = posts_array(result, d)
    z = None
    if result.kpis is not None and len(result.kpis):
        z = float(pd.to_numeric(result.kpis["max_shortfall_pct"]).max())
    weights = _weights(result, spec)
    out = []
    for rec in rows.to_dict(orient="records"):
        rec = {k: (None if (isinstance(v, float) and math.isnan(v)) else v) for k, v in rec.items()}
        rec["dual"] = float(rec["dual"])
        if rec.get("year") is not None:
            rec["year"] = int(rec["year"])
        value = _bound_value(rec, d, x, z)
        out.append({**{k: rec.get(k) for k in EXPLAIN_COLUMNS[:5]}, "value": value})
        out[-1]["sentence"] = _sentence(rec, value, d, names, weights)
    frame = pd.DataFrame(out, columns=EXPLAIN_COLUMNS)
    order = frame["dual"].abs().sort_values(ascending=False, kind="stable").index
    frame = frame.loc[order].reset_index(drop=True)
    return frame.head(top) if top is not None else frame


# --------------------------------------------------------------------------- grouping

GROUP_COLUMNS = ["constraint", "region", "cells", "dual", "dual_low", "dual_high", "rows", "what", "sentence"]

#: How grouped sentences name several limits of a family, and one unit of them moved the
#: improving way: ``{family: (plural noun, (dual < 0 words, dual > 0 words))}``.
_GROUP_WORDS = {
    "national_total": (
        "national totals",
        (
            "each post more nationally, with fair shares held fixed (they in fact scale with the total, so this "
            "is not the value of a bigger programme),",
            "each post fewer nationally, with fair shares held fixed (they in fact scale with the total),",
        ),
    ),
    "capacity": ("capacity limits", ("each post more of capacity", "each post less of minimum capacity")),
    "lock": ("locks", ("each post more locked", "each post fewer locked")),
    "growth_limit": ("growth limits", ("each post more they let a cell gain", "")),
    "shrink_limit": ("shrink limits", ("each post more they let a cell lose", "")),
    "programme_shrink": ("programme-length shrink limits", ("each post more they let a cell lose", "")),
    "region_net_loss": ("regional net-loss limits", ("each post more they let the region lose", "")),
    "national_moves": ("national moves limits", ("each post more allowed to move", "")),
    "budget": ("budgets", ("each unit more of budget", "")),
    "team_mix": ("skill-mix limits", ("each unit more of team capacity their max_share allows", "")),
}
#: Families whose rows say a cell sets a worst shortfall (the dual is per 1/100 post).
_WORST = {"worst_shortfall": "fair share", "worst_supply": "fair stock"}


def years_text(years: list[int]) -> str:
    """``[2025, 2026, 2027, 2029]`` → ``2025–2027 and 2029``."""
    runs: list[list[int]] = []
    for y in sorted(set(years)):
        if runs and y == runs[-1][-1] + 1:
            runs[-1].append(y)
        else:
            runs.append([y])
    parts = [f"{r[0]}–{r[-1]}" if len(r) > 2 else " and ".join(map(str, r)) if len(r) == 2 else str(r[0]) for r in runs]
    return ", ".join(parts[:-1]) + " and " + parts[-1] if len(parts) > 1 else parts[0]


def _cells_text(rows: pd.DataFrame, names: Mapping[str, str], every: int | None, shown: int = 6) -> str:
    """The cells of a group, compactly: specialties with the same years together
    (``psychiatry 2025–2027, gp and paediatrics 2026``; ``all 12 specialties 2026–2030``)."""
    if rows["specialty"].isna().all():
        return years_text([int(y) for y in rows["year"].dropna()]) if rows["year"].notna().any() else ""
    by_spec: dict[str, list[int]] = {}
    for spec, year in zip(rows["specialty"], rows["year"], strict=True):
        by_spec.setdefault(str(spec), []).append(int(year))
    by_years: dict[str, list[str]] = {}
    for spec, years in by_spec.items():
        by_years.setdefault(years_text(years), []).append(names.get(spec, spec))
    parts = []
    for years, specs in by_years.items():
        if every is not None and len(specs) == every and every > 2:
            who = f"all {every} specialties"
        else:
            who = ", ".join(specs[:-1]) + " and " + specs[-1] if len(specs) > 1 else specs[0]
        parts.append(f"{who} {years}")
    if len(parts) > shown:
        parts = parts[:shown] + [f"{len(parts) - shown} more"]
    return ", ".join(parts)


def _range(lo: float, hi: float) -> str:
    return _fmt(lo) if _fmt(lo) == _fmt(hi) else f"{_fmt(lo)}–{_fmt(hi)}"


def _cap(text: str) -> str:
    text = str(text).strip()
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")


def _what(name: str, region: str | None, rows: pd.DataFrame, names, every) -> str | None:
    """The limits of a group in a few words: "London's shrink limits (psychiatry 2025–2027)";
    ``None`` for the rows that say a cell sets the worst shortfall (not a limit to loosen)."""
    if name in _WORST:
        return None
    where = names.get(region, region) if region else None
    noun = _GROUP_WORDS.get(name, (f"{name.replace('_', ' ')} limits",))[0] if len(rows) > 1 else None
    if noun is None:
        noun = words(name).noun if name in BY_NAME else name.replace("_", " ")
    cells = _cells_text(rows, names, every)
    return f"{where + chr(39) + 's' if where else 'the'} {noun}" + (f" ({cells})" if cells else "")


def _group_sentence(name: str, region: str | None, rows: pd.DataFrame, names, every) -> str:
    """One sentence for the binding rows of one family and region (and direction)."""
    n = len(rows)
    cells = _cells_text(rows, names, every)
    where = names.get(region, region) if region else None
    unit = "years" if rows["specialty"].isna().all() and rows["year"].notna().any() else "cells"
    by = rows["dual"].abs()
    if name in _WORST:
        owner = f"In {where}, " if where else ""
        return _cap(
            f"{owner}{n} {unit} ({cells}) are the furthest below their {_WORST[name]} and set the worst "
            f"shortfall: letting each fall one more short would lower the objective by "
            f"{_range(100 * by.min(), 100 * by.max())}."
        )
    plural, (up, down) = _GROUP_WORDS.get(name, (f"{name.replace('_', ' ')} limits", ("", "")))
    each = (down if rows["dual"].iloc[0] > 0 else up) or "each unit of these limits moved the improving way"
    owner = f"{where}'s" if where else "The"
    worth = _range(by.min(), by.max())
    return _cap(f"{owner} {plural} bind in {n} {unit} ({cells}): {each} would lower the objective by {worth}")


def group(frame: pd.DataFrame, names: Mapping[str, str] | None = None, specialties: int | None = None) -> pd.DataFrame:
    """The sentences of :func:`explain`, one per family, region and direction.

    Binding rows of one family and one region whose shadow prices point the same way (ten
    shrink limits of London across specialties and years, say) become one sentence that
    lists the cells compactly and gives the range of their shadow prices; a group of one row
    keeps :func:`explain`'s own sentence. The ungrouped frame stays the researcher's view.

    Parameters
    ----------
    frame : the DataFrame of :func:`explain`.
    names : ``{id: display name}`` (:func:`names_from_instance`).
    specialties : how many specialties the instance has (cells of every specialty are then
        written "all N specialties").

    Returns
    -------
    DataFrame ``constraint, region, cells, dual, dual_low, dual_high, rows, sentence``, largest
    ``|dual|`` first: ``cells`` the number of binding rows covered, ``dual`` the largest
    (signed), ``dual_low``/``dual_high`` the least and largest ``|dual|``, ``rows`` the index
    labels in ``frame`` of the rows covered (each row of ``frame`` is in exactly one group),
    ``what`` the limits in a few words ("London's shrink limits (psychiatry 2025–2027)"; ``None``
    for cells that set the worst shortfall, which are not limits).
    """
    names = dict(names or {})
    if frame is None or len(frame) == 0:
        return pd.DataFrame(columns=GROUP_COLUMNS)
    keyed = frame.assign(_region=frame["region"].fillna(""), _sign=np.sign(pd.to_numeric(frame["dual"])).astype(int))
    out = []
    for (name, region, _), rows in keyed.groupby(["constraint", "_region", "_sign"], sort=False):
        by = rows["dual"].abs()
        if len(rows) == 1:
            text = _cap(rows["sentence"].iloc[0])
        else:
            text = _group_sentence(name, region or None, rows, names, specialties)
        out.append(
            {
                "constraint": name,
                "region": region or None,
                "cells": len(rows),
                "dual": float(rows["dual"].loc[by.idxmax()]),
                "dual_low": float(by.min()),
                "dual_high": float(by.max()),
                "rows": list(rows.index),
                "what": _what(name, region or None, rows, names, specialties),
                "sentence": text,
            }
        )
    grouped = pd.DataFrame(out, columns=GROUP_COLUMNS)
    order = grouped["dual_high"].sort_values(ascending=False, kind="stable").index
    return grouped.loc[order].reset_index(drop=True)


# ---------------------------------------------------------------------------- ranging

# Families whose bounds are policy choices worth ranging: rows of the HiGHS model that are not
# definitions (from the family table; capacity and lock are column bounds, ranged below).
RANGED_FAMILIES = tuple(f.name for f in FAMILIES if f.ranged)


def ranging(model) -> pd.DataFrame:
    """HiGHS's sensitivity ranging of a solved direct-HiGHS model.

    HiGHS computes ranging from the optimal simplex basis (an interior-point solve with
    crossover has one). It answers two questions:

    - **Cost ranging** (``kind = "cost"``, one row per cell's posts column ``x``): the
      objective coefficient of ``x[r,s,t]`` (``c_w · c[r,s]``, often 0) may move anywhere in
      ``[lower, upper]`` and the same basis stays optimal, so the posts of every cell stay
      where they are (the objective changes linearly: ``objective_at_lower`` and
      ``objective_at_upper`` are its values at the two ends). It shows how robust the
      allocation is to the cost weights: a narrow range means a small change of the cost
      of that cell's posts would change the plan.
    - **Bound ranging** (``kind = "bound"``): for every binding row of the families in
      :data:`RANGED_FAMILIES` (nonbasic in the optimal basis) and every cell held at its
      capacity or lock, the bound may move over ``[lower, upper]`` with the same basis,
      and along that range the optimum changes at the constant rate ``dual`` (the shadow
      price of :func:`explain`); ``objective_at_lower`` and ``objective_at_upper`` are the
      optimum at the two ends. Beyond them the basis changes and the shadow price with it.
      ``value`` is the current bound *as HiGHS holds it*: for a transition limit in the
      first planning year the last year's posts are the baseline, a constant, so the bound
      is the limit in posts (e.g. ``max_shrink_rate · baseline``); in later years last year's
      posts are variables on the left-hand side and the bound is only the constant part
      (the growth allowance; 0 for shrink, programme and regional net loss), so its range
      reads as "posts of extra allowance".

    Rows that are not binding have no shadow price and are left out, as are the definitional
    families (``flow``, ``target_gap``, ``worst_shortfall``).

    Parameters
    ----------
    model : a :class:`~allocator.model.backends.highs.HighsModel` whose LP has been solved to
        optimality (``model.solve()``). Integer models have no ranging.

    Returns
    -------
    DataFrame ``kind, constraint, region, specialty, year, value, dual, lower, upper,
    objective_at_lower, objective_at_upper`` (``constraint`` is ``None`` for cost rows).
    """
    import highspy

    from allocator.model.backends.highs import row_ids

    h = model.highs
    if model.integer:
        raise ValueError("ranging needs an LP: an integer model has no duals")
    if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        raise ValueError(f"ranging needs an optimal LP, the model is '{h.modelStatusToString(h.getModelStatus())}'")
    status, rg = h.getRanging()
    if status == highspy.HighsStatus.kError or not rg.valid:
        # no simplex basis (e.g. interior point without crossover): re-solve from it with simplex
        h.setOptionValue("solver", "simplex")
        h.run()
        status, rg = h.getRanging()
        if status == highspy.HighsStatus.kError or not rg.valid:
            raise RuntimeError("HiGHS could not compute ranging for this model")
    d, v = model.data, model.columns
    lp = h.getLp()
    sol = h.getSolution()
    basis = h.getBasis()
    posts = v.span("x")  # the columns of x, one per cell

    cost = np.asarray(lp.col_cost_)[posts]
    cdn, cup = rg.col_cost_dn, rg.col_cost_up
    cells = pd.DataFrame(
        {
            "kind": "cost",
            "constraint": None,
            "region": [d.regions[i] for i in v.r],
            "specialty": [d.specialties[i] for i in v.s],
            "year": [d.years[i] for i in v.t],
            "value": cost,
            "dual": np.asarray(sol.col_dual)[posts],
            "lower": np.asarray(cdn.value_)[posts],
            "upper": np.asarray(cup.value_)[posts],
            "objective_at_lower": np.asarray(cdn.objective_)[posts],
            "objective_at_upper": np.asarray(cup.objective_)[posts],
        }
    )

    basic = highspy.HighsBasisStatus.kBasic
    rows = []
    row_status = list(basis.row_status)
    lo_r, hi_r = np.asarray(lp.row_lower_), np.asarray(lp.row_upper_)
    act, rdual = np.asarray(sol.row_value), np.asarray(sol.row_dual)
    bdn, bup = rg.row_bound_dn, rg.row_bound_up
    bdn_v, bup_v = np.asarray(bdn.value_), np.asarray(bup.value_)
    bdn_o, bup_o = np.asarray(bdn.objective_), np.asarray(bup.objective_)
    for b in model.blocks:
        if b.name not in RANGED_FAMILIES:
            continue
        for i in range(b.size):
            k = b.start + i
            if row_status[k] == basic:
                continue
            value = hi_r[k] if abs(act[k] - hi_r[k]) <= abs(act[k] - lo_r[k]) else lo_r[k]
            rows.append(
                {
                    "kind": "bound",
                    "constraint": b.name,
                    **dict.fromkeys(CELL_KEYS),  # None for the keys the family is not indexed by
                    **row_ids(d, b.labels, i),
                    "value": float(value),
                    "dual": float(rdual[k]),
                    "lower": float(bdn_v[k]),
                    "upper": float(bup_v[k]),
                    "objective_at_lower": float(bdn_o[k]),
                    "objective_at_upper": float(bup_o[k]),
                }
            )
    col_status = list(basis.col_status)[posts]
    x_val = np.asarray(sol.col_value)[posts]
    clo, chi = np.asarray(lp.col_lower_)[posts], np.asarray(lp.col_upper_)[posts]
    cdual = np.asarray(sol.col_dual)[posts]
    cbdn_v, cbup_v = np.asarray(rg.col_bound_dn.value_), np.asarray(rg.col_bound_up.value_)
    cbdn_o, cbup_o = np.asarray(rg.col_bound_dn.objective_), np.asarray(rg.col_bound_up.objective_)
    locked, capped = d.locked.ravel(), d.has_capacity.ravel()
    cell_labels = v.cell_labels()
    for k in range(v.K):
        if col_status[k] == basic or not (locked[k] or capped[k]):
            continue
        value = chi[k] if abs(x_val[k] - chi[k]) <= abs(x_val[k] - clo[k]) else clo[k]
        rows.append(
            {
                "kind": "bound",
                "constraint": "lock" if locked[k] else "capacity",
                **row_ids(d, cell_labels, k),
                "value": float(value),
                "dual": float(cdual[k]),
                "lower": float(cbdn_v[k]),
                "upper": float(cbup_v[k]),
                "objective_at_lower": float(cbdn_o[k]),
                "objective_at_upper": float(cbup_o[k]),
            }
        )
    bounds = pd.DataFrame(rows, columns=RANGING_COLUMNS)
    frames = [f for f in (cells, bounds) if len(f)]
    out = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=RANGING_COLUMNS)
    return out[RANGING_COLUMNS]
