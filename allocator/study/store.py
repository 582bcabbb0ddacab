"""The results store of a sweep: three Parquet datasets in one folder, and what to do with them.

A sweep with ``out=DIR`` writes::

    DIR/runs.parquet/         one row per run: hash, run_id, scenario, model, backend, integer,
                              w_shortfall … w_worst_shortfall (the weights), status, objective,
                              gap_posts, gap_closed_pct, gini (final planning year),
                              max_shortfall_pct (worst over the years), posts_moved, cost
                              (summed over the years), warm_start, tie_break_reused
                              (the §6b answer of an earlier run with the same optimal
                              face; None in stores written before it), solve_seconds, message,
                              error, instance, finished_at, instance_sha256 and the
                              seconds of each stage, time_load … time_total (docs/model.md
                              §9 v3 ``inputs`` and ``timings``: stores written before
                              them read back None and NaN; a stage that did not run, NaN)
    DIR/measures.parquet/     one row per run × planning year: the six §8 measures
    DIR/allocations.parquet/  one row per run × region × specialty × year: posts, target,
                              baseline (the cell's baseline-year posts)

Each is a Parquet *dataset* (a folder of part files, read as one table by
``pandas.read_parquet(DIR / "runs.parquet")``). Parts are written as tasks finish, each
under a temporary name then renamed, allocations and measures before runs: a run counts as
done once its row is in ``runs``, so an interrupted sweep leaves no half-recorded run. At the
end of a sweep the parts are compacted into one file per dataset. :func:`load_sweep` reads
the three tables back, keeping the latest row of each run hash (a resumed sweep may have
retried a run that had failed).

A damaged store (a truncated or garbled part file, a part removed by hand, so that a solved
run has no measures or allocation) raises :class:`StoreError`: one line naming the file and
the fix (delete the damaged part, and the runs part of the same name, then run the sweep
again to redo those runs; or delete the folder to start over), never a traceback.

Analysis: :func:`comparison_table` (measures against a weight, by scenario),
:func:`plot_measure_vs_weight`, :func:`region_gains` and :func:`plot_region_gains` (how often
each region gains across runs and scenarios); the frontier plot is
:func:`allocator.study.pareto.frontier_plot`.
"""

from __future__ import annotations

import re
import shutil
import uuid
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from allocator.core.spec import Objective
from allocator.solution import vocabulary as V
from allocator.solution.result import KPI_COLUMNS, TIMING_STAGES

__all__ = [
    "SCHEMAS",
    "Store",
    "StoreError",
    "comparison_table",
    "conform",
    "empty",
    "load_sweep",
    "plot_measure_vs_weight",
    "plot_region_gains",
    "region_gains",
]

WEIGHT_COLUMNS = tuple(f"w_{k}" for k in Objective.model_fields)  # w_shortfall … w_worst_shortfall
MEASURES = tuple(KPI_COLUMNS[1:])  # gap_posts … cost: the measures of allocator.solution.measures.kpis
#: With a pipeline (docs/model.md §10): the supply gap and Gini of the last assessed year (NaN without
#: one; stores written before them read them back as NaN).
SUPPLY_MEASURES = ("supply_gap", "supply_gini")
#: Seconds of each stage of a run (§9 v3 ``timings``): time_load … time_total.
TIMING_COLUMNS = tuple(f"time_{stage}" for stage in TIMING_STAGES)
_KEYS = [("run_id", pa.string()), ("hash", pa.string()), ("scenario", pa.string()), ("model", pa.string())]

SCHEMAS: dict[str, pa.Schema] = {
    "runs": pa.schema(
        [
            ("hash", pa.string()),
            ("run_id", pa.string()),
            ("scenario", pa.string()),
            ("model", pa.string()),
            ("backend", pa.string()),
            ("integer", pa.bool_()),
            *[(w, pa.float64()) for w in WEIGHT_COLUMNS],
            ("status", pa.string()),
            ("objective", pa.float64()),
            *[(m, pa.float64()) for m in MEASURES],
            *[(m, pa.float64()) for m in SUPPLY_MEASURES],
            ("warm_start", pa.bool_()),
            ("tie_break_reused", pa.bool_()),
            ("solve_seconds", pa.float64()),
            ("message", pa.string()),
            ("error", pa.string()),
            ("instance", pa.string()),
            ("finished_at", pa.timestamp("us", tz="UTC")),
            ("instance_sha256", pa.string()),
            *[(t, pa.float64()) for t in TIMING_COLUMNS],
        ]
    ),
    "measures": pa.schema([*_KEYS, ("year", pa.int64()), *[(m, pa.float64()) for m in MEASURES]]),
    "allocations": pa.schema(
        [
            *_KEYS,
            ("region", pa.string()),
            ("specialty", pa.string()),
            ("year", pa.int64()),
            ("posts", pa.float64()),
            ("target", pa.float64()),
            ("baseline", pa.float64()),
        ]
    ),
}
TABLES = tuple(SCHEMAS)
#: Columns every part of a table has had since the first store (later ones read back as NaN).
REQUIRED = {
    "runs": ("hash", "run_id", "status", "finished_at"),
    "measures": ("run_id", "year"),
    "allocations": ("run_id", "region", "specialty", "year", "posts"),
}


