"""ONS 2021 rural-urban classification by ICB (April 2024 boundaries): the share of Census 2021
residents living in rural LSOAs, checked against ``rurality/PROVENANCE.md``."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

from .common import check, num, read_rows

# Stated in rurality/PROVENANCE.md
RURAL_RESIDENTS_TOTAL = 56_490_108  # England usual residents summed over the 33,755 LSOAs
RURAL_ENGLAND_PCT = Fraction(1659, 100)  # % of residents in rural LSOAs, England
RURAL_CORNWALL = ("QT6", Fraction(548, 10))  # Cornwall and the Isles of Scilly, % (rounded to 0.1)
LSOA_CLASSES = ("UN1", "UF1", "RLN1", "RLF1", "RSN1", "RSF1")
RURAL_CLASSES = ("RLN1", "RLF1", "RSN1", "RSF1")
ROUNDING = Fraction(5, 100)  # percentage points: the file's shares are rounded to 0.01


def read_rurality(sources_dir: Path, icb_codes: set[str]) -> dict[str, tuple[int, Fraction]]:
    """ICB ODS code -> (Census 2021 usual residents, share of them in rural LSOAs as a fraction
    0-1), after checking the 42 ICBs are those of ``icb_codes`` and the totals PROVENANCE states."""
    cols = ["icb24_code_nhs", "usual_residents_census2021", "pct_residents_rural_lsoa"]
    path, rows = read_rows(sources_dir, "rurality_icb", cols + [f"pct_residents_{c}" for c in LSOA_CLASSES])
    out: dict[str, tuple[int, Fraction]] = {}
    for row in rows:
        ods = row["icb24_code_nhs"]
        check(ods not in out, path, "one row per ICB", ods)
        residents = int(num(path, row, "usual_residents_census2021"))
        pct = num(path, row, "pct_residents_rural_lsoa")
        check(residents > 0, path, "residents > 0", ods)
        check(0 <= pct <= 100, path, "rural share within 0-100 %", ods)
        classes = sum((num(path, row, f"pct_residents_{c}") for c in LSOA_CLASSES), Fraction(0))
        check(abs(classes - 100) <= ROUNDING, path, "the six LSOA classes sum to 100 %", ods)
        rural = sum((num(path, row, f"pct_residents_{c}") for c in RURAL_CLASSES), Fraction(0))
        check(abs(rural - pct) <= ROUNDING, path, "the four rural classes sum to the rural share", ods)
        out[ods] = (residents, pct / 100)
    check(
        set(out) == icb_codes,
        path,
        "the 42 ICBs of the NHS England need file (ODS codes)",
        f"differ: {sorted(set(out) ^ icb_codes)}",
    )
    total = sum(r for r, _ in out.values())
    check(
        total == RURAL_RESIDENTS_TOTAL,
        path,
        f"England usual residents = {RURAL_RESIDENTS_TOTAL:,} (PROVENANCE)",
        f"got {total:,}",
    )
    england = sum((r * s for r, s in out.values()), Fraction(0)) / total * 100
    check(
        abs(england - RURAL_ENGLAND_PCT) <= Fraction(1, 100),
        path,
        f"England {float(RURAL_ENGLAND_PCT)} % of residents in rural LSOAs (PROVENANCE; within 0.01 point, "
        "the ICB shares being rounded)",
        f"got {float(england):.3f} %",
    )
    code, want = RURAL_CORNWALL
    got = out[code][1] * 100 if code in out else Fraction(-1)
    check(round(got, 1) == want, path, f"Cornwall and the Isles of Scilly {float(want)} % rural (PROVENANCE)")
    return out
