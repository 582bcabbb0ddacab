"""The command line: ``allocator validate | solve | check``. Thin: every verb calls the library.

Exit codes: 0 optimal (or valid, or checked clean); 1 solved but not optimal (infeasible,
time limit) or a check found violations; 2 bad input or usage. Nothing is written when the
input is bad.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from allocator.cli.check import check_command
from allocator.cli.console import console, err, fail
from allocator.cli.interrupt import InterruptibleTyper
from allocator.core.instance import InstanceError
from allocator.core.spec import load_model
from allocator.io.instance import load_instance

app = InterruptibleTyper(  # Ctrl-C: one line, exit 130, within 0.1 s even during a solve
    add_completion=False,
    no_args_is_help=True,
    help="Redistribute specialty training posts toward population need (LP/MIP on HiGHS). "
    "Exit codes: 0 optimal, 1 solved but not optimal or check failed, 2 bad input.",
)


def _print_version(value: bool) -> None:
    if value:
        from allocator.core.version import package_version

        print(f"allocator {package_version()}")
        raise typer.Exit(0)


@app.callback()
def _options(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_print_version, is_eager=True, help="Print the version and exit."),
    ] = False,
) -> None:
    """Redistribute specialty training posts toward population need (LP/MIP on HiGHS)."""


class Backend(str, Enum):
    highs = "highs"
    pyomo = "pyomo"
    pulp = "pulp"


class Format(str, Enum):
    table = "table"
    json = "json"


class Method(str, Enum):
    ipm = "ipm"
    simplex = "simplex"
    pdlp = "pdlp"
    choose = "choose"


def _check_options(time_limit: float | None, threads: int | None, mip_gap: float | None) -> None:
    """Exit 2 at once on an option value HiGHS cannot use (NaN, a negative count, …)."""
    import math

    problems = []
    if time_limit is not None and not (math.isfinite(time_limit) and time_limit > 0):
        problems.append(f"--time-limit: must be a number of seconds > 0 (got {time_limit})")
    if threads is not None and not 1 <= threads <= 1024:
        problems.append(f"--threads: must be a whole number from 1 to 1024 (got {threads})")
    if mip_gap is not None and not (math.isfinite(mip_gap) and 0 <= mip_gap <= 1):
        problems.append(f"--mip-gap: must be a relative gap from 0 to 1, e.g. 0.001 (got {mip_gap})")
    if problems:
        fail(ValueError("; ".join(problems)))


def _load(path: Path):
    try:
        return load_instance(path)
    except InstanceError as e:
        fail(e)


@app.command()
def validate(instance: Annotated[Path, typer.Argument(help="Instance: JSON, .xlsx, or a folder of CSV files.")]):
    """Check an instance against the instance format (docs/model.md) and the pre-solve feasibility checks."""
    from allocator.core.data import problem_data
    from allocator.model.presolve import presolve_findings

    inst = _load(instance)
    d = problem_data(inst)
    R, S, Y = d.shape
    console.print(f"[green]valid[/]: {escape(inst.name)}: {R} regions × {S} specialties × {Y} years", highlight=False)
    findings = presolve_findings(d)
    for f in findings:
        what, msg = escape(str(f["constraint"])), escape(str(f["message"]))
        console.print(f"[yellow]infeasible[/] ({what}): {msg}", highlight=False)
    raise typer.Exit(1 if findings else 0)


@app.command()
def solve(
    instance: Annotated[Path, typer.Argument(help="Instance: JSON, .xlsx, or a folder of CSV files.")],
    model: Annotated[Path | None, typer.Option(help="Model file (TOML); default: fair-share.")] = None,
    backend: Annotated[Backend, typer.Option(help="Model builder; all solve with HiGHS.")] = Backend.highs,
    format: Annotated[Format, typer.Option("--format", help="Summary table or §9 JSON on stdout.")] = Format.table,
    out: Annotated[
        Path | None, typer.Option(help="Folder for result.json, allocation.csv, kpis.csv, binding.csv.")
    ] = None,
    time_limit: Annotated[float | None, typer.Option(help="Seconds.")] = None,
    threads: Annotated[int | None, typer.Option(help="HiGHS threads.")] = None,
    method: Annotated[Method, typer.Option(help="HiGHS LP method.")] = Method.ipm,
    integer: Annotated[
        bool | None, typer.Option("--integer/--no-integer", help="Whole posts by MIP, started from the --round plan.")
    ] = None,
    mip_gap: Annotated[float | None, typer.Option(help="Relative MIP gap.")] = None,
    round_posts: Annotated[
        bool,
        typer.Option(
            "--round", help="Whole posts that keep every limit, repaired from the LP optimum (bound and gap reported)."
        ),
    ] = False,
    report: Annotated[
        bool,
        typer.Option(
            "--report", help="Also write the report (report.md, report.xlsx, report.html, figures) into --out."
        ),
    ] = False,
    force: Annotated[bool, typer.Option("--force", help="Let --report overwrite files it did not create.")] = False,
    verbose: Annotated[
        bool, typer.Option("--verbose", help="HiGHS's log and the seconds of each stage, on standard error.")
    ] = False,
):
    """Solve an instance and print a summary (or the result as JSON)."""
    from allocator.core.data import problem_data
    from allocator.pipeline.solve import solve as run_solve

    _check_options(time_limit=time_limit, threads=threads, mip_gap=mip_gap)
    started = time.perf_counter()
    inst = _load(instance)
    read = time.perf_counter() - started  # reading the file: part of the result's load time (§9 v3)
    try:
        spec = load_model(model)
    except InstanceError as e:
        fail(e)
    if report and out is None:
        fail(ValueError("--report needs --out DIR"))
    if out is not None and (out.is_symlink() or out.exists()) and not out.is_dir():
        fail(ValueError(f"--out {out}: exists and is not a folder (give a folder for the result files)"))
    quiet = format == Format.json
    with err.status("solving", spinner="dots") as status:  # the spinner never reaches stdout
        progress = None if quiet else (lambda msg: status.update(msg))
        res = run_solve(
            inst,
            spec,
            backend.value,
            time_limit=time_limit,
            threads=threads,
            method=method.value,
            integer=integer,
            mip_gap=mip_gap,
            progress=progress,
            round_posts=round_posts,
            verbose=verbose,
        )
    res.timings["load"] = read + res.timings.get("load", 0.0)
    res.timings["total"] = read + res.timings.get("total", 0.0)
    d = problem_data(inst)  # for the summary and report.md
    from allocator.report.assumptions import assumptions, brief

    model_file = None if model is None else str(model)
    sections = assumptions(inst, res, spec, model_file=model_file, d=d)
    if verbose:  # docs/model.md §9 v3 timings: standard error only, never into --format json
        shown = ", ".join(f"{k.replace('_', ' ')} {v:.3f}s" for k, v in res.to_dict().get("timings", {}).items())
        err.print(f"timings: {shown}", highlight=False, markup=False)
    if quiet:
        print(res.to_json(), end="")
    else:
        _print_summary(res, d, verbose)
        console.print("[bold]Assumptions[/] (all of them in the report's Assumptions section)", highlight=False)
        for line in brief(sections):
            console.print("  " + escape(line), highlight=False)
    if out is not None:
        written = []
        if report:  # first: it refuses (and writes nothing) if it would overwrite a file it did not make
            from allocator.report.summary import markdown
            from allocator.report.write import write_report

            try:
                written += write_report(res, inst, Path(out), force=force, model=spec, model_file=model_file)
            except ValueError as e:
                fail(e)
            from allocator.io.atomic import atomic_write

            written += atomic_write({"report.md": markdown(res, d, assumptions=sections)}, Path(out))
        written = res.write(out) + written
        if not quiet:
            console.print("wrote " + ", ".join(str(p) for p in written), highlight=False, markup=False)
    raise typer.Exit(0 if res.status == "optimal" else 1)


def _print_workforce(res, d) -> None:
    """The supply and team sections (docs/model.md §10, §11), when the instance has them."""
    from allocator.report.summary import workforce_tables

    for title, frame in workforce_tables(res, d):
        if frame is None:
            console.print(escape(title), highlight=False)
            continue
        _print_frame(title, frame)


def _print_frame(title: str, frame) -> None:
    """A frame of text (the report's own, :mod:`allocator.report.summary`) as a terminal table."""
    t = Table(title=escape(title))
    for c in frame.columns:
        t.add_column(escape(str(c)), justify="left" if str(c).lower() in _TEXT_COLUMNS else "right")
    for row in frame.itertuples(index=False):
        t.add_row(*(escape(str(v)) for v in row))
    console.print(t)


_TEXT_COLUMNS = ("year", "region", "specialty", "team", "constraint")


def _print_diagnosis(diagnosis: dict, verbose: bool = False, shown: int = 10) -> None:
    """What to change, action first; the solver's detail (conflict set, raw figures) with ``verbose``."""
    from allocator.analysis.diagnosis_words import words_and_detail

    _, actions, detail = words_and_detail(diagnosis)
    console.print("[red]It cannot be solved as it stands. What to change:[/]", highlight=False)
    for a in actions[:shown]:
        console.print(f"  • {escape(a)}", highlight=False)
    if len(actions) > shown:
        console.print(f"  … and {len(actions) - shown} more in result.json (--out).", highlight=False)
    if verbose and detail:
        console.print("[bold]Technical detail[/]", highlight=False)
        for line in detail:
            console.print(f"  {escape(line)}", highlight=False)
    elif detail:
        console.print("(--verbose shows the technical detail: the solver's conflict set and figures)", highlight=False)


def _print_summary(res, d, verbose: bool = False) -> None:
    from allocator.report.summary import binding_text, kpi_text, region_text
    from allocator.solution import vocabulary as V
    from allocator.solution.gaps import gap_sentence

    colour = "green" if res.status == "optimal" else "yellow" if res.status == "feasible" else "red"
    obj = f", objective {V.fmt('objective', res.objective)}" if res.objective is not None else ""
    console.print(
        f"[bold]{escape(res.instance)}[/] with model [bold]{escape(res.model)}[/] on {escape(res.backend)}: "
        f"[{colour}]{res.status}[/]{obj} (build {res.build_seconds:.2f}s, solve {res.solve_seconds:.2f}s)",
        highlight=False,
    )
    if (sentence := gap_sentence(res)) is not None:
        console.print(sentence, highlight=False, markup=False)
    if res.rounding is not None and res.objective is not None:
        console.print(
            f"LP optimum {V.fmt('objective', res.rounding['lp_objective'])} → whole posts "
            f"{V.fmt('objective', res.objective)} ({res.rounding['method']}, {res.rounding['seconds']:.2f}s)",
            highlight=False,
        )
    if res.diagnosis:
        _print_diagnosis(res.diagnosis, verbose)
        return
    if not len(res.kpis):
        return
    _print_frame("Measures by year", kpi_text(res))
    _print_frame(f"Regions, baseline → {d.years[-1]}", region_text(res, d))
    _print_workforce(res, d)
    if len(res.binding):
        _print_frame(
            f"Binding constraints (top 8 by {V.name('dual').lower()}: the objective saved per unit the bound moves)",
            binding_text(res, 8),
        )


app.command("check")(check_command)


@app.command()
def generate(
    out: Annotated[Path, typer.Argument(help="Instance JSON file to write (a missing folder is created).")],
    regions: Annotated[int, typer.Option(min=1)] = 7,
    specialties: Annotated[int, typer.Option(min=1)] = 10,
    years: Annotated[int, typer.Option(min=1)] = 5,
    seed: Annotated[int, typer.Option()] = 0,
    infeasible: Annotated[bool, typer.Option(help="Make one national total exceed capacity.")] = False,
):
    """Write a realistic synthetic instance (same seed, same file)."""
    from allocator.study.generate import generate as make

    inst = make(regions, specialties, years, seed, infeasible=infeasible)
    if out.is_dir():
        fail(f"{out}: is a folder; give the instance file to write, e.g. {out / 'instance.json'}")
    blocking = next((p for p in (out.parent, *out.parent.parents) if p.exists() and not p.is_dir()), None)
    if blocking is not None:
        fail(f"{out}: {blocking} is a file, not a folder; give a path inside a folder")
    try:  # a missing folder is created, as --out does elsewhere
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        fail(f"{out}: cannot create the folder {out.parent}: {e.strerror or e}")
    try:
        tmp = out.with_name(f".{out.name}.tmp")
        inst.to_json(tmp)
        tmp.replace(out)
    except OSError as e:
        fail(f"{out}: cannot write the instance: {e.strerror or e}")
    console.print(f"wrote {out}: {inst.name}", highlight=False, markup=False)


# Commands whose code lives beside the library part they drive.
from allocator.cli.apportion import apportion_command  # noqa: E402
from allocator.cli.brief import brief_command  # noqa: E402
from allocator.cli.convert import convert_command  # noqa: E402
from allocator.cli.evaluate import evaluate_command  # noqa: E402
from allocator.cli.examples import examples_app  # noqa: E402
from allocator.cli.regret import regret_command  # noqa: E402
from allocator.cli.report import report_command  # noqa: E402
from allocator.cli.serve import app_command  # noqa: E402
from allocator.cli.sweep import sweep_command  # noqa: E402

app.command("report")(report_command)
app.command("brief")(brief_command)
app.command("apportion")(apportion_command)
app.command("sweep")(sweep_command)
app.command("convert")(convert_command)
app.command("evaluate")(evaluate_command)
app.command("regret")(regret_command)
app.command("app")(app_command)
app.add_typer(examples_app, name="examples")


def main() -> None:
    """The ``allocator`` command. Standard output carries only what a command prints itself
    (a table, or with ``--format json`` one JSON document): anything native code writes to
    file descriptor 1 (HiGHS's banner and ``--verbose`` log, Dask worker processes) is sent
    to standard error instead."""
    try:
        sys.stdout.flush()
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):  # stdout replaced (a test runner): leave it
        app()
        return
    real = os.dup(fd)
    os.dup2(sys.stderr.fileno(), fd)
    encoding, errors = sys.stdout.encoding, sys.stdout.errors
    sys.stdout = os.fdopen(real, "w", encoding=encoding, errors=errors, closefd=True)
    try:
        app()
    finally:
        with contextlib.suppress(Exception):
            sys.stdout.flush()
