"""The workforce pipeline (docs/model.md §10): programme lengths, delay kernels, completion,
join, leave and fill rates, and their ``sources`` entries."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from .common import BASELINE_YEAR, OWN, Area, largest_remainder, r4, round_half_up
from .entries import entry

# --------------------------------------------------------------------------- pipeline (§10)

PIPELINE_HORIZON = 2040
PIPELINE_ASSESS_YEARS = [2035, 2040]
# Indicative full length of each pathway from CT1/ST1 entry to CCT (curricula; not vendored):
# core + higher training for uncoupled programmes.
PROGRAMME_YEARS = {
    "accs-emergency-medicine": 6,  # run-through EM (ACCS 3 + intermediate/higher 3)
    "anaesthetics": 7,  # core 3 + ST4-7
    "clinical-radiology": 5,
    "core-psychiatry": 6,  # core 3 + higher 3
    "core-surgery": 8,  # core 2 + ST3-8
    "general-practice": 3,
    "histopathology": 5,
    "internal-medicine": 7,  # IMT 3 + higher 4 (group 1)
    "obstetrics-gynaecology": 7,
    "ophthalmology": 7,
    "paediatrics": 7,  # Progress+ (2023)
    "public-health": 5,
}
# GMC training pathways working paper (2017): programmes of 5 years take 5.5 on average, of 7 years 9.
GMC_MEAN_YEARS = {5: Fraction(11, 2), 7: Fraction(9)}
# NHS England (Population Medicine, 2023): about 80 % settle within 50 miles of where they trained.
SETTLE_RATE = Fraction(8, 10)
# Palmer et al. 2025 (Human Resources for Health): of GP trainees completing, the share who had
# joined NHS general practice within 6, 12 and 24 months.
GP_JOINED_BY_MONTHS = {6: Fraction(34, 100), 12: Fraction(47, 100), 24: Fraction(62, 100)}
# Illustrative estimates (not published): see the docstrings of the functions using them.
COMPLETION_RUN_THROUGH = Fraction(9, 10)
COMPLETION_UNCOUPLED = Fraction(3, 4)  # core then a competitive ST3/ST4 application
UNCOUPLED = ("anaesthetics", "core-psychiatry", "core-surgery", "internal-medicine")
JOIN_RATE_OTHER = Fraction(9, 10)
LEAVE_RATE = Fraction(4, 100)
FILL_RATE = Fraction(95, 100)


def whole_shares(shares: dict[int, Fraction]) -> dict[int, float]:
    """Shares rounded to 4 decimals that still sum to exactly 1 (largest remainder on 10,000
    units), so the JSON kernel passes the loader's "shares sum to 1" check."""
    units = largest_remainder({k: v * 10_000 for k, v in shares.items()}, 10_000)
    return {k: u / 10_000 for k, u in units.items()}


def training_kernel(years: int) -> dict[int, Fraction]:
    """Years from entry to completion and the share completing after each (LTFT, breaks).

    Rule, from the GMC training pathways working paper (2017: five-year programmes take 5.5 years
    on average, seven-year ones 9): the mean extra time is e = 0.5 year for a programme of 5
    years or fewer, and e = 0.5 + 0.75 · (L − 5) for L ≥ 5 (the line through both published
    points: 6 → 1.25, 7 → 2, 8 → 2.75). Completion is spread in equal shares over L, L + 1, …,
    L + n with n = 2e rounded half up, so the mean is L + n/2: exactly 5.5 for L = 5 (5 and 6
    years, half each) and 9 for L = 7 (7 to 11 years, a fifth each); 7.5 for L = 6, 11 for L = 8,
    3.5 for L = 3."""
    e = Fraction(1, 2) if years <= 5 else Fraction(1, 2) + Fraction(3, 4) * (years - 5)
    n = round_half_up(2 * e)
    return {years + k: Fraction(1, n + 1) for k in range(n + 1)}


def gp_join() -> tuple[Fraction, dict[int, Fraction]]:
    """GP join rate and the lag from completion to joining (Palmer et al. 2025): 47 % of
    completers had joined NHS general practice within a year, 62 % within two. join_rate = 0.62
    (those who had not joined within two years are not counted); of the joiners, 47/62 join in
    the year they complete (lag 0; 34 % within six months) and 15/62 a year later (lag 1)."""
    within_1, within_2 = GP_JOINED_BY_MONTHS[12], GP_JOINED_BY_MONTHS[24]
    return within_2, {0: within_1 / within_2, 1: (within_2 - within_1) / within_2}


