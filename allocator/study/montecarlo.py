"""Monte Carlo evaluation of a plan: the pipeline's supply under uncertain rates, no LP.

For fixed rates the docs/model.md §10 recursion is affine in the posts ``x``, and for a fixed
plan it is a short recursion in the rates, so every draw is a few array operations: the draws
are an extra leading axis ``n`` of numpy arrays, evaluated in chunks, never a loop of solves.
With ``D`` the need of docs/model.md §10, ``P[r,s,u]`` the posts in place in calendar year
``u`` (the baseline before ``y_1``, else the last planning year ``<= u``) and draw n's rates
κ, σ, j, ℓ, f (:mod:`allocator.study.ranges`)::

    W[r,s,e]    = Σ_i delay_shares[s,i] · P[r,s, e − delay_years[s,i]]       (data)
    C[n,r,s,e]  = κ[n,s] · f[n,r,s] · W[r,s,e]
    A[n,r,s,e]  = j[n,s] · ( σ[n,r,s] · C[n,r,s,e] + m[n,r,s,e] · Σ_r' (1 − σ[n,r',s]) · C[n,r',s,e] )
    S[n,r,s,e]  = (1 − ℓ[n,s]) · S[n,r,s,e−1] + A[n,r,s,e]
    S*[n,r,s,e] = share[n,r,s,e] · Σ_r' S[n,r',s,e]

from ``S0`` over every calendar year ``y_0 + 1 … H_E`` (the years before ``y_1`` hold the
baseline, as in docs/model.md §10). A population scale of draw n multiplies the population,
so ``D``, the need shares, ``m`` (mobility ``"need"``) and ``S*`` of the years it covers. With
every rate at the instance's value this is the deterministic §10 evaluation (the result's
``supply``), to rounding.

Reported per draw: each region's **supply per 100,000 need-weighted population**
``1e5 · Σ_s S / (population · need_index)`` (the population of the draw) and its stock
``Σ_s S`` (doctors); nationally the **supply gap** ``Σ_{r,s} |S − S*|`` (§10's measure) and the
total stock. Summaries are the 10th, 50th and 90th percentiles over the draws
(``numpy.percentile``, linear interpolation) beside the central value (the instance's own
rates), for every evaluation year, the assessed ones marked.
"""

from __future__ import annotations

import dataclasses
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from allocator.core.data import ProblemData, problem_data
from allocator.core.instance import Instance
from allocator.io.instance import as_instance
from allocator.solution.result import Result
from allocator.solution.workforce import supply_per_100k
from allocator.study.ranges import Range, Ranges, RangesError, load_ranges, parse_ranges

__all__ = ["PERCENTILES", "MonteCarlo", "monte_carlo"]

#: The percentiles reported over the draws.
PERCENTILES = (10, 50, 90)
#: Draws evaluated at once (memory: a few arrays of chunk × R × S floats).
CHUNK = 250
MAX_DRAWS = 10_000_000
#: At most this many values in each per-draw array (draws × regions × evaluation years: 800 MB).
MAX_VALUES = 100_000_000


@dataclass(frozen=True)
class _Rates:
    """Draw-by-draw rates: completion, join, leave (n, S); settle, fill (n, R, S); scale (n, R, E)
    or ``None`` (no population scale)."""

    completion: np.ndarray
    settle: np.ndarray
    join: np.ndarray
    leave: np.ndarray
    fill: np.ndarray
    scale: np.ndarray | None


