"""Scenario members (docs/model.md §12) in the direct HiGHS backend.

Each member ω has its own copy of the §10 columns (``stock``, ``pool``, ``stock_total``,
``supply_short``, ``supply_surplus``, ``z_supply``): the first member's keep their names, member
ω ≥ 1's are named ``stock#ω`` and so on (:data:`MEMBER_VARIABLES`). Only the §10 rows multiply:
:func:`per_member` writes a family's rows once per member by calling its one vectorised
builder with the member's pipeline arrays and columns, and stacks the blocks (labelled
``scenario``). The risk term adds ``risk_u`` (``worst``) or ``risk_eta`` and ``risk_v[ω]``
(``cvar``) and the family ``scenario_risk``.
"""

from __future__ import annotations

import copy
import dataclasses
import functools

import numpy as np

from allocator.model.backends.blocks import Block

INF = float("inf")
#: The §10 variables each member has its own copy of, in column order.
MEMBER_VARIABLES = ("stock", "pool", "stock_total", "supply_short", "supply_surplus", "z_supply")


def member_name(name: str, w: int) -> str:
    """The column block of variable ``name`` for member ``w`` (the first keeps the plain name)."""
    return name if w == 0 else f"{name}#{w}"


def base_name(name: str) -> str:
    """``stock#2`` -> ``stock``."""
    return name.split("#", 1)[0]


def completion_owners(d) -> list[int]:
    """For each member, the first member with the same completions of x (fill and completion
    rates, so the same ``C = C0 + f·K·x``): its ``completions`` columns are shared."""
    members = [m.pipeline for m in d.scenarios.members]
    owners = []
    for w, p in enumerate(members):
        owners.append(
            next(
                o
                for o in range(w + 1)
                if np.array_equal(members[o].fill, p.fill)
                and np.array_equal(members[o].kernel, p.kernel)
                and np.array_equal(members[o].base_completions, p.base_completions)
            )
        )
    return owners


def member_sizes(d, with_z_supply: bool) -> list[tuple[str, tuple[int, ...]]]:
    """The extra columns of the members after the first, and of the risk term (``Columns``)."""
    sc, p = d.scenarios, d.pipeline
    if sc is None:
        return []
    R, S, _ = d.shape
    E, A = len(p.years), len(p.assess)
    shapes = {
        "stock": (R, S, E),
        "pool": (S, E),
        "stock_total": (S, A),
        "supply_short": (R, S, A),
        "supply_surplus": (R, S, A),
        "z_supply": (1,),
    }
    out = [(member_name("completions", w), (R, S, E)) for w in sorted(set(completion_owners(d)))]
    for w in range(1, len(sc.members)):
        out += [(member_name(n, w), shapes[n]) for n in MEMBER_VARIABLES if n != "z_supply" or with_z_supply]
    if sc.risk == "worst":
        out.append(("risk_u", (1,)))
    elif sc.risk == "cvar":
        out += [("risk_eta", (1,)), ("risk_v", (len(sc.members),))]
    return out


def member_views(d, v):
    """``(d_ω, v_ω)`` for each member: the data with the member's pipeline, and the columns with
    the member's §10 variables under their plain names."""
    owners = completion_owners(d)
    for w, m in enumerate(d.scenarios.members):
        dw = dataclasses.replace(d, pipeline=m.pipeline)
        vw = copy.copy(v)
        vw.completions = v.extra[member_name("completions", owners[w])][0]
        for name in MEMBER_VARIABLES:
            key = member_name(name, w)
            setattr(vw, name, v.extra[key][0] if key in v.extra else None)
        yield dw, vw


def stack(name: str, blocks: list[Block]) -> Block | None:
    """One block of the rows of several (their row numbers offset, labels joined)."""
    blocks = [b for b in blocks if b is not None]
    if not blocks:
        return None
    offsets = np.cumsum([0] + [b.size for b in blocks[:-1]])
    labels = {k: np.concatenate([b.labels[k] for b in blocks]) for k in blocks[0].labels}
    return Block(
        name,
        np.concatenate([b.rows + o for b, o in zip(blocks, offsets, strict=True)]),
        np.concatenate([b.cols for b in blocks]),
        np.concatenate([b.vals for b in blocks]),
        np.concatenate([b.lower for b in blocks]),
        np.concatenate([b.upper for b in blocks]),
        labels,
    )


def per_member(builder=None, *, definitions=None):
    """A §10 family's builder, written once per scenario member when there are scenarios;
    ``definitions(d, v)`` adds rows once per member that owns ``completions`` columns."""
    if builder is None:
        return functools.partial(per_member, definitions=definitions)

    @functools.wraps(builder)
    def build(d, v):
        if d.scenarios is None or v.stock is None:
            return builder(d, v)
        blocks = []
        owners = completion_owners(d) if definitions is not None else []
        for w, (dw, vw) in enumerate(member_views(d, v)):
            for b in (builder(dw, vw), definitions(dw, vw) if w in owners[w : w + 1] else None):
                if b is not None:
                    b.labels["scenario"] = np.full(b.size, w)
                    blocks.append(b)
        return stack(builder.__name__, blocks)

    return build


