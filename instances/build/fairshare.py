"""Fair shares ``T`` of a built instance (docs/model.md §3, and §3b with a ``need`` block),
computed from the instance's JSON alone, and the table of how the need-based instances move
them against the single-index ones (instances/README.md).

This is the build's own small reading of the contract, independent of ``allocator``: the
instances it describes are written before the model code that reads them, and the tests check
that the two agree once both exist.
"""

from __future__ import annotations

from typing import Any

BUILTIN = ("need_index", "need_weights")
TABLE_YEAR = 2030
TABLE_PROGRAMMES = (
    ("general-practice", "GP"),
    ("core-psychiatry", "psychiatry"),
    ("obstetrics-gynaecology", "O&G"),
    ("paediatrics", "paediatrics"),
)
ICB_TABLE_REGION = "South West"
README_START = "<!-- need-table:start -->"
README_END = "<!-- need-table:end -->"


def _population(inst: dict[str, Any], year: int) -> dict[str, float]:
    by_year = {(p["region"], p["year"]): p["population"] for p in inst.get("population_by_year", [])}
    return {r["id"]: float(by_year.get((r["id"], year), r["population"])) for r in inst["regions"]}


def _need_weight(inst: dict[str, Any], region: str, specialty: str, year: int) -> float:
    """``w[r,s,t]``: the entry of that year, else the entry without a year, else 1 (§2)."""
    found = {
        w.get("year"): w["weight"] for w in inst["need_weights"] if (w["region"], w["specialty"]) == (region, specialty)
    }
    return float(found.get(year, found.get(None, 1.0)))


def _factor_value(factor: dict[str, Any], region: str, specialty: str, year: int) -> float:
    """A listed factor's value of cell (r, s) in year t, first found (docs/model.md §3b)."""

    def latest(entries: list[dict[str, Any]]) -> float | None:
        dated = [e for e in entries if "year" in e and e["year"] <= year]
        if dated:
            return float(max(dated, key=lambda e: e["year"])["value"])
        plain = [e for e in entries if "year" not in e]
        return float(plain[0]["value"]) if plain else None

    values = [v for v in factor.get("values", []) if v["region"] == region]
    for entries in (
        [v for v in values if v.get("specialty") == specialty],
        [v for v in values if "specialty" not in v],
    ):
        found = latest(entries)
        if found is not None:
            return found
    return 1.0


def _factors(inst: dict[str, Any]) -> list[dict[str, Any]]:
    listed = inst["need"]["factors"]
    ids = {f["id"] for f in listed}
    return [{"id": b, "blend": 1.0} for b in BUILTIN if b not in ids] + listed


def fair_shares(inst: dict[str, Any], year: int) -> dict[tuple[str, str], float]:
    """``T[r,s,t]`` of every cell in ``year``: national totals (the baseline column sums: these
    instances have no ``national_posts``) shared in proportion to ``D``."""
    pop = _population(inst, year)
    regions = [r["id"] for r in inst["regions"]]
    index = {r["id"]: float(r["need_index"]) for r in inst["regions"]}
    national: dict[str, float] = {}
    for b in inst["baseline_posts"]:
        national[b["specialty"]] = national.get(b["specialty"], 0.0) + b["posts"]
    out: dict[tuple[str, str], float] = {}
    for s in (sp["id"] for sp in inst["specialties"]):
        if "need" not in inst:
            d = {r: pop[r] * index[r] * _need_weight(inst, r, s, year) for r in regions}
        else:
            d = dict(pop)
            for f in _factors(inst):
                if "specialties" in f and s not in f["specialties"]:
                    continue
                if f["id"] == "need_index":
                    raw = dict(index)
                elif f["id"] == "need_weights":
                    raw = {r: _need_weight(inst, r, s, year) for r in regions}
                else:
                    raw = {r: _factor_value(f, r, s, year) for r in regions}
                mean = sum(pop[r] * raw[r] for r in regions)
                total = sum(pop.values())
                beta = float(f["blend"])
                for r in regions:
                    scaled = raw[r] * total / mean if mean > 0 else 1.0
                    d[r] *= 1 - beta + beta * scaled
        whole = sum(d.values())
        for r in regions:
            out[(r, s)] = national[s] * d[r] / whole
    return out


def _signed(x: float) -> str:
    text = f"{x:+,.1f}"
    return "0.0" if text in ("+0.0", "-0.0") else text


def change_rows(single: dict[str, Any], need: dict[str, Any], regions: list[str]) -> list[list[str]]:
    """Rows of the change table: region name, fair share over all programmes in
    :data:`TABLE_YEAR` in the single-index and the need-based instance, the change (posts and %),
    and the change of each of :data:`TABLE_PROGRAMMES`."""
    t1, t2 = fair_shares(single, TABLE_YEAR), fair_shares(need, TABLE_YEAR)
    names = {r["id"]: r["name"] for r in single["regions"]}
    rows = []
    for r in regions:
        a = sum(v for (rr, _), v in t1.items() if rr == r)
        b = sum(v for (rr, _), v in t2.items() if rr == r)
        row = [names[r], f"{a:,.1f}", f"{b:,.1f}", _signed(b - a), f"{100 * (b - a) / a:+.1f} %"]
        row += [_signed(t2[(r, s)] - t1[(r, s)]) for s, _ in TABLE_PROGRAMMES]
        rows.append(row)
    return rows


def change_table(instances: dict[str, dict[str, Any]], icb_ids: list[str]) -> str:
    """The markdown between the README's need-table markers: the 7 regions, then the ICBs
    ``icb_ids`` (those of :data:`ICB_TABLE_REGION`), single-index against need-based fair shares."""
    head = ["", "single index", "need-based", "change", "change %", *(label for _, label in TABLE_PROGRAMMES)]
    lines = [f"Fair share in {TABLE_YEAR}, posts over the 12 programmes (change by programme in the last columns):", ""]

    def table(first: str, rows: list[list[str]]) -> None:
        lines.append("| " + " | ".join([first, *head[1:]]) + " |")
        lines.append("|" + "---|" + "---:|" * (len(head) - 1))
        lines.extend("| " + " | ".join(row) + " |" for row in rows)

    regions = instances["england-regions-2025"]
    table(
        "NHS England region",
        change_rows(regions, instances["england-regions-need-2025"], [r["id"] for r in regions["regions"]]),
    )
    lines.append("")
    table(
        f"ICB ({ICB_TABLE_REGION})",
        change_rows(instances["england-icb-2025"], instances["england-icb-need-2025"], icb_ids),
    )
    return "\n".join(lines) + "\n"


def replace_table(readme: str, table: str) -> str:
    """``readme`` with the text between the need-table markers replaced by ``table``."""
    start, end = readme.index(README_START) + len(README_START), readme.index(README_END)
    return readme[:start] + "\n\n" + table + "\n" + readme[end:]
