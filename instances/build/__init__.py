"""Build the real England instances from the public data vendored in ``instances/sources/``.

    python -m instances.build [--out instances] [--sources instances/sources]

writes nine instances (docs/model.md §2, plus the project's ``sources`` list), five with
``schema_version: 2``:

* ``england-regions-2025.json``           the 7 NHS England regions
* ``england-training-regions-2025.json``  the 11 NHS England WT&E local offices (ex-HEE)
* ``england-icb-2025.json``               the 42 integrated care boards (ICBs)
* ``england-pipeline-2025.json``          the 7 regions with the workforce pipeline to 2040 (§10)
* ``england-teams-2025.json``             the 7 regions with primary-care and surgical teams (§11)

and four need-based ones (``schema_version: 3``): the first four with a ``need`` block
(§3b) built from NHS England's component need indices, the ONS age weights, deprivation at
20 % and rurality at blend 0 (:mod:`.needfactors`, :mod:`.needinstances`):
``england-regions-need-2025.json``, ``england-training-regions-need-2025.json``,
``england-icb-need-2025.json`` and ``england-pipeline-need-2025.json``. Written to the default
folder, the build also refreshes the fair-share table of ``instances/README.md``
(:func:`need_table`, :mod:`.fairshare`).

Every instance has ``population_by_year`` and need weights by year (``need_weights[].year``) for
paediatrics (children 0-14) and obstetrics & gynaecology (women 15-44) from the ONS 2022-based
subnational projections (published region rows; ICB sums; local-office sums of whole ICBs),
for the planning years, and in the pipeline instance for every year to 2040.
``regions[].population`` and the weights without a year stay the ONS mid-2022 estimates (the
base, and the fallback of any year without an entry).

Everything in those files is made here, from the CSV files in ``instances/sources/`` (each
folder carries its PROVENANCE.md), one module per source, each with its checks:

* :mod:`.population` (ONS mid-2022), :mod:`.projections` (ONS 2022-based projections),
  :mod:`.need` (NHS England need indices and components), :mod:`.rurality` (ONS RUC 2021),
  :mod:`.posts` (training posts), :mod:`.geography` (regions, local offices and the ICB
  assignment);
* :mod:`.read` reads them all into one checked :class:`Sources`;
* :mod:`.weights`, :mod:`.baseline`, :mod:`.pipeline` and :mod:`.teams` hold the rules;
  :mod:`.entries` the ``sources`` lists; :mod:`.make` and :mod:`.instances` assemble and check
  the instances; :mod:`.needfactors` and :mod:`.needinstances` the need-based ones.

(The instances' ``sources`` entries still cite ``instances/build.py``, the single file this
package was split from; the functions and constants they name keep their names here.)
Nothing is read from anywhere else. What is published and what is estimated is stated in
every instance's ``sources`` list; every estimate is a rule written in this package, in a
function or constant whose docstring says the rule in words:

* national totals per specialty (England): :func:`england_national_posts`
* baseline posts by local office, ICB and NHS England region: :func:`local_office_baseline`,
  :func:`icb_baseline`, :func:`region_baseline`
* capacity: :func:`capacity_bounds`
* transition limits: :data:`TRANSITION` and :func:`transition_limits`
* pipeline (§10): :data:`PROGRAMME_YEARS`, :func:`training_kernel`, :func:`gp_join`,
  :func:`pipeline_kernel`, :func:`completion_rate`, :func:`pipeline_block`
* teams (§11): :data:`TEAM_PROGRAMMES`, :data:`COST_PER_POST`, :data:`TEAMS`,
  :func:`team_programme_baseline`, :func:`teams_blocks`

The build first reads and checks every source file (totals against those stated in its
PROVENANCE.md, row counts, code joins), then builds all five instances in memory and checks
them (every specialty's baseline column sums to its national total, min ≤ baseline ≤ max,
years increasing, a population for every region and year, and the baseline keeps every
``team_mix`` limit, budget and national range). Only when everything passes are the files
written, each to a temporary file renamed into place at the end: a failed build writes nothing. A failure raises
:class:`BuildError` naming the file and the check; on the command line it exits with code 2.

Arithmetic is exact (:class:`fractions.Fraction`) until the last step, where floats are rounded
to 4 decimals, so the same sources give byte-identical JSON on any machine.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

from .baseline import capacity_bounds, icb_baseline, local_office_baseline, region_baseline
from .common import (
    DEFAULT_SOURCES,
    FILES,
    HERE,
    Area,
    BuildError,
    Sources,
    check,
    largest_remainder,
    r4,
    round_half_up,
)
from .fairshare import ICB_TABLE_REGION, change_table, fair_shares, replace_table
from .geography import LOCAL_OFFICES, NHS_REGIONS, local_office_areas
from .instances import build_instances, check_instance
from .make import make_instance
from .needfactors import programme_table
from .posts import england_national_posts, england_share, select_specialties
from .read import read_sources
from .weights import need_weight

__all__ = [
    "DEFAULT_SOURCES",
    "FILES",
    "LOCAL_OFFICES",
    "NHS_REGIONS",
    "Area",
    "BuildError",
    "Sources",
    "build_all",
    "build_instances",
    "change_table",
    "fair_shares",
    "need_table",
    "capacity_bounds",
    "check",
    "check_instance",
    "england_national_posts",
    "england_share",
    "icb_baseline",
    "largest_remainder",
    "local_office_areas",
    "local_office_baseline",
    "main",
    "make_instance",
    "need_weight",
    "r4",
    "read_sources",
    "region_baseline",
    "round_half_up",
    "select_specialties",
    "to_json",
    "write_all_or_nothing",
]


def to_json(inst: dict[str, Any]) -> str:
    return json.dumps(inst, indent=2, ensure_ascii=False) + "\n"


def write_all_or_nothing(texts: dict[Path, str]) -> None:
    """Write every file to a temporary file next to it, then rename all into place."""
    temps: list[tuple[Path, Path]] = []
    try:
        for path, text in texts.items():
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
            with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
                fh.write(text)
            os.chmod(tmp, 0o644)  # mkstemp makes 0600; these are ordinary repository files
            temps.append((Path(tmp), path))
    except BaseException:
        for tmp, _ in temps:
            tmp.unlink(missing_ok=True)
        raise
    for tmp, path in temps:
        os.replace(tmp, path)


def need_table(instances: dict[str, dict[str, Any]], src: Sources) -> str:
    """The text between instances/README.md's need-table markers: which programme uses which
    need component (:func:`.needfactors.programme_table`), then the fair-share changes against
    the single-index instances (:func:`.fairshare.change_table`, with the South West's ICBs)."""
    icbs = [a.id for a in src.icbs if a.region == ICB_TABLE_REGION]
    return programme_table() + "\n" + change_table(instances, icbs)


def build_all(out_dir: Path, sources_dir: Path = DEFAULT_SOURCES, readme: Path | None = None) -> list[Path]:
    """Read and check the sources, build and check the nine instances, then write them to
    ``out_dir`` (all or nothing), and with ``readme`` refresh the fair-share table between its
    need-table markers. Returns the paths written."""
    src = read_sources(Path(sources_dir))
    instances = build_instances(src)
    texts = {Path(out_dir) / f"{name}.json": to_json(inst) for name, inst in instances.items()}
    if readme is not None:
        texts[readme] = replace_table(readme.read_text(encoding="utf-8"), need_table(instances, src))
    write_all_or_nothing(texts)
    return list(texts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=HERE, help="output folder (default: instances/)")
    parser.add_argument("--sources", type=Path, default=DEFAULT_SOURCES, help="vendored sources folder")
    args = parser.parse_args(argv)
    try:
        readme = HERE / "README.md" if args.out.resolve() == HERE else None
        paths = build_all(args.out, args.sources, readme)
    except BuildError as err:
        print(f"instances.build: error: {err}\nNothing was written.", file=sys.stderr)
        return 2
    for p in paths:
        print(f"wrote {p}")
    return 0
