"""The steps of the solve pipeline, one public function each: pre-solve → build → solve → assemble.

:func:`allocator.pipeline.solve.run` chains them for one model; everything that solves calls
these steps rather than the backends' ``build_model`` and ``solve_model`` directly: a warm-started
sweep (:func:`allocator.study.warm.solve_weightings`) builds once and re-solves the same
:class:`Built` under new weights (:meth:`Built.reweight`), a Pareto frontier
(:func:`allocator.study.pareto.frontier`) builds once and adds its own rows, and both assemble
their answers here (:meth:`Built.assemble`)::

    blocked = presolve(d, spec)                  # an infeasible Result, or None
    built = build_data(d, spec, "highs")         # the backend's model, not yet solved
    res = built.solve(SolveOptions())            # solve_raw + assemble

Results without a solve are made here too: :func:`infeasible_result` (proved infeasible, with a
diagnosis) and :func:`error_result` (a run that raised).
"""

from __future__ import annotations

import ctypes
import importlib
import sys
import time
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np

from allocator.core.data import ProblemData
from allocator.core.instance import Instance
from allocator.core.provenance import inputs
from allocator.core.spec import ModelSpec
from allocator.model.backends import BACKENDS
from allocator.model.backends.base import RawSolution, SolveOptions
from allocator.model.highs_env import quiet_banner
from allocator.model.presolve import presolve_findings

if TYPE_CHECKING:
    import pandas as pd

    from allocator.solution.result import Result

# pandas (with pyarrow) and the modules of allocator.solution load when a Result is made, not with
# this module: a solve's peak memory is HiGHS's and the tie-break's, and what is loaded before
# them lies beneath it (issue 24)

__all__ = [
    "Built",
    "allocation_frame",
    "assemble",
    "backend_module",
    "build_data",
    "error_result",
    "error_text",
    "give_back_memory",
    "infeasible_result",
    "inputs_of",
    "presolve",
]


def backend_module(name: str):
    """The module of a backend (``highs``, ``pyomo`` or ``pulp``): ``build_model``, ``solve_model``."""
    if name not in BACKENDS:
        raise ValueError(f"unknown backend '{name}' (choose one of: {', '.join(BACKENDS)})")
    return importlib.import_module(f"allocator.model.backends.{name}")


def inputs_of(d: ProblemData, spec: ModelSpec) -> dict:
    """The §9 v3 ``inputs`` of a result of ``d`` under ``spec`` (:mod:`allocator.core.provenance`)."""
    return inputs(d.instance_sha256, d.schema_version, spec)


# ------------------------------------------------------------------------------ pre-solve


def infeasible_result(d: ProblemData, spec: ModelSpec, backend: str, diagnosis: dict | None, message: str) -> Result:
    """The Result of a run proved infeasible without solving it: status, diagnosis, message."""
    from allocator.solution.result import Result

    return Result(
        status="infeasible",
        instance=d.name,
        model=spec.name,
        backend=backend,
        diagnosis=diagnosis,
        message=message,
        inputs=inputs_of(d, spec),
    )


def presolve(d: ProblemData, spec: ModelSpec, integer: bool = False, backend: str = "highs") -> Result | None:
    """The pre-solve checks: ``None`` when they prove nothing, else the ``infeasible`` Result
    (with its diagnosis) that a solve of ``spec`` returns without building a model."""
    t0 = time.perf_counter()
    findings = presolve_findings(d, integer)
    if not findings:
        return None
    from allocator.analysis.diagnose import diagnose

    res = infeasible_result(d, spec, backend, diagnose(d, spec, findings), "infeasible (pre-solve checks)")
    res.timings["assemble"] = time.perf_counter() - t0  # the checks and their diagnosis
    return res


# ------------------------------------------------------------------------------ errors


def error_text(err: BaseException) -> str:
    """``ExceptionType: first line of its message``: how a failed run is recorded."""
    text = str(err).strip().splitlines()
    return f"{type(err).__name__}: {text[0] if text else ''}".rstrip(": ")


def error_result(d: ProblemData, spec: ModelSpec, backend: str, err: BaseException) -> Result:
    """The Result of a run that raised: status ``error``, the exception in ``message``."""
    from allocator.solution.result import Result

    return Result(
        status="error",
        instance=d.name,
        model=spec.name,
        backend=backend,
        message=error_text(err),
        inputs=inputs_of(d, spec),
    )


# ------------------------------------------------------------------------------ build and solve