class _Engine:
    """The data of one instance and plan that every draw shares (module docstring)."""

    def __init__(self, d: ProblemData, inst: Instance, x: np.ndarray):
        p = d.pipeline
        if p is None:
            raise ValueError(f"the instance {d.name} has no pipeline (docs/model.md §10)")
        R, S, _ = d.shape
        self.d, self.p = d, p
        self.ri = {r: i for i, r in enumerate(d.regions)}
        self.si = {s: i for i, s in enumerate(d.specialties)}
        self.E = len(p.years)
        # the instance's own rates (with scenarios, the central member's); a region's own
        # settle rate where the data has one (the (R, S) array is ``settle_region`` in the
        # pipeline arrays of §10 v3's region settle rates, ``region_settle`` in a scenario
        # member's: either is read)
        settle = next(
            (v for v in (getattr(p, "settle_region", None), getattr(p, "region_settle", None)) if v is not None),
            p.settle[None, :],
        )
        self.base = _Rates(
            p.completion[None],
            np.broadcast_to(settle, (R, S))[None],
            p.join[None],
            p.leave[None],
            p.fill[None],
            None,
        )
        # W: filled-post-years completing in each evaluation year per unit of κ · f
        planning = np.asarray(d.years)
        self.made = np.zeros((R, S, self.E))
        for s, (delays, shares) in enumerate(p.delays):
            for delay, share in zip(delays, shares, strict=True):
                q = np.searchsorted(planning, np.asarray(p.years) - delay, side="right") - 1
                posts = np.where(q[None] < 0, d.baseline[:, s, None], x[:, s, np.maximum(q, 0)])
                self.made[:, s] += share * posts
        # the years y_0 + 1 … y_1 − 1 hold the baseline (as core.workforce.pipeline_data)
        base_pop = np.array([r.population for r in inst.regions], float)
        pre_need = d.need_index[:, None] * d.weight * base_pop[:, None]
        total = pre_need.sum(axis=0)
        pre_share = np.divide(pre_need, total, out=np.zeros_like(pre_need), where=total > 0)
        self.pre_movers = pre_share if p.mobility == "need" else np.zeros_like(pre_share)
        self.pre_years = max(0, d.years[0] - d.baseline_year - 1)
        if self.pre_years and getattr(inst, "need", None) is not None:
            # §3b's factors vary by year before the plan too; not drawn here (yet)
            raise ValueError(
                f"the instance {inst.name} has a need block (docs/model.md §3b) and years between the baseline "
                f"{d.baseline_year} and the first planning year {d.years[0]}: not supported by the Monte Carlo "
                "evaluation yet"
            )
        self.per_100k = supply_per_100k(d, np.ones((R, 1, self.E)))  # 1e5 / (population · need_index)

    def rates(self, ranges: Ranges, u: np.ndarray) -> _Rates:
        """Draw-by-draw rates for the uniform numbers ``u`` (n, entries): each entry's quantile
        at its column, the most specific entry last (it wins), the instance's rate elsewhere."""
        n = len(u)
        R, S, _ = self.d.shape
        b = self.base
        out = {
            "completion_rate": np.repeat(b.completion, n, axis=0),
            "settle_rate": np.repeat(b.settle, n, axis=0),
            "join_rate": np.repeat(b.join, n, axis=0),
            "leave_rate": np.repeat(b.leave, n, axis=0),
            "fill_rate": np.repeat(b.fill, n, axis=0),
        }
        for kind, arr in out.items():
            for k, e in ranges.of(kind):
                idx = self._index(e, arr.ndim == 3)
                target = arr[idx]
                arr[idx] = e.quantile(u[:, k]).reshape((n,) + (1,) * (target.ndim - 1))
        scale = None
        entries = [(k, e) for k, e in enumerate(ranges.entries) if e.kind == "population_scale"]
        if entries:
            scale = np.ones((n, R, self.E))
            years = np.asarray(self.p.years)
            for k, e in sorted(entries, key=lambda ke: (ke[1].year, ke[1].specificity)):
                rows = slice(None) if e.region is None else self.ri[e.region]
                scale[:, rows, years >= e.year] = e.quantile(u[:, k]).reshape((n,) + (1,) * (1 + (e.region is None)))
        return _Rates(
            out["completion_rate"], out["settle_rate"], out["join_rate"], out["leave_rate"], out["fill_rate"], scale
        )

    def _index(self, e: Range, by_region: bool) -> tuple:
        s = slice(None) if e.specialty is None else self.si[e.specialty]
        if not by_region:
            return (slice(None), s)
        return (slice(None), slice(None) if e.region is None else self.ri[e.region], s)

    def run(self, rates: _Rates, full: bool = False) -> dict[str, np.ndarray]:
        """The draws of ``rates``: ``stock`` (n, R, E) each region's Σ_s S, ``supply`` (n, R, E)
        per 100,000 need-weighted population, ``gap`` (n, E) Σ |S − S*|; with ``full`` also
        ``stocks`` and ``fair_stocks`` (n, R, S, E) (for a few draws: it is large)."""
        d, p = self.d, self.p
        kf = rates.completion[:, None, :] * rates.fill
        own = rates.join[:, None, :] * rates.settle * kf  # joiners who settle, per unit of W
        away = (1.0 - rates.settle) * kf  # completers who leave their region, per unit of W
        join = rates.join
        keep = (1.0 - rates.leave)[:, None, :]
        need_mobility = p.mobility == "need"
        n = len(kf)
        S = np.repeat(p.stock0[None], n, axis=0)
        if self.pre_years:
            pool = join * np.einsum("nrs,rs->ns", away, d.baseline)
            arrive = own * d.baseline + self.pre_movers[None] * pool[:, None, :]
            for _ in range(self.pre_years):
                S *= keep
                S += arrive
        stock = np.empty((n, d.shape[0], self.E))
        gap = np.empty((n, self.E))
        if full:
            stocks, fairs = np.empty((n, *d.shape[:2], self.E)), np.empty((n, *d.shape[:2], self.E))
        tmp, scaled = np.empty_like(S), np.empty_like(S)
        for e in range(self.E):
            if rates.scale is None:
                share = p.share[None, :, :, e]
            else:  # D · scale / Σ_r D · scale (0 where a specialty has no need)
                total = rates.scale[:, :, e] @ p.need[:, :, e]  # (n, S)
                inv = np.divide(1.0, total, out=np.zeros_like(total), where=total > 0)
                share = np.multiply(p.need[None, :, :, e], rates.scale[:, :, None, e], out=scaled)
                share *= inv[:, None, :]
            made = self.made[:, :, e]
            S *= keep
            S += np.multiply(own, made, out=tmp)
            if need_mobility:  # + j · m · Σ_r' (1 − σ) C
                pool = join * np.einsum("nrs,rs->ns", away, made)
                S += np.multiply(share, pool[:, None, :], out=tmp)
            stock[:, :, e] = S.sum(axis=2)
            fair = np.multiply(share, S.sum(axis=1)[:, None, :], out=tmp)
            if full:
                stocks[..., e], fairs[..., e] = S, fair
            gap[:, e] = np.abs(np.subtract(S, fair, out=tmp), out=tmp).sum(axis=(1, 2))
        scale = 1.0 if rates.scale is None else rates.scale
        out = {"stock": stock, "supply": stock * self.per_100k[None] / scale, "gap": gap}
        if full:
            out |= {"stocks": stocks, "fair_stocks": fairs}
        return out


