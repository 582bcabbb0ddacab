"""The checker's workforce pipeline (docs/model.md §10) and teams (§11), recomputed from the
instance and the result's allocation alone: a mixin of the checker that shares no code with
the model builders (``core.workforce`` included), so that a mistake there cannot hide itself.

Calendar years and posts
------------------------
``y_0 = baseline_year``, planning years ``y_1 < … < y_H``, evaluation years ``y_1 … H_E``
(every calendar year, ``H_E = pipeline.horizon_year``). The posts of a calendar year ``u``
are the baseline ``b`` when ``u < y_1`` (every year up to ``y_0`` included: a steady past),
else those of the last planning year ``<= u`` (a year between two planning years holds the
earlier one's posts; years after ``y_H`` hold the last plan).

Population and need weights of an evaluation year follow the rule of ``population_by_year``
(§2, §10): an entry for that year; else, in a planning year, the region's ``population``
(for weights: the general entry without ``year``, else 1.0); else (a year that is not a
planning year) the value of the calendar year before. Calendar years before ``y_1`` use the
region's ``population`` and the general weights.

The pipeline (every default of §10's table: completion 1, settle 0.8, join 1, leave 0, delay
``[programme_years]`` with share ``[1.0]``, fill 1, stock 0, ``assess_years = [H_E]``; ``σ[r,s] = σ_s``
unless a scenario member gives the region its own, ``analysis.check_scenarios``)::

    I[r,s,u]  = f[r,s] · x[r,s,u]
    C[r,s,u]  = κ_s · Σ_i delay_shares[s,i] · I[r,s,u − delay_years[s,i]]
    A[r,s,u]  = j_s · (σ[r,s] · C[r,s,u] + m[r,s,u] · Σ_r' (1 − σ[r',s]) · C[r',s,u])
    S[r,s,u]  = (1 − ℓ_s) · S[r,s,u−1] + A[r,s,u],    S[r,s,y_0] = S0[r,s]
    S*[r,s,u] = D[r,s,u] / Σ_r' D[r',s,u] · Σ_r' S[r',s,u]

for every calendar year ``u = y_0 + 1 … H_E``, ``D = population · need_index · w`` of that
year, ``m = D / Σ_r D`` (mobility ``"need"``) or 0 (``"lost"``). ``S̄*`` is the fair stock of
the same pipeline run with every planning year holding the data-only fair shares ``T̄`` (§6b).

Per assessed year: ``supply_gap = Σ_{r,s} |S − S*|``; ``supply_gini`` the §8 weighted Gini of
``p_r = 1e5 · Σ_s S / v_r``, ``v_r = population · need_index`` of that year (regions with
``v_r = 0`` left out, as in §8); ``supply_max_shortfall_pct = max over S* > 0 of
100 · max(0, S* − S) / S*`` (0 if none).

Teams (§11): ``E[r,g,t] = Σ_m e_m · x[r,m,t]`` for the planning years (``"on": "posts"``) or
``Σ_m e_m · S[r,m,t]`` for the assessed years (``"on": "stock"``); ``T_g = D_g / Σ_r' D_g ·
Σ_r' E`` with ``D_g = population · need_index · w_g[r]`` of that year (``w_g`` default 1).

Checks (violations named as in docs/model.md, with their entity): ``supply`` (every region ×
specialty × evaluation year once, each of completions, joiners, stock, fair_stock equal to its
recomputed value), ``supply_kpi`` (one ``supply_kpis`` row per assessed year, each measure
equal), ``team`` (one ``teams`` row per team × region × year of the team, capacity and target
equal), ``team_mix`` (``e_m · x[r,m,t] <= max_share_m · E[r,g,t]``, with ``e_m · S`` on stock,
for every member with a ``max_share``: a hard constraint). Values are compared with
``|reported − recomputed| <= rtol · max(1, |recomputed|)``; ``team_mix`` is violated when
``lhs − rhs > tol · max(1, |rhs|, M)`` with M the team's members.
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from allocator.analysis.check_tables import _Tables
from allocator.core.spec import ModelSpec
from allocator.io.results import (
    SUPPLY_KPI_MEASURES,
    SUPPLY_MEASURES,
    TEAM_MEASURES,
    as_year,
    close_to,
    fmt_number,
    is_number,
)


def weighted_gini(totals: np.ndarray, v: np.ndarray) -> float:
    """The §8 weighted Gini of ``p_r = 1e5 · totals_r / v_r`` with weights ``v_r``:
    ``Σ_i Σ_j v_i v_j |p_i − p_j| / (2 (Σ v)² p̄)``, ``p̄ = Σ v_i p_i / Σ v``. Regions with
    ``v_r = 0`` are left out; 0 when ``Σ v = 0`` or ``p̄ = 0``."""
    keep = v > 0
    v = v[keep]
    p = 1e5 * totals[keep] / v
    total_v = v.sum()
    if total_v <= 0:
        return 0.0
    p_bar = (v * p).sum() / total_v
    if p_bar == 0:
        return 0.0
    spread = (v[:, np.newaxis] * v[np.newaxis, :] * np.abs(p[:, np.newaxis] - p[np.newaxis, :])).sum()
    return float(spread / (2.0 * total_v**2 * p_bar))


def _shares(need: np.ndarray) -> np.ndarray:
    """``D / Σ_r D`` along the first axis (0 where the sum is 0)."""
    total = need.sum(axis=0)
    out = np.zeros_like(need, dtype=float)
    np.divide(need, total, out=out, where=total > 0)
    return out


def _follow(base: np.ndarray, entries: dict[int, dict[tuple, float]], years: list[int], planning: set[int]):
    """Values per calendar year (last axis) by the rule of ``population_by_year``: an entry of
    that year; else ``base`` in a planning year; else the value of the year before."""
    out = np.empty(base.shape + (len(years),))
    prev = base
    for e, year in enumerate(years):
        cur = (base if year in planning else prev).copy()
        for key, value in entries.get(year, {}).items():
            cur[key] = value
        out[..., e] = cur
        prev = cur
    return out


@dataclass(frozen=True)
class _Team:
    """One team: member specialty indices, e_m, max_share_m (None: no limit), its years and
    need shares ``D_g / Σ_r D_g`` (R, years)."""

    id: str
    on: str
    members: list[int]
    equivalence: np.ndarray
    max_share: list[float | None]
    years: list[int]
    share: np.ndarray


class Workforce:
    """The pipeline and teams of an instance with every default of §10 and §11 filled in."""

    def __init__(self, tb: _Tables):
        inst = tb.inst
        self.tb = tb
        nr, ns, _ = tb.shape
        p = inst.pipeline
        self.has_pipeline = p is not None
        self.horizon = p.horizon_year if p is not None else tb.years[-1]
        self.years = list(range(tb.years[0], self.horizon + 1))  # evaluation years
        self.ei = {u: e for e, u in enumerate(self.years)}
        self.assess = list(p.assess_years or [self.horizon]) if p is not None else []
        planning = set(tb.years)

        self.base_population = np.array([r.population for r in inst.regions], dtype=float)
        pop_entries: dict[int, dict[tuple, float]] = {}
        for entry in inst.population_by_year:
            pop_entries.setdefault(entry.year, {})[(tb.ri[entry.region],)] = entry.population
        self.population = _follow(self.base_population, pop_entries, self.years, planning)  # (R, E)
        w_entries: dict[int, dict[tuple, float]] = {}
        for entry in inst.need_weights:
            if entry.year is not None:
                w_entries.setdefault(entry.year, {})[(tb.ri[entry.region], tb.si[entry.specialty])] = entry.weight
        self.weight = _follow(tb.weight, w_entries, self.years, planning)  # (R, S, E)

        self.completion, self.settle = np.ones(ns), np.full(ns, 0.8)
        self.join, self.leave = np.ones(ns), np.zeros(ns)
        self.delays: list[tuple[list[int], list[float]]] = [
            ([s.programme_years], [1.0]) if s.programme_years is not None else ([], []) for s in inst.specialties
        ]
        self.fill, self.stock0 = np.ones((nr, ns)), np.zeros((nr, ns))
        self.mobility = "need"
        if p is not None:
            self.mobility = p.mobility
            for ps in p.specialties:
                j = tb.si[ps.specialty]
                self.completion[j], self.settle[j] = ps.completion_rate, ps.settle_rate
                self.join[j], self.leave[j] = ps.join_rate, ps.leave_rate
                if ps.delay_years is not None:
                    self.delays[j] = (list(ps.delay_years), list(ps.delay_shares))
            for f in p.fill_rate:
                self.fill[tb.ri[f.region], tb.si[f.specialty]] = f.rate
            for st in p.stock:
                self.stock0[tb.ri[st.region], tb.si[st.specialty]] = st.headcount
        # σ[r,s]: the specialty's settle rate unless a region has its own (a scenario member's, §12)
        self.settle_by_region = np.repeat(self.settle[np.newaxis, :], nr, axis=0)

        self.teams = []
        for team in inst.teams:
            w = np.ones(nr)
            for entry in team.need_weights:
                w[tb.ri[entry.region]] = entry.weight
            if team.on == "stock":
                years = list(self.assess)
                population = self.population[:, [self.ei[u] for u in years]]
            else:
                years = list(tb.years)
                population = tb.population
            self.teams.append(
                _Team(
                    id=team.id,
                    on=team.on,
                    members=[tb.si[m.specialty] for m in team.members],
                    equivalence=np.array([m.equivalence for m in team.members], dtype=float),
                    max_share=[m.max_share for m in team.members],
                    years=years,
                    share=_shares(population * (tb.need_index * w)[:, np.newaxis]),
                )
            )

    def posts_at(self, x: np.ndarray, u: int) -> np.ndarray:
        """(R, S) the posts in place in calendar year ``u``."""
        years = self.tb.years
        if u < years[0]:
            return self.tb.baseline
        return x[:, :, bisect.bisect_right(years, u) - 1]

    def need_of(self, u: int) -> np.ndarray:
        """(R, S) ``D = population · need_index · w`` of calendar year ``u``."""
        if u < self.tb.years[0]:
            population, weight = self.base_population, self.tb.weight
        else:
            population, weight = self.population[:, self.ei[u]], self.weight[:, :, self.ei[u]]
        return population[:, np.newaxis] * self.tb.need_index[:, np.newaxis] * weight

    def forward(self, x: np.ndarray) -> dict[str, np.ndarray]:
        """C, A, S, S* of the posts ``x`` (R, S, Y), each (R, S, E) over the evaluation years."""
        nr, ns, _ = self.tb.shape
        out = {k: np.zeros((nr, ns, len(self.years))) for k in SUPPLY_MEASURES}
        stock = self.stock0.copy()
        for u in range(self.tb.inst.baseline_year + 1, self.horizon + 1):
            done = np.zeros((nr, ns))
            for j, (delays, shares) in enumerate(self.delays):
                for delay, share in zip(delays, shares, strict=True):
                    done[:, j] += self.completion[j] * share * self.fill[:, j] * self.posts_at(x, u - delay)[:, j]
            share = _shares(self.need_of(u))
            movers = share if self.mobility == "need" else np.zeros_like(share)
            sigma = self.settle_by_region
            joiners = self.join * (sigma * done + movers * ((1.0 - sigma) * done).sum(axis=0))
            stock = (1.0 - self.leave) * stock + joiners
            if u in self.ei:
                e = self.ei[u]
                out["completions"][:, :, e] = done
                out["joiners"][:, :, e] = joiners
                out["stock"][:, :, e] = stock
                out["fair_stock"][:, :, e] = share * stock.sum(axis=0)
        return out

    def supply_measures(self, supply: dict[str, np.ndarray]) -> dict[int, dict[str, float]]:
        """The §10 measures of each assessed year."""
        out = {}
        for u in self.assess:
            e = self.ei[u]
            stock, fair = supply["stock"][:, :, e], supply["fair_stock"][:, :, e]
            positive = fair > 0
            short = np.maximum(0.0, fair - stock)
            v = self.population[:, e] * self.tb.need_index
            out[u] = {
                "supply_gap": float(np.abs(stock - fair).sum()),
                "supply_gini": weighted_gini(stock.sum(axis=1), v),
                "supply_max_shortfall_pct": float(np.max(100.0 * short[positive] / fair[positive], initial=0.0)),
            }
        return out

    def team_parts(self, team: _Team, x: np.ndarray, stock: np.ndarray | None) -> np.ndarray:
        """(R, M, years) ``e_m · x[r,m,t]`` (or ``e_m · S[r,m,t]`` on stock) of each member."""
        if team.on == "stock":
            held = stock[:, team.members][:, :, [self.ei[u] for u in team.years]]
        else:
            held = x[:, team.members, :]
        return team.equivalence[np.newaxis, :, np.newaxis] * held


class WorkforceChecks:
    """The checks of the module docstring, as methods of the checker (``self.tb``, ``self.add``,
    ``self.rtol``, ``self.tol``, ``self.notes`` come from it)."""

    wf: Workforce | None = None
    supply: dict[str, np.ndarray] | None = None
    supply_kpis: dict[int, dict[str, float]] | None = None
    team_values: tuple | list[tuple[np.ndarray, np.ndarray, np.ndarray]] = ()

    def recompute_workforce(self, x: np.ndarray) -> None:
        """Supply, its measures and team capacities and targets of a complete allocation."""
        inst = self.tb.inst
        if inst.pipeline is None and not inst.teams:
            return
        self.wf = wf = Workforce(self.tb)
        if wf.has_pipeline:
            self.supply = wf.forward(x)
            self.supply_kpis = wf.supply_measures(self.supply)
        stock = self.supply["stock"] if self.supply is not None else None
        self.team_values = []
        for team in wf.teams:
            parts = wf.team_parts(team, x, stock)
            capacity = parts.sum(axis=1)  # (R, years)
            self.team_values.append((parts, capacity, team.share * capacity.sum(axis=0)[np.newaxis, :]))

    # ----------------------------------------------------------------- team_mix (hard)

    def team_mix(self) -> None:
        """e_m · x[r,m,t] <= max_share_m · E[r,g,t] (e_m · S on stock) for each member with a max_share."""
        if self.wf is None:
            return
        tb = self.tb
        for team, (parts, capacity, _) in zip(self.wf.teams, self.team_values, strict=True):
            held = "stock" if team.on == "stock" else "posts"
            for m, share in enumerate(team.max_share):
                if share is None:
                    continue
                lhs, rhs = parts[:, m, :], share * capacity
                excess = lhs - rhs
                limit = self.tol * np.maximum(np.abs(rhs), max(1.0, len(team.members)))
                for h, i in np.argwhere((excess > limit).T):
                    spec, year = tb.specialties[team.members[m]], team.years[h]
                    self.add(
                        "team_mix",
                        excess[i, h],
                        f"team_mix: {team.id}/{spec}/{tb.regions[i]}/{year}: {spec} brings "
                        f"{fmt_number(lhs[i, h])} of the team capacity {fmt_number(capacity[i, h])} "
                        f"({held}), above max_share {fmt_number(share)} × {fmt_number(capacity[i, h])} = "
                        f"{fmt_number(rhs[i, h])} by {fmt_number(excess[i, h])}",
                        region=tb.regions[i],
                        specialty=spec,
                        year=year,
                        team=team.id,
                    )

    # ----------------------------------------------------------------- objective terms

    def workforce_objective(self, model: ModelSpec) -> tuple[float, str]:
        """supply_shortfall·Σ max(0, S* − S) + supply_surplus·Σ max(0, S − S*) + worst_supply·z_S
        + team_shortfall·Σ max(0, T_g − E) + team_surplus·Σ max(0, E − T_g), and its breakdown
        (0 and "" without a pipeline or teams)."""
        w = model.objective
        value, parts = 0.0, []
        if self.supply is not None and self.tb.inst.scenarios is not None:  # §12: the risk term instead
            risk, losses = self.scenario_risk(w)  # the mixin of analysis.check_scenarios
            value += risk
            parts.append(f"{self.tb.inst.scenarios.risk} risk {fmt_number(risk)} of supply terms {losses}")
        elif self.supply is not None:
            cols = [self.wf.ei[u] for u in self.wf.assess]
            stock, fair = self.supply["stock"][:, :, cols], self.supply["fair_stock"][:, :, cols]
            short = np.maximum(0.0, fair - stock)
            surplus = np.maximum(0.0, stock - fair)
            z = 0.0
            if w.worst_supply > 0:
                fair_bar = self.wf.forward(self.tb.target_bar)["fair_stock"][:, :, cols]
                positive = fair_bar > 0
                z = float(np.max(100.0 * short[positive] / fair_bar[positive], initial=0.0))
            value += w.supply_shortfall * short.sum() + w.supply_surplus * surplus.sum() + w.worst_supply * z
            parts.append(
                f"supply shortfall {fmt_number(short.sum())} × {fmt_number(w.supply_shortfall)} + supply "
                f"surplus {fmt_number(surplus.sum())} × {fmt_number(w.supply_surplus)} + worst supply "
                f"{fmt_number(z)}% × {fmt_number(w.worst_supply)}"
            )
        if self.team_values:
            short = sum(float(np.maximum(0.0, t - e).sum()) for _, e, t in self.team_values)
            surplus = sum(float(np.maximum(0.0, e - t).sum()) for _, e, t in self.team_values)
            value += w.team_shortfall * short + w.team_surplus * surplus
            parts.append(
                f"team shortfall {fmt_number(short)} × {fmt_number(w.team_shortfall)} + team surplus "
                f"{fmt_number(surplus)} × {fmt_number(w.team_surplus)}"
            )
        return float(value), "".join(" + " + p for p in parts)

    # ----------------------------------------------------------------- result rows

    def check_workforce_rows(self, data: dict[str, Any], solved: bool) -> None:
        """``supply``, ``supply_kpis`` and ``teams`` of the result against the recomputed values;
        with a pipeline (teams) a solved result must carry them; without, it must not."""
        inst, tb = self.tb.inst, self.tb
        tables = (
            ("supply", "supply", inst.pipeline is not None, "the workforce pipeline (§10)"),
            ("supply_kpi", "supply_kpis", inst.pipeline is not None, "the workforce pipeline (§10)"),
            ("team", "teams", bool(inst.teams), "teams (§11)"),
        )
        for family, key, expected, what in tables:
            rows = data.get(key)
            present = rows is not None and rows != []
            if not expected:
                if present:
                    self.add(family, 1, f"{family}: the result has {key} rows but the instance has no {what}")
                continue
            if not present:
                if solved:
                    self.add(family, 1, f"{family}: the instance has {what} but the result has no {key} rows")
                continue
            if self.wf is None:  # incomplete allocation: nothing recomputed
                self.notes.append(f"{key} not compared: cells of the allocation are missing")
                continue
            if family == "supply":
                wanted = {
                    (tb.regions[i], tb.specialties[j], u): {k: float(self.supply[k][i, j, e]) for k in SUPPLY_MEASURES}
                    for i in range(tb.shape[0])
                    for j in range(tb.shape[1])
                    for u, e in self.wf.ei.items()
                }
                self._compare_rows(family, key, rows, wanted, SUPPLY_MEASURES, ("region", "specialty", "year"))
            elif family == "supply_kpi":
                wanted = {(u,): m for u, m in self.supply_kpis.items()}
                self._compare_rows(family, key, rows, wanted, SUPPLY_KPI_MEASURES, ("year",))
            else:
                wanted = {
                    (team.id, tb.regions[i], u): {"capacity": float(cap[i, h]), "target": float(target[i, h])}
                    for team, (_, cap, target) in zip(self.wf.teams, self.team_values, strict=True)
                    for i in range(tb.shape[0])
                    for h, u in enumerate(team.years)
                }
                self._compare_rows(family, key, rows, wanted, TEAM_MEASURES, ("team", "region", "year"))

    def _compare_rows(
        self,
        family: str,
        key: str,
        rows: Any,
        wanted: dict[tuple, dict[str, float]],
        measures: tuple[str, ...],
        fields: tuple[str, ...],
    ) -> None:
        """Each entity of ``wanted`` appears once in ``rows`` (keyed by ``fields``), with every
        measure equal to its recomputed value; no row names an entity outside ``wanted``."""
        if not isinstance(rows, list):
            self.add(family, 1, f"{family}: {key} must be a list of rows, got {type(rows).__name__}")
            return
        seen: set[tuple] = set()
        for n, row in enumerate(rows):
            ident = None
            if isinstance(row, dict):
                ident = tuple(as_year(row.get(f)) if f == "year" else row.get(f) for f in fields)
                if not all(isinstance(v, str | int) and not isinstance(v, bool) for v in ident):
                    ident = None
            if ident is None or ident not in wanted:
                shown = "/".join(str(row.get(f)) for f in fields) if isinstance(row, dict) else repr(row)
                self.add(
                    family,
                    1,
                    f"{family}: {key}[{n}]: {shown} is not a {' × '.join(fields)} of the instance's "
                    f"{'evaluation' if family == 'supply' else 'assessed' if family == 'supply_kpi' else 'team'} "
                    "years and ids",
                )
                continue
            ent = self._entity(fields, ident)
            name = "/".join(str(v) for v in ident)
            if ident in seen:
                self.add(family, 1, f"{family}: {name}: appears more than once in {key} ({key}[{n}] repeats it)", **ent)
                continue
            seen.add(ident)
            for measure in measures:
                expected, given = wanted[ident][measure], row.get(measure)
                if not is_number(given) or not math.isfinite(given):
                    self.add(
                        family,
                        max(1.0, abs(expected)),
                        f"{family}: {name}: {measure} is {given!r}, expected {fmt_number(expected)}",
                        **ent,
                    )
                elif not close_to(given, expected, self.rtol):
                    self.add(
                        family,
                        abs(given - expected),
                        f"{family}: {name}: {measure} reported {fmt_number(given)}, recomputed "
                        f"{fmt_number(expected)} (off by {fmt_number(abs(given - expected))})",
                        **ent,
                    )
        for ident in wanted:
            if ident not in seen:
                name = "/".join(str(v) for v in ident)
                self.add(
                    family,
                    1,
                    f"{family}: {name}: missing from {key} (every {' × '.join(fields)} must appear once)",
                    **self._entity(fields, ident),
                )

    @staticmethod
    def _entity(fields: tuple[str, ...], ident: tuple) -> dict[str, Any]:
        return dict(zip(fields, ident, strict=True))