@dataclass
class Built:
    """A model built by one backend, not yet solved.

    ``model`` is the backend's native object: a ``pyomo.environ.ConcreteModel``, a
    ``pulp.LpProblem``, or a :class:`~allocator.model.backends.highs.HighsModel` (its
    ``.highs`` is the ``highspy.Highs``). Change it freely, then call :meth:`solve`.
    """

    backend: str
    model: Any
    data: ProblemData
    spec: ModelSpec
    integer: bool
    build_seconds: float
    instance: Instance | None = None

    def solve_raw(self, options: SolveOptions) -> RawSolution:
        """Solve the model as it stands with these options (no defaults filled in)."""
        return backend_module(self.backend).solve_model(self.model, options)

    def assemble(self, raw: RawSolution) -> Result:
        """A raw solution of this model → Result (:func:`assemble`)."""
        return assemble(self.data, self.spec, self.backend, raw, self.build_seconds)

    def reweight(self, spec: ModelSpec) -> Built:
        """Give the built model the objective weights of ``spec`` in place (direct HiGHS
        backend only), so the next solve can start from the last one's basis; the model was
        not built for that run, so its ``build_seconds`` become 0."""
        if self.backend != "highs":
            raise ValueError(f"only the highs backend re-weights a built model, not {self.backend}")
        self.model.set_objective(spec)
        self.spec = spec
        self.build_seconds = 0.0
        return self

    def solve(
        self, options: SolveOptions | None = None, *, round_posts: bool = False, release: bool = False, **kw
    ) -> Result:
        """Solve with HiGHS; keyword arguments are :class:`SolveOptions` fields.

        The LP answer is the §6b tie-break over the optimal face of the model as built, so rows
        or columns a researcher added count. ``round_posts``: whole posts that keep every §5
        constraint (:func:`allocator.pipeline.rounding.round_result`; constraints added to a
        Pyomo or PuLP model are not known to the repair). ``release``: drop :attr:`model` once
        solved, before the result is assembled, for a model solved only once (the solver's
        working memory, ~150 MB on a national instance, is then free for the result's).
        """
        options = options or SolveOptions(**kw)
        if options.tie_break is None:
            options = replace(options, tie_break=self.spec.solve.tie_break)
        t0 = time.perf_counter()
        raw = self.solve_raw(options)
        t_release = time.perf_counter()
        if release:
            self.model = None
            give_back_memory()
        released = time.perf_counter() - t_release
        res = self.assemble(raw)
        res.timings["assemble"] += released  # freeing the solver's memory: part of making the result
        if round_posts and res.status == "optimal" and not self.integer and res.mip_gap is None:
            from allocator.pipeline.rounding import round_result

            left = None if options.time_limit is None else max(0.0, options.time_limit - (time.perf_counter() - t0))
            res = round_result(
                self.data,
                self.spec,
                res,
                instance=self.instance,
                time_limit=left,
                mip_gap=options.mip_gap,
                threads=options.threads,
            )
        res.timings["total"] = self.build_seconds + time.perf_counter() - t0
        return res


def give_back_memory() -> None:
    """Hand the memory the process has freed back to the system (glibc's ``malloc_trim``; a
    no-op elsewhere).

    HiGHS frees its working memory (~150 MB on a national instance) when its model goes, but
    glibc keeps the freed pages in the process: the result, pandas and the printed summary
    that follow would then sit on top of them, above the solve's own peak (issue 24: the
    national solve's peak 394 MB -> that of the tie-break, ~360 MB).
    """
    if not sys.platform.startswith("linux"):
        return
    try:
        trim = ctypes.CDLL(None).malloc_trim  # the C library the interpreter runs on
    except (OSError, AttributeError):  # not glibc (musl has no malloc_trim)
        return
    trim(0)


def build_data(
    d: ProblemData,
    spec: ModelSpec,
    backend: str = "highs",
    integer: bool = False,
    *,
    instance: Instance | None = None,
    with_z: bool | None = None,
    with_workforce: bool | None = None,
) -> Built:
    """Build the model of problem data in one backend. ``with_z`` (direct HiGHS backend only):
    keep the worst-shortfall column ``z`` even when ``spec`` does not price it, so that later
    weightings can (``None``: only when priced); ``with_workforce`` likewise keeps the §10/§11
    definitions whatever their weights (``highs.workforce_rows``)."""
    quiet_banner()
    t0 = time.perf_counter()
    if with_z is None and with_workforce is None:
        native = backend_module(backend).build_model(d, spec, integer)
    elif backend == "highs":
        native = backend_module(backend).build_model(d, spec, integer, with_z=with_z, with_workforce=with_workforce)
    else:
        raise ValueError(f"with_z and with_workforce are options of the highs backend, not {backend}")
    return Built(backend, native, d, spec, integer, time.perf_counter() - t0, instance)