@dataclass(frozen=True)
class MonteCarlo:
    """Draws of a plan's supply under uncertain rates (:func:`monte_carlo`).

    Attributes
    ----------
    instance : the instance's name; ``regions`` its region ids (``region_names`` their names);
        ``years`` the evaluation years ``y_1 … H_E``; ``assess_years`` the assessed ones.
    draws, seed : how many draws, from ``numpy.random.default_rng(seed)``.
    ranges : the :class:`~allocator.study.ranges.Ranges` drawn from.
    uniforms : (draws, entries) the uniform numbers behind every draw (:meth:`draw`).
    stock : (draws, R, E) each region's trained stock ``Σ_s S`` (doctors).
    supply : (draws, R, E) each region's supply per 100,000 need-weighted population.
    gap : (draws, E) the national supply gap ``Σ_{r,s} |S − S*|``.
    central : the same three arrays (leading axis 1) at the instance's own rates.
    """

    instance: str
    regions: list[str]
    years: list[int]
    assess_years: list[int]
    draws: int
    seed: int | None
    ranges: Ranges
    uniforms: np.ndarray
    stock: np.ndarray
    supply: np.ndarray
    gap: np.ndarray
    central: dict[str, np.ndarray]
    region_names: list[str] = dataclasses.field(default_factory=list)
    _engine: Any = dataclasses.field(default=None, repr=False, compare=False)
    _cache: dict = dataclasses.field(default_factory=dict, repr=False, compare=False)

    def draw(self, n: int) -> dict[str, np.ndarray]:
        """Draw ``n`` in full: its rates (``completion_rate``, ``join_rate``, ``leave_rate``
        (S,); ``settle_rate``, ``fill_rate`` (R, S); ``population_scale`` (R, E) or ``None``)
        and its ``stocks`` and ``fair_stocks`` (R, S, E), recomputed from :attr:`uniforms`."""
        rates = self._engine.rates(self.ranges, self.uniforms[n : n + 1])
        run = self._engine.run(rates, full=True)
        return {
            "completion_rate": rates.completion[0],
            "settle_rate": rates.settle[0],
            "join_rate": rates.join[0],
            "leave_rate": rates.leave[0],
            "fill_rate": rates.fill[0],
            "population_scale": None if rates.scale is None else rates.scale[0],
            "stocks": run["stocks"][0],
            "fair_stocks": run["fair_stocks"][0],
        }

    def values(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """``(draws, central)`` of ``supply``, ``stock`` (each region's, (n, R, E) and (R, E)),
        ``gap`` or ``national_stock`` ((n, E) and (E,))."""
        if name == "national_stock":
            return self.stock.sum(axis=1), self.central["stock"][0].sum(axis=0)
        return getattr(self, name), self.central[name][0]

    def percentiles(self, name: str) -> np.ndarray:
        """(3, …, E) P10, P50 and P90 over the draws of one of :meth:`values`' arrays (computed
        once)."""
        if name not in self._cache:
            self._cache[name] = np.percentile(self.values(name)[0], PERCENTILES, axis=0)
        return self._cache[name]

    def _rows(self, names: dict[str, str], keys: dict[str, list]) -> pd.DataFrame:
        frames = []
        assessed = np.isin(self.years, self.assess_years)
        for measure, name in names.items():
            q, central = self.percentiles(name), self.values(name)[1][None]
            frame = pd.MultiIndex.from_product([*keys.values(), self.years], names=[*keys, "year"]).to_frame(
                index=False
            )
            frame["assessed"] = np.broadcast_to(assessed, central[0].shape).reshape(-1)
            frame["measure"] = measure
            frame["central"] = central[0].reshape(-1)
            for k, pct in enumerate(PERCENTILES):
                frame[f"p{pct}"] = q[k].reshape(-1)
            frames.append(frame)
        return pd.concat(frames, ignore_index=True)

    def regions_table(self) -> pd.DataFrame:
        """Per region and evaluation year: ``supply_per_100k`` and ``stock``, each with its
        central value and P10, P50, P90 over the draws (columns ``region, year, assessed,
        measure, central, p10, p50, p90``)."""
        return self._rows({"supply_per_100k": "supply", "stock": "stock"}, {"region": self.regions})

    def national_table(self) -> pd.DataFrame:
        """Per evaluation year: the national ``supply_gap`` and total ``stock``, central and
        P10, P50, P90 (columns ``year, assessed, measure, central, p10, p50, p90``)."""
        return self._rows({"supply_gap": "gap", "stock": "national_stock"}, {})

    def to_dict(self) -> dict[str, Any]:
        """The summary as JSON-ready data: what was drawn and the two tables (assessed years
        and every other evaluation year alike; ``assessed`` says which)."""

        def records(frame: pd.DataFrame) -> list[dict]:
            return [
                {k: (v.item() if isinstance(v, np.generic) else v) for k, v in rec.items()}
                for rec in frame.to_dict(orient="records")
            ]

        return {
            "instance": self.instance,
            "draws": self.draws,
            "seed": self.seed,
            "ranges": {"source": self.ranges.source, "sha256": self.ranges.sha256, "entries": len(self.ranges.entries)},
            "percentiles": list(PERCENTILES),
            "supply": "supply_per_100k: 100,000 · Σ_s stock / (population · need_index) of the draw's population",
            "regions": records(self.regions_table()),
            "national": records(self.national_table()),
        }

    def to_json(self) -> str:
        """:meth:`to_dict` as indented JSON text."""
        return json.dumps(self.to_dict(), indent=2) + "\n"

    def write(self, out: str | os.PathLike) -> list[Path]:
        """Write ``montecarlo.json``, ``regions.csv``, ``national.csv`` and the fan charts
        (``fan_national`` and ``fan_regions``, PNG and SVG) into the folder ``out`` (created if
        missing), each file atomically; return the paths."""
        from allocator.io.atomic import atomic_write, csv_text
        from allocator.study.fan import fan_files

        folder = Path(out)
        folder.mkdir(parents=True, exist_ok=True)
        files: dict[str, bytes | str] = {
            "montecarlo.json": self.to_json(),
            "regions.csv": csv_text(self.regions_table(), index=False),
            "national.csv": csv_text(self.national_table(), index=False),
        }
        files |= fan_files(self)
        return atomic_write(files, folder)


def _plan(plan: Result | np.ndarray, d: ProblemData) -> np.ndarray:
    if isinstance(plan, Result):
        return plan.posts_array(d)
    x = np.asarray(plan, dtype=float)
    if x.shape != d.shape:
        raise ValueError(f"the plan has shape {x.shape}; the instance's is (regions, specialties, years) = {d.shape}")
    if not np.isfinite(x).all():
        raise ValueError("the plan has posts that are not finite numbers")
    return x


def monte_carlo(
    instance: Instance | str | os.PathLike,
    plan: Result | np.ndarray,
    ranges: Ranges | dict | str | os.PathLike,
    draws: int = 10_000,
    seed: int | None = 0,
) -> MonteCarlo:
    """Evaluate a plan's workforce supply over ``draws`` draws of the uncertain rates.

    Parameters
    ----------
    instance : an instance with a ``pipeline`` (docs/model.md §10), or its path.
    plan : a solved :class:`~allocator.Result` of that instance, or posts (R, S, Y).
    ranges : a :class:`~allocator.study.ranges.Ranges`, the mapping of a ranges file, or its
        path (format: :mod:`allocator.study.ranges`).
    draws : how many draws (≥ 1).
    seed : seed of ``numpy.random.default_rng``: the same seed gives the same numbers.

    Returns
    -------
    MonteCarlo
        The draws and their P10/P50/P90 summaries (module docstring).

    Raises
    ------
    RangesError
        The ranges cannot be used with this instance (an unknown id, a year outside the years
        after the plan).
    ValueError
        An instance without a pipeline, ``draws`` < 1, or a plan that does not fit the instance.

    Example
    -------
    >>> from allocator import load_instance, solve
    >>> inst = load_instance("england-pipeline-2025")
    >>> mc = monte_carlo(inst, solve(inst), {"settle_rate": [{"min": 0.7, "max": 0.9}]}, draws=100)
    >>> mc.national_table().query("assessed and measure == 'supply_gap'").shape[0]
    2
    """
    inst = as_instance(instance)
    if inst.pipeline is None:
        raise ValueError(
            f"the instance {inst.name} has no pipeline (docs/model.md §10): there is no supply to evaluate"
        )
    if isinstance(ranges, Ranges):
        rg = ranges
    elif isinstance(ranges, dict):
        rg = parse_ranges(ranges)
    else:
        rg = load_ranges(Path(ranges))
    rg.check(inst)
    if isinstance(draws, bool) or not isinstance(draws, int | np.integer) or not 1 <= draws <= MAX_DRAWS:
        raise ValueError(f"draws must be a whole number from 1 to {MAX_DRAWS:,} (got {draws!r})")
    if rg.of("population_scale") and getattr(inst, "need", None) is not None:
        raise RangesError(rg.source, [("population_scale", "not supported with a need block (docs/model.md §3b)")])
    d = problem_data(inst)
    E = inst.pipeline.horizon_year - d.years[0] + 1  # evaluation years y_1 … H_E
    values = int(draws) * len(d.regions) * E
    if values > MAX_VALUES:
        most = MAX_VALUES // (len(d.regions) * E)
        raise ValueError(
            f"{int(draws):,} draws × {len(d.regions)} regions × {E} evaluation years is "
            f"{values:,} values per measure, more than {MAX_VALUES:,}: ask for at most {most:,} draws"
        )
    if int(draws) * len(rg.entries) > MAX_VALUES:
        raise ValueError(
            f"{int(draws):,} draws × {len(rg.entries)} ranges is more than {MAX_VALUES:,} random numbers: ask for "
            f"at most {MAX_VALUES // len(rg.entries):,} draws"
        )
    engine = _Engine(d, inst, _plan(plan, d))
    uniforms = rg.draw(int(draws), seed)
    parts = [engine.run(engine.rates(rg, uniforms[lo : lo + CHUNK])) for lo in range(0, int(draws), CHUNK)]
    central = engine.run(engine.base)
    p = engine.p
    return MonteCarlo(
        instance=inst.name,
        regions=list(d.regions),
        years=list(p.years),
        assess_years=list(p.assess_years),
        draws=int(draws),
        seed=seed,
        ranges=rg,
        uniforms=uniforms,
        stock=np.concatenate([q["stock"] for q in parts]),
        supply=np.concatenate([q["supply"] for q in parts]),
        gap=np.concatenate([q["gap"] for q in parts]),
        central=central,
        region_names=[r.name or r.id for r in inst.regions],
        _engine=engine,
    )