def loss_terms(d, v, spec, w: int) -> tuple[np.ndarray, np.ndarray]:
    """``(cols, coefficients)`` of member ``w``'s supply term ``L_ω`` (§12); ``spec.weights``
    or ``spec.objective`` holds the weights."""
    o = getattr(spec, "weights", None) or spec.objective
    cols, vals = [], []
    for name, weight in (
        ("supply_short", o.supply_shortfall),
        ("supply_surplus", o.supply_surplus),
        ("z_supply", o.worst_supply),
    ):
        key = member_name(name, w)
        if weight > 0 and key in v.extra:
            start, size, _ = v.extra[key]
            cols.append(np.arange(start, start + size))
            vals.append(np.full(size, weight))
    if not cols:
        return np.zeros(0, int), np.zeros(0)
    return np.concatenate(cols), np.concatenate(vals)


def scenario_risk(d, v):
    """``worst``: ``u − L_ω >= 0``; ``cvar``: ``η + v_ω − L_ω >= 0`` for each member ω (the
    supply weights of ``L_ω`` are ``v.weights``, the model's ``[objective]``)."""
    sc = d.scenarios
    if sc is None or v.stock is None or sc.risk == "expected":
        return None
    spec = v
    rows, cols, vals = [], [], []
    for w in range(len(sc.members)):
        c, k = loss_terms(d, v, spec, w)
        rows.append(np.full(len(c), w)), cols.append(c), vals.append(-k)
        if sc.risk == "worst":
            rows.append(np.array([w])), cols.append(np.array([v.extra["risk_u"][0]])), vals.append(np.ones(1))
        else:
            rows.append(np.array([w, w]))
            cols.append(np.array([v.extra["risk_eta"][0], v.extra["risk_v"][0] + w]))
            vals.append(np.ones(2))
    M = len(sc.members)
    return Block(
        "scenario_risk",
        np.concatenate(rows),
        np.concatenate(cols),
        np.concatenate(vals),
        np.zeros(M),
        np.full(M, INF),
        {"scenario": np.arange(M)},
    )


def objective_costs(d, v, spec, cost: np.ndarray) -> None:
    """Set the costs of the members' supply columns and of the risk columns (§12): ``expected``
    weighs member ω's terms by ``p_ω``; ``worst`` and ``cvar`` weigh ``u``, or ``η`` and
    ``v_ω / (1 − α)`` by ``p_ω``, and leave the supply columns at 0 (they enter by the rows)."""
    sc = d.scenarios
    if sc is None or v.stock is None:
        return
    o = spec.objective
    for name in v.extra:  # the members' copies and the risk columns: 0 unless weighed below
        if "#" in name or name == "completions" or name.startswith("risk_"):
            cost[v.span(name)] = 0.0
    for w, m in enumerate(sc.members):
        scale = m.probability if sc.risk == "expected" else 0.0
        for name, weight in (
            ("supply_short", o.supply_shortfall),
            ("supply_surplus", o.supply_surplus),
            ("z_supply", o.worst_supply),
        ):
            key = member_name(name, w)
            if key in v.extra:
                start, size, _ = v.extra[key]
                cost[start : start + size] = scale * weight
        for name in ("stock", "pool", "stock_total"):
            key = member_name(name, w)
            start, size, _ = v.extra[key]
            cost[start : start + size] = 0.0
    if sc.risk == "worst":
        cost[v.extra["risk_u"][0]] = 1.0
    elif sc.risk == "cvar":
        cost[v.extra["risk_eta"][0]] = 1.0
        start, size, _ = v.extra["risk_v"]
        cost[start : start + size] = sc.probabilities / (1 - sc.alpha)


def retarget_risk_rows(m, spec) -> None:
    """The ``scenario_risk`` rows (§12) carry the supply weights: give them ``spec``'s."""
    block = next((b for b in m.blocks if b.name == "scenario_risk"), None)
    if block is None:
        return
    v = copy.copy(m.columns)
    v.weights = spec.objective
    new = scenario_risk(m.data, v)
    for old_cols in np.unique(block.cols):  # clear the old loss terms, then write the new
        for r in block.rows[block.cols == old_cols]:
            m.highs.changeCoeff(int(block.start + r), int(old_cols), 0.0)
    for r, c, val in zip(new.rows, new.cols, new.vals, strict=True):
        m.highs.changeCoeff(int(block.start + r), int(c), float(val))
    block.rows, block.cols, block.vals = new.rows, new.cols, new.vals
    m.columns.weights = spec.objective