# ------------------------------------------------------------------------------ assemble


def assemble(d: ProblemData, spec: ModelSpec, backend: str, raw: RawSolution, build_seconds: float = 0.0) -> Result:
    """A backend's raw solution → Result, with measures and (if infeasible) a diagnosis, its
    §9 v3 ``inputs`` and the ``timings`` of build (``build_seconds``), solve, tie-break and assembly."""
    t0 = time.perf_counter()
    res = _assemble(d, spec, backend, raw, build_seconds)
    res.inputs = inputs_of(d, spec)
    stages = {"build": build_seconds} if build_seconds > 0 else {}  # 0: built for another run
    stages["solve"] = raw.solve_seconds
    if raw.tie_break == "least-squares":
        stages["tie_break"] = raw.tie_break_seconds
    res.timings = {**stages, "assemble": time.perf_counter() - t0}
    return res


def _assemble(d: ProblemData, spec: ModelSpec, backend: str, raw: RawSolution, build_seconds: float) -> Result:
    from allocator.solution import measures, waterfall, workforce
    from allocator.solution.result import Result, binding_frame

    if raw.status == "error" and raw.mip_gap is None:
        raw.status = _confirm_status(d, spec)
    res = Result(
        status=raw.status,
        instance=d.name,
        model=spec.name,
        backend=backend,
        objective=raw.objective,
        mip_gap=raw.mip_gap,
        best_bound=raw.best_bound,
        message=raw.message,
        build_seconds=build_seconds,
        solve_seconds=raw.solve_seconds + raw.tie_break_seconds,
    )
    if raw.status == "infeasible":
        from allocator.analysis.diagnose import diagnose

        res.diagnosis = diagnose(d, spec)
    if raw.x is None:
        return res
    res.tie_break = raw.tie_break
    x = np.where(np.abs(raw.x) < 1e-9, 0.0, raw.x)
    if raw.mip_gap is not None:  # a MIP's posts carry float noise (~1e-11): make them exactly whole
        x = np.where(np.abs(x - np.round(x)) < 1e-6, np.round(x), x)
        from allocator.model.wholeposts import objective_of

        # a MIP incumbent's auxiliary variables need not be at their least values: report the
        # objective of its posts (what the checker recomputes), never more than HiGHS's
        least = objective_of(d, spec, x)
        if res.objective is None or least < res.objective:
            res.objective = least
        if res.status == "time_limit":  # stopped with a plan that keeps every constraint (§9 v2)
            res.status = "feasible"
    res.allocation = allocation_frame(d, x)
    res.kpis = measures.kpis(d, x)
    res.baseline_kpis = measures.baseline_kpis(d)
    workforce.attach(res, d, x, spec.objective)
    waterfall.attach(res, d, x)  # §3b, with a need block
    res.binding = binding_frame(raw.binding)
    if len(res.binding):
        res.binding = res.binding.reindex(res.binding["dual"].abs().sort_values(ascending=False).index)
        res.binding = res.binding.reset_index(drop=True)
    return res


def _confirm_status(d: ProblemData, spec: ModelSpec) -> str:
    """HiGHS's interior point may end in "Solve error" on an infeasible LP, where dual simplex
    proves infeasibility: re-solve the same data with simplex to get a definitive status."""
    from allocator.model.backends import highs

    raw = highs.solve_model(highs.build_model(d, spec, integer=False), SolveOptions(method="simplex"))
    return raw.status if raw.status in ("infeasible", "unbounded") else "error"


def allocation_frame(d: ProblemData, x: np.ndarray) -> pd.DataFrame:
    """(R, S, Y) posts → the long allocation table of §9, in instance order."""
    import pandas as pd

    from allocator.solution.result import ALLOCATION_COLUMNS

    idx = pd.MultiIndex.from_product([d.regions, d.specialties, d.years], names=ALLOCATION_COLUMNS[:3])
    frame = idx.to_frame(index=False)
    frame["posts"] = x.reshape(-1)
    frame["target"] = d.target_of(x).reshape(-1)  # v2: a ranged total's targets follow x
    return frame