class StoreError(ValueError):
    """A sweep store that cannot be read as written: the message names the file and the fix."""


def empty(table: str) -> pd.DataFrame:
    """An empty frame with the columns (and dtypes) of one of the store's tables."""
    return SCHEMAS[table].empty_table().to_pandas()


def _to_table(df: pd.DataFrame, table: str) -> pa.Table:
    schema = SCHEMAS[table]
    df = df.reindex(columns=schema.names)
    if table == "runs":
        df = df.astype({"objective": float, **dict.fromkeys(MEASURES + SUPPLY_MEASURES + TIMING_COLUMNS, float)})
        df["error"] = df["error"].astype(object).where(df["error"].notna(), None)
    return pa.Table.from_pandas(df, schema=schema, preserve_index=False)


def conform(df: pd.DataFrame, table: str) -> pd.DataFrame:
    """``df`` with exactly the columns and dtypes the store gives ``table`` when read back."""
    return _to_table(df, table).to_pandas()


def _fix(out: Path, part: Path) -> str:
    """How to mend a store whose part file ``part`` is damaged or missing."""
    runs = out / "runs.parquet" / part.name
    pair = f" and {runs}" if part.parent.name != "runs.parquet" and runs.exists() else ""
    return f"delete {part}{pair} and run the sweep again to redo its runs (or delete {out} to start the sweep over)"


def _read(path: Path, table: str, columns: list[str] | None = None) -> pd.DataFrame:
    """A dataset of the store, part by part, so that a damaged part is named (:class:`StoreError`)."""
    if path.exists() and not path.is_dir():
        raise StoreError(
            f"{path}: damaged sweep store: a file where a folder of Parquet parts belongs; {_fix(path.parent, path)}"
        )
    files = sorted(path.glob("*.parquet")) if path.is_dir() else []
    if not files:
        frame = empty(table)
        return frame if columns is None else frame[columns]
    tables = []
    for f in files:
        try:
            missing = [c for c in REQUIRED[table] if c not in pq.read_schema(str(f)).names]
            if missing:
                raise StoreError(
                    f"{f}: damaged sweep store: not a {table} part (no column {', '.join(missing)}); "
                    f"{_fix(path.parent, f)}"
                )
            tables.append(pq.read_table(str(f), schema=SCHEMAS[table], columns=columns))
        except (pa.ArrowException, OSError) as err:
            reason = str(err).splitlines()[0] if str(err) else type(err).__name__
            reason = re.sub(r"^Could not open Parquet input source '[^']*':\s*", "", reason).split(". ")[0]
            raise StoreError(
                f"{f}: damaged sweep store: not a readable {table} part ({reason}); {_fix(path.parent, f)}"
            ) from None
    return pa.concat_tables(tables).to_pandas()


