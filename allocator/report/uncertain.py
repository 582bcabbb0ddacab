"""A plan under uncertain rates in its report and area brief: the Monte Carlo evaluation
(:func:`allocator.study.montecarlo.monte_carlo`) of the plan, when one is given.

- :func:`national_frame`: P10, P50 and P90 over the draws of the national supply gap in each
  assessed year, beside its central value (the instance's own rates): the table of the
  report's section "Under uncertain rates";
- :func:`national_sheet` and :func:`regions_sheet`: every evaluation year's quantiles,
  nationally (supply gap, total stock) and by region (supply per 100,000 need-weighted
  population, stock), for the workbook;
- :func:`region_frame`: one region's supply per 100,000 P10/P50/P90 by year, for its brief;
- :func:`check_fits`: refuse an evaluation of another instance.

Headers are measure labels of :mod:`allocator.solution.vocabulary`, so every number is
formatted by its unit.
"""

from __future__ import annotations

from pathlib import PurePath
from typing import Any

import pandas as pd

from allocator.solution import vocabulary as V

#: A :class:`allocator.study.montecarlo.MonteCarlo` (typed loosely: imported only when used).
MonteCarlo = Any

SECTION = "Under uncertain rates"
QUANTILES = (("central", "central rates"), ("p10", "P10"), ("p50", "P50"), ("p90", "P90"))


def check_fits(mc: MonteCarlo, instance_name: str, regions: list[str]) -> None:
    """Raise ``ValueError`` when ``mc`` is not an evaluation of this instance (name, regions)."""
    if mc.instance != instance_name or list(mc.regions) != list(regions):
        raise ValueError(
            f"montecarlo: the evaluation is of instance {mc.instance} with {len(mc.regions)} regions, "
            f"not of {instance_name} with {len(regions)}"
        )


def describe(mc: MonteCarlo) -> str:
    """One sentence: what was drawn, how often, from which file."""
    return (
        f"{mc.draws:,} draws (seed {mc.seed}) of the rates in {PurePath(mc.ranges.source).name} "
        f"({len(mc.ranges.entries)} range{'s' if len(mc.ranges.entries) != 1 else ''}), "
        "each evaluated through the pipeline with this plan's posts (no solve). P10, P50 and P90 are the "
        "10th, 50th and 90th percentiles over the draws; central: at the instance's own rates."
    )


def _wide(frame: pd.DataFrame, measures: dict[str, str], keys: list[str]) -> pd.DataFrame:
    """Long ``MonteCarlo`` rows (``measure, central, p10, p50, p90``) → one column per measure
    and quantile, headed by the measure's label (``measures``: id → qualifier prefix)."""
    out = frame[frame["measure"] == next(iter(measures))][keys].reset_index(drop=True)
    for mid, prefix in measures.items():
        rows = frame[frame["measure"] == mid].reset_index(drop=True)
        for col, q in QUANTILES:
            out[V.label(mid, f"{prefix}{q}")] = rows[col].to_numpy()
    return out


def national_frame(mc: MonteCarlo) -> pd.DataFrame:
    """Per assessed year: the national supply gap at the central rates and its P10, P50, P90."""
    nat = mc.national_table().query("assessed")
    return _wide(nat, {"supply_gap": ""}, ["year"]).rename(columns={"year": "Year"})


def national_sheet(mc: MonteCarlo) -> pd.DataFrame:
    """Per evaluation year: the national supply gap and total stock, central and quantiles."""
    frame = _wide(mc.national_table(), {"supply_gap": "", "stock": "all regions, "}, ["year", "assessed"])
    return frame.rename(columns={"year": "Year", "assessed": "Assessed year"})


def regions_sheet(mc: MonteCarlo, names: dict[str, str]) -> pd.DataFrame:
    """Per region and evaluation year: supply per 100,000 and stock, central and quantiles."""
    frame = _wide(mc.regions_table(), {"supply_per_100k": "", "stock": ""}, ["region", "year", "assessed"])
    frame.insert(1, "Region name", frame["region"].map(names))
    return frame.rename(columns={"region": "Region id", "year": "Year", "assessed": "Assessed year"})


def region_frame(mc: MonteCarlo, region: str) -> pd.DataFrame:
    """Per evaluation year: ``region``'s supply per 100,000 need-weighted population, central
    and P10, P50, P90."""
    rows = mc.regions_table()
    rows = rows[(rows["region"] == region) & (rows["measure"] == "supply_per_100k")].reset_index(drop=True)
    frame = pd.DataFrame({"Year": rows["year"]})
    for col, q in QUANTILES:
        frame[f"{q[0].upper()}{q[1:]} (per 100,000)"] = rows[col].to_numpy()
    return frame


def region_sentence(mc: MonteCarlo, region: str, name: str) -> str:
    """``name``'s supply per 100,000 in the last assessed year: P10 to P90, median, central."""
    frame = region_frame(mc, region)
    row = frame[frame["Year"] == mc.assess_years[-1]].iloc[0]
    f = [V.fmt("supply_per_100k", v) for v in row.iloc[1:]]
    return (
        f"Under uncertain rates ({mc.draws:,} draws): its supply in {mc.assess_years[-1]} is {f[1]} to {f[3]} "
        f"per 100,000 need-weighted population (P10 to P90; median {f[2]}, central rates {f[0]})."
    )