def pipeline_kernel(sid: str) -> dict[int, Fraction]:
    """Entry-to-workforce delays of a specialty: :func:`training_kernel` of its programme length;
    for general practice convolved with the joining lag of :func:`gp_join`."""
    kernel = training_kernel(PROGRAMME_YEARS[sid])
    if sid != "general-practice":
        return kernel
    out: dict[int, Fraction] = {}
    for d, share in kernel.items():
        for lag, q in gp_join()[1].items():
            out[d + lag] = out.get(d + lag, Fraction(0)) + share * q
    return dict(sorted(out.items()))


def completion_rate(sid: str) -> Fraction:
    """Illustrative: 0.9 of filled entry posts complete a run-through pathway; 0.75 an uncoupled
    one (anaesthetics, core psychiatry, core surgery, internal medicine), whose core trainees must
    win a competitive higher-training post."""
    return COMPLETION_UNCOUPLED if sid in UNCOUPLED else COMPLETION_RUN_THROUGH


def pipeline_block(areas: list[Area], specialties: list[tuple[str, str]]) -> dict[str, Any]:
    """The ``pipeline`` block (docs/model.md §10): published settle rate (0.8), GP join rate and
    lags (Palmer et al.), delay kernels from the GMC rule; completion, join (other than GP),
    leave and fill rates illustrative. ``stock`` is left out (no consultant or GP stock by
    region and specialty is vendored): S0 = 0, so the stock counts the doctors who complete
    training from 2026 on, from the baseline intakes before the plan and the plan's intakes."""
    rows = []
    for sid, _ in specialties:
        kernel = whole_shares(pipeline_kernel(sid))
        join = gp_join()[0] if sid == "general-practice" else JOIN_RATE_OTHER
        rows.append(
            {
                "specialty": sid,
                "completion_rate": r4(completion_rate(sid)),
                "delay_years": list(kernel),
                "delay_shares": list(kernel.values()),
                "settle_rate": r4(SETTLE_RATE),
                "join_rate": r4(join),
                "leave_rate": r4(LEAVE_RATE),
            }
        )
    return {
        "horizon_year": PIPELINE_HORIZON,
        "mobility": "need",
        "specialties": rows,
        "fill_rate": [
            {"region": a.id, "specialty": sid, "rate": r4(FILL_RATE)} for a in areas for sid, _ in specialties
        ],
        "assess_years": list(PIPELINE_ASSESS_YEARS),
    }