class Store:
    """The Parquet store of one sweep in folder ``out`` (layout in the module docstring)."""

    def __init__(self, out: str | Path):
        self.out = Path(out)

    def path(self, table: str) -> Path:
        return self.out / f"{table}.parquet"

    def clear(self) -> None:
        """Remove the three datasets (and nothing else in ``out``)."""
        for t in TABLES:
            p = self.path(t)
            if p.is_dir():
                shutil.rmtree(p)
            elif p.exists():
                p.unlink()

    def _write(self, table: str, df: pd.DataFrame, name: str) -> Path:
        folder = self.path(table)
        folder.mkdir(parents=True, exist_ok=True)
        tmp = folder / f".{name}.tmp"
        pq.write_table(_to_table(df, table), tmp)
        final = folder / f"{name}.parquet"
        tmp.replace(final)
        return final

    def append(self, runs: pd.DataFrame, measures: pd.DataFrame, allocations: pd.DataFrame) -> None:
        """Add finished runs: allocations and measures first, runs (the commit) last."""
        if not len(runs):
            return
        name = f"part-{uuid.uuid4().hex}"
        if len(allocations):
            self._write("allocations", allocations, name)
        if len(measures):
            self._write("measures", measures, name)
        self._write("runs", runs, name)

    def runs(self) -> pd.DataFrame:
        """The latest row of each run hash; :class:`StoreError` when the store is damaged (a part
        unreadable, or a solved run without its measures or allocation)."""
        df = _read(self.path("runs"), "runs")
        if not len(df):
            return df
        df = df.sort_values("finished_at", kind="stable").drop_duplicates("hash", keep="last")
        self._check_complete(df)
        return df.reset_index(drop=True)

    def _check_complete(self, runs: pd.DataFrame) -> None:
        """Every solved run (optimal, feasible) has rows in ``measures`` and ``allocations``:
        parts are written before the run's row, so one without them lost a part file."""
        solved = set(runs.loc[runs["status"].isin(["optimal", "feasible"]), "run_id"])
        if not solved:
            return
        for table in ("measures", "allocations"):
            have = set(_read(self.path(table), table, columns=["run_id"])["run_id"])
            lost = sorted(solved - have)
            if lost:
                raise StoreError(
                    f"{self.path(table)}: damaged sweep store: no {table} for {len(lost)} solved run(s) "
                    f"(e.g. run {lost[0]}): a part file is missing; {_fix(self.out, self._part_of(lost[0]))}"
                )

    def _part_of(self, run_id: str) -> Path:
        """The runs part file that records ``run_id`` (the runs folder if none does)."""
        for f in sorted(self.path("runs").glob("*.parquet")):
            if run_id in set(pq.read_table(str(f), columns=["run_id"]).column("run_id").to_pylist()):
                return f
        return self.path("runs")

    def load(self) -> dict[str, pd.DataFrame]:
        """The three tables, limited to the latest run of each hash."""
        runs = self.runs()
        ids = set(runs["run_id"])
        out = {"runs": runs}
        for t, keys in (("measures", ["run_id", "year"]), ("allocations", ["run_id", "region", "specialty", "year"])):
            df = _read(self.path(t), t)
            df = df[df["run_id"].isin(ids)].drop_duplicates(keys, keep="last").reset_index(drop=True)
            out[t] = df
        return out

    def compact(self) -> None:
        """Rewrite each dataset as one part file (the latest run of each hash only)."""
        tables = self.load()
        name = f"part-{uuid.uuid4().hex}"
        for t in ("allocations", "measures", "runs"):  # runs last, as in append
            folder = self.path(t)
            old = sorted(folder.glob("*.parquet")) if folder.is_dir() else []
            if not old:
                continue
            self._write(t, tables[t], name)
            for p in old:
                p.unlink()


def load_sweep(out: str | Path) -> dict[str, pd.DataFrame]:
    """Read a sweep's store: ``{"runs": …, "measures": …, "allocations": …}`` as DataFrames.

    Raises FileNotFoundError when ``out`` holds no sweep, :class:`StoreError` (naming the file and
    the fix) when the store is damaged.
    """
    store = Store(out)
    if not store.path("runs").exists():
        raise FileNotFoundError(f"{out}: no sweep results here (expected {store.path('runs')})")
    return store.load()


# ------------------------------------------------------------------------------ analysis


def _weight_column(runs: pd.DataFrame, weight: str) -> str:
    col = weight if weight.startswith("w_") else f"w_{weight}"
    if col not in runs.columns:
        raise ValueError(f"unknown weight '{weight}' (known: {', '.join(c[2:] for c in WEIGHT_COLUMNS)})")
    return col


def comparison_table(
    runs: pd.DataFrame,
    weight: str,
    measures: tuple[str, ...] | list[str] = ("gap_closed_pct", "max_shortfall_pct", "gini", "posts_moved"),
    by: str | None = "scenario",
) -> pd.DataFrame:
    """Measures against one weight: rows are the weight's values, columns the measures (and,
    with several scenarios, ``(measure, scenario)``). Optimal runs only; where other weights
    vary too, each cell is the mean over them.

    Parameters
    ----------
    runs : the ``runs`` table (from :func:`allocator.study.sweep.sweep` or :func:`load_sweep`).
    weight : a weight name (``moves`` or ``w_moves``).
    measures : columns of the runs table to show.
    by : a column to split by (default ``scenario``); ``None`` for no split.
    """
    col = _weight_column(runs, weight)
    ok = runs[runs["status"] == "optimal"]
    keys = [col] + ([by] if by and ok[by].nunique() > 1 else [])
    table = ok.groupby(keys, sort=True)[list(measures)].mean()
    if len(keys) > 1:
        table = table.unstack(by)
    table.index.name = weight.removeprefix("w_")
    return table


