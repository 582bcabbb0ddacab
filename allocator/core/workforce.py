"""The workforce pipeline (docs/model.md §10) and teams (§11) as dense arrays, computed once.

Every backend, the result and the report read these; the independent checker does not (it
recomputes intake, completions, joiners and stocks on its own, ``analysis.check_workforce``).

Evaluation years ``e`` are the calendar years ``y_1 … H_E``. Posts in a calendar year ``u``
are the baseline ``b`` before ``y_1`` (a steady past), else those of the last planning year
``p(u) <= u`` (the last plan stays in place after ``y_H``). So completions are affine in x::

    C[r,s,e] = C0[r,s,e] + f[r,s] · Σ_p K[s,e,p] · x[r,s,p]

with ``K[s,e,p] = κ_s · Σ_{i: p(e − d_i) = p} delay_shares[s,i]`` and ``C0`` the completions from
the baseline intake (``u = e − d_i < y_1``). Then::

    A[r,s,e] = j_s · ( σ[r,s] · C[r,s,e] + m[r,s,e] · Σ_r' (1 − σ[r',s]) · C[r',s,e] )
    S[r,s,e] = (1 − ℓ_s) · S[r,s,e−1] + A[r,s,e]
    S*[r,s,e] = share[r,s,e] · Σ_r' S[r',s,e]

with ``m = share`` (mobility ``"need"``) or 0 (``"lost"``), ``σ[r,s]`` the region's own settle
rate (v3 ``settle_rate[]``) else ``σ_s``, and ``S`` before ``y_1`` run from ``S0`` over the
calendar years ``y_0 + 1 … y_1 − 1`` on the baseline (need shares there from ``population`` and
the general need weights: no entry may name those years; need factors, §3b, by their year).

The models write the joiners as ``A = own · C + pooled · P`` with ``P[s,e] = Σ_r u[r,s] ·
C[r,s,e]`` (:meth:`PipelineData.joiner_coefficients`, :attr:`PipelineData.pool_weight`): for a
specialty whose settle rate is one number over regions, ``u = 1``, ``own = j σ``, ``pooled = j (1 −
σ) m`` (version 2's rows exactly); otherwise ``u = 1 − σ[r,s]``, ``own = j σ[r,s]``, ``pooled = j m``.
With a ``need`` block (§3b), ``D`` of every year is that of the need factors
(:mod:`allocator.core.need`), and so is the need-weighted population of ``supply_gini``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from allocator.core.instance import Instance
from allocator.core.need import need_arrays


def by_year(base: np.ndarray, entries: dict[tuple, dict[int, float]], years: list[int], planning: set[int]):
    """Values per year by the rule of ``population_by_year`` (§2, §10): an entry's own year; a
    planning year without one takes ``base``; any other year the value of the year before it.

    ``base`` has shape ``(*key,)``; ``entries`` maps a key tuple to ``{year: value}``; the result
    has shape ``(*base.shape, len(years))`` (``years`` consecutive calendar years, or the
    planning years alone)."""
    out = np.repeat(base[..., None], len(years), axis=-1).astype(float)
    for key, per_year in entries.items():
        prev = base[key]
        for e, year in enumerate(years):
            if year in per_year:
                prev = per_year[year]
            elif year in planning:
                prev = base[key]
            out[(*key, e)] = prev
    return out


def shares(need: np.ndarray) -> np.ndarray:
    """``D / Σ_r D`` along the first axis (0 where the sum is 0)."""
    total = need.sum(axis=0)
    return np.divide(need, total, out=np.zeros_like(need), where=total > 0)


@dataclass(frozen=True)
class Supply:
    """The pipeline of one allocation, arrays ``(R, S, E)`` over the evaluation years."""

    completions: np.ndarray
    joiners: np.ndarray
    stock: np.ndarray
    fair_stock: np.ndarray


@dataclass(frozen=True)
class PipelineData:
    """The pipeline block as arrays (docs/model.md §10). E evaluation years ``y_1 … H_E``.

    Attributes
    ----------
    years : the evaluation years; ``assess`` : indices of the assessed years in them.
    fill : (R, S) fill rates f; ``completion``, ``settle``, ``join``, ``leave`` : (S,) κ, σ_s, j, ℓ.
    settle_region : (R, S) σ[r,s]: a region's own settle rate (v3), else σ_s.
    pool_weight : (R, S) u: the weight of a region's completions in the pool P (module docstring).
    weighted_population : (R, E) the need-weighted population of the evaluation years (§8, §3b).
    weights : (R, S, E) the need weights ``w`` of the evaluation years.
    kernel : (S, E, Y) K: completions in e per filled post of planning year p (κ · delay share).
    base_completions : (R, S, E) C0, the completions from the baseline intake.
    stock_before : (R, S) the stock at ``y_1 − 1`` (``S0`` run over any years before ``y_1``).
    population : (R, E); ``need`` and ``share`` : (R, S, E) D and D / Σ_r D in evaluation years.
    movers : (R, S, E) m: where completers who do not settle go (``share``, or 0 if ``"lost"``).
    fair_stock_bar : (R, S, E) S̄*: the fair stock when every planning year holds T̄ (§10).
    delays : per specialty, ``(delay_years, delay_shares)`` as the instance states them.
    settle_region : (R, S) σ[r,s]: a region's own settle rate (§10 v3, or a scenario member's,
        §12) where given, else the specialty's σ_s.
    pool_weight : (R, S) the weight ``u = 1 − σ[r,s]`` of a region's completions in the pool of
        movers where some specialty's settle rate differs by region, else ``None`` (then the
        pool is every completion, ``P = Σ_r C``: version 2's rows exactly); :meth:`pool_weights`
        writes it out.
    """

    years: list[int]
    assess: np.ndarray
    horizon_year: int
    mobility: str
    fill: np.ndarray
    completion: np.ndarray
    settle: np.ndarray
    join: np.ndarray
    leave: np.ndarray
    kernel: np.ndarray
    base_completions: np.ndarray
    stock0: np.ndarray
    stock_before: np.ndarray
    population: np.ndarray
    need: np.ndarray
    share: np.ndarray
    movers: np.ndarray
    fair_stock_bar: np.ndarray
    delays: tuple = ()
    settle_region: np.ndarray | None = None
    pool_weight: np.ndarray | None = None
    weighted_population: np.ndarray | None = None
    weights: np.ndarray | None = None

    @property
    def assess_years(self) -> list[int]:
        return [self.years[e] for e in self.assess]

    def joiner_coefficients(self) -> tuple[np.ndarray, np.ndarray]:
        """``(own, pooled)``, each (R, S, E): ``A = own · C + pooled · P`` with ``P = Σ_r' u · C``
        (``u`` = :attr:`pool_weight`, 1 where a specialty's settle rate is one number)."""
        if self.settle_region is None:
            uniform = np.ones(len(self.settle), bool)
        else:
            uniform = uniform_settle(self.settle_region)
        if uniform.all():
            own = np.broadcast_to((self.join * self.settle)[None, :, None], self.movers.shape)
            pooled = (self.join * (1 - self.settle))[None, :, None] * self.movers
            return np.ascontiguousarray(own), pooled
        sigma = np.where(uniform[None, :], self.settle[None, :], self.settle_region)  # (R, S)
        own = np.broadcast_to((self.join[None, :] * sigma)[:, :, None], self.movers.shape)
        leave_share = np.where(uniform, 1 - self.settle, 1.0)  # (S,)
        pooled = (self.join * leave_share)[None, :, None] * self.movers
        return np.ascontiguousarray(own), pooled

    def pool_of(self, completions: np.ndarray) -> np.ndarray:
        """(S, E) the pool ``P = Σ_r u[r,s] · C[r,s,e]`` of completions (R, S, E)."""
        if self.pool_weight is None:
            return completions.sum(axis=0)
        return (self.pool_weight[:, :, None] * completions).sum(axis=0)

    def pool_weights(self) -> np.ndarray:
        """(R, S) :attr:`pool_weight` written out: 1 where a specialty's settle rate is one number."""
        return np.ones(self.fill.shape) if self.pool_weight is None else self.pool_weight

    def forward(self, x: np.ndarray) -> Supply:
        """Completions, joiners, stocks and fair stocks of the posts ``x`` (R, S, Y)."""
        intake = self.fill[:, :, None] * x
        C = self.base_completions + np.einsum("sep,rsp->rse", self.kernel, intake)
        own, pooled = self.joiner_coefficients()
        A = own * C + pooled * self.pool_of(C)[None]
        S = np.empty_like(A)
        prev = self.stock_before
        keep = (1 - self.leave)[None, :]
        for e in range(len(self.years)):
            prev = S[:, :, e] = keep * prev + A[:, :, e]
        return Supply(C, A, S, self.share * S.sum(axis=0)[None])


@dataclass(frozen=True)
class TeamInfo:
    """One team (docs/model.md §11) as arrays. M members, R regions, Yg years of the team.

    ``members`` (M,) specialty indices, ``equivalence`` (M,) e_m, ``max_share`` (M,) (``nan``
    where none); ``on`` ``"posts"`` (years = the planning years, ``cols`` their indices) or
    ``"stock"`` (years = the assessed years, ``cols`` indices into the evaluation years);
    ``weight`` (R,) w_g; ``share`` (R, Yg) D_g / Σ_r D_g.
    """

    id: str
    name: str
    on: str
    members: np.ndarray
    equivalence: np.ndarray
    max_share: np.ndarray
    weight: np.ndarray
    years: list[int]
    cols: np.ndarray
    share: np.ndarray

    def capacity(self, x: np.ndarray, stock: np.ndarray | None = None) -> np.ndarray:
        """(R, Yg) team capacity ``E = Σ_m e_m · x[r,m,t]`` (or the stocks, ``on: stock``)."""
        X = stock if self.on == "stock" else x
        return np.einsum("m,rmt->rt", self.equivalence, X[:, self.members][:, :, self.cols])

    def target(self, capacity: np.ndarray) -> np.ndarray:
        """(R, Yg) the team fair share ``T_g = share_g · Σ_r' E``."""
        return self.share * capacity.sum(axis=0)[None]


def uniform_settle(settle_region: np.ndarray) -> np.ndarray:
    """(S,) bool: the specialty's settle rate is one number over regions (R, S)."""
    return (settle_region == settle_region[:1]).all(axis=0)


def settle_rates(inst: Instance, settle: np.ndarray) -> np.ndarray:
    """(R, S) σ[r,s]: ``pipeline.settle_rate[]`` (v3) where given, else the specialty's σ_s."""
    ri = {r: i for i, r in enumerate(inst.region_ids)}
    si = {s: j for j, s in enumerate(inst.specialty_ids)}
    out = np.repeat(settle[None, :], len(ri), axis=0)
    for e in inst.pipeline.settle_rate if inst.pipeline is not None else []:
        out[ri[e.region], si[e.specialty]] = e.rate
    return out


def pipeline_data(inst: Instance, d, region_settle=(), population_scale=None) -> PipelineData | None:
    """The pipeline block of ``inst`` as arrays, with ``d`` its :class:`~allocator.core.data.ProblemData`.

    ``region_settle``: entries with ``region``, ``specialty`` and ``rate``, each a region's own
    settle rate σ[r,s] beating the specialty's; ``population_scale``: (R, E) factors on the
    population of each evaluation year (a scenario member's, docs/model.md §12)."""
    p = inst.pipeline
    if p is None:
        return None
    R, S, Y = d.shape
    ri = {r: i for i, r in enumerate(d.regions)}
    si = {s: i for i, s in enumerate(d.specialties)}
    years = list(range(d.years[0], p.horizon_year + 1))
    E = len(years)
    assess = np.array([years.index(y) for y in (p.assess_years or [p.horizon_year])], int)

    completion, settle, join, leave = np.ones(S), np.full(S, 0.8), np.ones(S), np.zeros(S)
    delays: list[tuple[list[int], list[float]]] = [([int(py)] if py == py else [], [1.0]) for py in d.programme_years]
    for ps in p.specialties:
        s = si[ps.specialty]
        completion[s], settle[s], join[s], leave[s] = ps.completion_rate, ps.settle_rate, ps.join_rate, ps.leave_rate
        if ps.delay_years is not None:
            delays[s] = (list(ps.delay_years), list(ps.delay_shares))
    fill = np.ones((R, S))
    for f in p.fill_rate:
        fill[ri[f.region], si[f.specialty]] = f.rate
    stock0 = np.zeros((R, S))
    for st in p.stock:
        stock0[ri[st.region], si[st.specialty]] = st.headcount

    kernel = np.zeros((S, E, Y))
    base_share = np.zeros((S, E))  # completions per baseline filled post
    e_idx = np.arange(E)[:, None]
    for s, (dy, sh) in enumerate(delays):
        # the planning year in place when the intake of year e − delay entered: the last
        # y_p <= e − delay, or -1 (the baseline, a steady past)
        q = np.searchsorted(np.asarray(d.years), np.asarray(years)[:, None] - np.asarray(dy, int)[None, :], "right") - 1
        weight = np.broadcast_to(completion[s] * np.asarray(sh, float)[None, :], q.shape)
        e = np.broadcast_to(e_idx, q.shape)
        past = q < 0
        np.add.at(base_share[s], e[past], weight[past])
        np.add.at(kernel[s], (e[~past], q[~past]), weight[~past])
    base_intake = fill * d.baseline
    base_completions = base_intake[:, :, None] * base_share[None]

    planning = set(d.years)
    pop_entries = {}
    for e in inst.population_by_year:
        pop_entries.setdefault((ri[e.region],), {})[e.year] = e.population
    base_pop = np.array([r.population for r in inst.regions], float)
    population = by_year(base_pop, pop_entries, years, planning)
    if population_scale is not None:
        population = population * population_scale
    w_entries = {}
    for w in inst.need_weights:
        if w.year is not None:
            w_entries.setdefault((ri[w.region], si[w.specialty]), {})[w.year] = w.weight
    weights = by_year(d.weight, w_entries, years, planning)
    if inst.need is None:
        need = population[:, None, :] * d.need_index[:, None, None] * weights
        weighted = population * d.need_index[:, None]
    else:  # §3b: the need factors of each evaluation year
        arrays = need_arrays(inst, years, population, weights, d.need_index)
        need, weighted = arrays.need, arrays.weighted_population
    share = shares(need)
    movers = share if p.mobility == "need" else np.zeros_like(share)

    settle_region = settle_rates(inst, settle)
    for e in region_settle:  # a scenario member's (and the base's) region entries (§12)
        settle_region[ri[e.region], si[e.specialty]] = e.rate
    uniform = uniform_settle(settle_region)
    settle = np.where(uniform, settle_region[0], settle)  # one rate over regions: the specialty's σ_s
    pool_weight = None if uniform.all() else np.where(uniform[None, :], 1.0, 1.0 - settle_region)

    # years y_0 + 1 … y_1 − 1 hold the baseline: a constant run from S0 (need factors by year)
    pre_years = list(range(d.baseline_year + 1, d.years[0]))
    pre_C = base_intake * completion[None, :]
    if pool_weight is None:  # version 2's rows exactly
        own, pre_rate, pre_pool = (join * settle)[None, :], (join * (1 - settle))[None, :], pre_C.sum(0)
    else:
        pre_rate = (join * np.where(uniform, 1 - settle, 1.0))[None, :]
        own, pre_pool = join[None, :] * settle_region, (pool_weight * pre_C).sum(0)
    stock_before = stock0.copy()
    if inst.need is None:
        pre_need = np.repeat((d.need_index[:, None] * d.weight * base_pop[:, None])[:, :, None], len(pre_years), 2)
    else:
        flat = np.repeat(base_pop[:, None], len(pre_years), 1)
        pre_weights = np.repeat(d.weight[:, :, None], len(pre_years), 2)
        pre_need = need_arrays(inst, pre_years, flat, pre_weights, d.need_index).need
    for u in range(len(pre_years)):
        pre_m = shares(pre_need[:, :, u]) if p.mobility == "need" else np.zeros_like(pre_C)
        pre_A = own * pre_C + pre_rate * pre_m * pre_pool
        stock_before = (1 - leave)[None, :] * stock_before + pre_A

    partial = PipelineData(
        years=years,
        assess=assess,
        horizon_year=p.horizon_year,
        mobility=p.mobility,
        fill=fill,
        completion=completion,
        settle=settle,
        join=join,
        leave=leave,
        kernel=kernel,
        base_completions=base_completions,
        stock0=stock0,
        stock_before=stock_before,
        population=population,
        need=need,
        share=share,
        movers=movers,
        fair_stock_bar=np.zeros((R, S, E)),
        delays=tuple((tuple(dy), tuple(sh)) for dy, sh in delays),
        settle_region=settle_region,
        pool_weight=pool_weight,
        weighted_population=weighted,
        weights=weights,
    )
    return dataclasses.replace(partial, fair_stock_bar=partial.forward(d.target_bar).fair_stock)


def team_data(inst: Instance, d, pipe: PipelineData | None) -> tuple[TeamInfo, ...]:
    """Every team of ``inst`` as a :class:`TeamInfo`."""
    ri = {r: i for i, r in enumerate(d.regions)}
    si = {s: i for i, s in enumerate(d.specialties)}
    out = []
    for team in inst.teams:
        weight = np.ones(len(d.regions))
        for w in team.need_weights:
            weight[ri[w.region]] = w.weight
        if team.on == "stock":
            cols = pipe.assess
            years = [pipe.years[e] for e in cols]
            population = pipe.population[:, cols]
            weighted = pipe.weighted_population[:, cols]
        else:
            cols = np.arange(len(d.years))
            years = list(d.years)
            population = d.population
            weighted = d.weighted_population
        if inst.need is None:  # version 2: D_g = population · need_index · w_g
            need = population * (d.need_index * weight)[:, None]
        else:  # §3b: the need-weighted population · w_g
            need = weighted * weight[:, None]
        out.append(
            TeamInfo(
                id=team.id,
                name=team.name or team.id,
                on=team.on,
                members=np.array([si[m.specialty] for m in team.members], int),
                equivalence=np.array([m.equivalence for m in team.members], float),
                max_share=np.array([np.nan if m.max_share is None else m.max_share for m in team.members]),
                weight=weight,
                years=years,
                cols=np.asarray(cols, int),
                share=shares(need),
            )
        )
    return tuple(out)