def pipeline_source_entries() -> list[dict[str, str]]:
    """The ``sources`` entries of the pipeline block (added to the regions' entries)."""
    lengths = ", ".join(f"{sid} {n}" for sid, n in PROGRAMME_YEARS.items())
    kernels = "; ".join(
        f"{n} years: {', '.join(str(d) for d in training_kernel(n))}" for n in sorted(set(PROGRAMME_YEARS.values()))
    )
    gp = pipeline_kernel("general-practice")
    gp_text = ", ".join(f"{d} ({float(q):.4f})" for d, q in gp.items())
    return [
        entry(
            id="gmc-training-pathways-2017",
            table="Training pathways: analysis of the time doctors take to complete specialty training (working paper)",
            publisher="General Medical Council",
            year="2017",
            licence="figures cited with attribution; no data copied",
            kind="published",
            used_for="pipeline.specialties[].delay_years and delay_shares (the rule of est-delay-kernels)",
            note="Five-year programmes take 5.5 years on average, seven-year programmes 9 years "
            "(less than full-time training, breaks, time out of programme).",
        ),
        entry(
            id="nhse-settle-2023",
            table="Share of doctors who settle within 50 miles of where they trained",
            publisher="NHS England (Population Medicine, 2023)",
            year="2023",
            licence="figure cited with attribution; no data copied",
            kind="published",
            used_for="pipeline.specialties[].settle_rate (0.8, every specialty)",
            note="About 80 % of doctors settle within 50 miles of where they trained. An NHS "
            "England region is wider than a 50-mile circle around most training sites, so 0.8 is, "
            "if anything, a low settle rate for regions (one reason for choosing NHS England "
            "regions for this instance). Applied to every specialty alike.",
        ),
        entry(
            id="palmer-2025-gp-joiners",
            table="Joining the NHS general practice workforce after completing GP training in England",
            publisher="Palmer et al., Human Resources for Health",
            year="2025",
            licence="figures cited with attribution (open-access article); no data copied",
            kind="published",
            used_for="pipeline.specialties[general-practice].join_rate (0.62) and its delay_years "
            "and delay_shares (with est-delay-kernels)",
            note="Of GP trainees completing, 34 % had joined NHS general practice within 6 months, "
            "47 % within a year, 62 % within two. join_rate = 0.62 (later joiners are not "
            "counted); of the joiners 47/62 join in the year they complete and 15/62 a year later, "
            f"so the GP kernel (years from entry: share) is {gp_text}.",
        ),
        entry(
            id="est-programme-years",
            table="Indicative length of each training pathway from CT1/ST1 entry to CCT",
            publisher="this project (instances/build.py: PROGRAMME_YEARS)",
            year=str(BASELINE_YEAR),
            licence=OWN,
            kind="estimated",
            used_for="specialties[].programme_years",
            note="Indicative full length of each curriculum, core plus higher training for "
            f"uncoupled programmes (not vendored; taken as common knowledge of the curricula): {lengths}.",
        ),
        entry(
            id="est-delay-kernels",
            table="Years from entry to completion and the share completing after each",
            publisher="this project (instances/build.py: training_kernel, pipeline_kernel)",
            year=str(BASELINE_YEAR),
            licence=OWN,
            kind="estimated",
            used_for="pipeline.specialties[].delay_years and delay_shares",
            note="Mean extra time e = 0.5 year for programmes of 5 years or fewer and e = 0.5 + "
            "0.75 × (L − 5) beyond (the line through the GMC's published 5 → 5.5 and 7 → 9); "
            "completion in equal shares over L, …, L + n with n = 2e rounded half up (mean L + "
            f"n/2). Kernels: {kernels}. General practice: convolved with the joining lag of "
            "palmer-2025-gp-joiners (its kernel runs from entry to joining NHS general practice). "
            "Shares rounded to 4 decimals by largest remainder so that they sum to 1.",
        ),
        entry(
            id="est-completion-rate",
            table="Share of filled entry posts that complete training",
            publisher="this project (instances/build.py: completion_rate)",
            year=str(BASELINE_YEAR),
            licence=OWN,
            kind="estimated",
            used_for="pipeline.specialties[].completion_rate",
            note=f"Illustrative, not published: {float(COMPLETION_RUN_THROUGH):g} for run-through "
            f"pathways; {float(COMPLETION_UNCOUPLED):g} for the uncoupled ones ({', '.join(UNCOUPLED)}), "
            "whose core trainees must win a competitive higher-training post.",
        ),
        entry(
            id="est-join-rate",
            table="Share of completers who join the NHS workforce in England (other than GP)",
            publisher="this project (instances/build.py: JOIN_RATE_OTHER)",
            year=str(BASELINE_YEAR),
            licence=OWN,
            kind="estimated",
            used_for="pipeline.specialties[].join_rate (every specialty but general-practice)",
            note=f"Illustrative, not published: {float(JOIN_RATE_OTHER):g} (some completers "
            "emigrate, work abroad or outside the NHS).",
        ),
        entry(
            id="est-leave-rate",
            table="Share of the trained stock leaving each year",
            publisher="this project (instances/build.py: LEAVE_RATE)",
            year=str(BASELINE_YEAR),
            licence=OWN,
            kind="estimated",
            used_for="pipeline.specialties[].leave_rate",
            note=f"Illustrative, not published: {float(LEAVE_RATE):g} a year for every specialty "
            "(about a 25-year career: retirement, emigration, leaving the NHS).",
        ),
        entry(
            id="est-fill-rate",
            table="Share of training posts filled",
            publisher="this project (instances/build.py: FILL_RATE)",
            year=str(BASELINE_YEAR),
            licence=OWN,
            kind="estimated",
            used_for="pipeline.fill_rate",
            note=f"Illustrative, not published: {float(FILL_RATE):g} in every region and "
            "specialty (NHS England publishes fill rates by specialty; they are not vendored).",
        ),
        entry(
            id="est-stock",
            table="Trained workforce in the baseline year",
            publisher="this project (instances/build.py: pipeline_block)",
            year=str(BASELINE_YEAR),
            licence=OWN,
            kind="estimated",
            used_for="pipeline.stock (left out: S0 = 0)",
            note="No consultant or GP stock by region and specialty is vendored, so pipeline.stock "
            f"is absent and the stock counts only the doctors who complete training from "
            f"{BASELINE_YEAR + 1} on: from the baseline intakes of the years before the plan and "
            "from the plan's intakes. It is a flow of new doctors, not the whole workforce; "
            "leave_rate applies to it alike.",
        ),
        entry(
            id="est-pipeline-years",
            table="Evaluation horizon and assessed years",
            publisher="this project (instances/build.py: PIPELINE_HORIZON, PIPELINE_ASSESS_YEARS)",
            year=str(BASELINE_YEAR),
            licence=OWN,
            kind="estimated",
            used_for="pipeline.horizon_year, pipeline.assess_years, pipeline.mobility",
            note=f"A choice, not data: horizon {PIPELINE_HORIZON}, assessed years "
            f"{', '.join(map(str, PIPELINE_ASSESS_YEARS))}; mobility 'need' (completers who do not "
            "settle go where need is).",
        ),
    ]