def save_figure(fig, path: str | Path) -> list[Path]:
    """Write a matplotlib figure as ``path`` in PNG (150 dpi) and SVG (the suffix is replaced);
    return the two paths."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    outs = [path.with_suffix(".png"), path.with_suffix(".svg")]
    for p in outs:
        fig.savefig(p, dpi=150 if p.suffix == ".png" else None, bbox_inches="tight")
    return outs


def plot_measure_vs_weight(
    runs: pd.DataFrame, weight: str, measure: str = "gap_closed_pct", path: str | Path | None = None, by="scenario"
):
    """Line plot of a measure against a weight (log x axis when all values are > 0), one line
    per scenario (or per value of ``by``). Writes PNG and SVG when ``path`` is given; returns
    the matplotlib Figure."""
    import matplotlib.pyplot as plt

    col = _weight_column(runs, weight)
    ok = runs[runs["status"] == "optimal"]
    fig, ax = plt.subplots(figsize=(6, 4))
    groups = ok.groupby(by) if by and by in ok.columns else [("all", ok)]
    for name, g in groups:
        s = g.groupby(col)[measure].mean().sort_index()
        ax.plot(s.index, s.to_numpy(), marker="o", label=str(name))
    if len(ok) and (ok[col] > 0).all():
        ax.set_xscale("log")
    ax.set_xlabel(f"weight: {weight.removeprefix('w_')}")
    ax.set_ylabel(V.label(measure) if measure in V.MEASURES else measure.replace("_", " "))
    ax.grid(True, alpha=0.3)
    ax.legend(title=by if by else None, fontsize=8)
    if path is not None:
        save_figure(fig, path)
        plt.close(fig)
    return fig


def region_gains(allocations: pd.DataFrame, runs: pd.DataFrame | None = None) -> pd.DataFrame:
    """How often each region gains, over the runs (optimal ones if ``runs`` is given).

    A region *gains* in a run when its posts in the last planning year exceed its baseline
    posts grown in proportion to the national total (its baseline share of the final year's
    posts): growth everyone shares is not a gain. Returns one row per region: ``runs``,
    ``gains`` (count), ``share`` (fraction of runs), ``scenarios_gaining`` (in how many
    scenarios it gains in at least half the runs), ``scenarios`` and ``mean_gain`` (posts).
    """
    a = allocations
    if runs is not None:
        a = a[a["run_id"].isin(runs.loc[runs["status"] == "optimal", "run_id"])]
    if not len(a):
        cols = ["region", "runs", "gains", "share", "scenarios_gaining", "scenarios", "mean_gain"]
        return pd.DataFrame(columns=cols)
    last = a[a["year"] == a.groupby("run_id")["year"].transform("max")]
    per = last.groupby(["run_id", "scenario", "region"], sort=False)[["posts", "baseline"]].sum().reset_index()
    tot = per.groupby("run_id")[["posts", "baseline"]].transform("sum")
    per["gain"] = per["posts"] - per["baseline"] * tot["posts"] / tot["baseline"].where(tot["baseline"] > 0, 1.0)
    per["gains"] = per["gain"] > 1e-6
    by_sc = per.groupby(["region", "scenario"])["gains"].mean() >= 0.5
    out = per.groupby("region", sort=False).agg(
        runs=("run_id", "nunique"), gains=("gains", "sum"), mean_gain=("gain", "mean")
    )
    out["share"] = out["gains"] / out["runs"]
    out["scenarios_gaining"] = by_sc.groupby("region").sum().reindex(out.index).astype(int)
    out["scenarios"] = per.groupby("region")["scenario"].nunique().reindex(out.index)
    out = out.reset_index()[["region", "runs", "gains", "share", "scenarios_gaining", "scenarios", "mean_gain"]]
    return out.sort_values(["share", "mean_gain"], ascending=False, kind="stable").reset_index(drop=True)


def plot_region_gains(allocations: pd.DataFrame, runs: pd.DataFrame | None = None, path: str | Path | None = None):
    """Bar chart of :func:`region_gains`: the share of runs in which each region gains.
    Writes PNG and SVG when ``path`` is given; returns the matplotlib Figure."""
    import matplotlib.pyplot as plt

    g = region_gains(allocations, runs)
    fig, ax = plt.subplots(figsize=(6, 0.4 * max(3, len(g)) + 1))
    ax.barh(g["region"][::-1], 100 * g["share"][::-1].astype(float), color="tab:blue")
    ax.set_xlabel("% of runs in which the region gains (beyond proportional growth)")
    ax.set_xlim(0, 100)
    ax.grid(True, axis="x", alpha=0.3)
    if path is not None:
        save_figure(fig, path)
        plt.close(fig)
    return fig
