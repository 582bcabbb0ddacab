"""The constraint families of docs/model.md §5: one table, read by every backend, the diagnosis,
the shadow prices and the docs.

Each :class:`Family` holds what the rest of the package needs to know about one family:
its name (part of the contract), what indexes its rows, its sense and formula, when it is
present, what it means, how the direct HiGHS backend states it, whether its duals are
reported, its relaxation penalty, and the words used for it in diagnoses and shadow-price
sentences (:class:`Words`). The builders of the backends stay readable functions, one per
family, looked up by name in a dict each backend checks against :data:`FAMILIES`.

The independent checker (``allocator.analysis.check``) does **not** read this table: it
states every family again, on its own, so that it can catch a mistake made here.

Word templates are ``str.format`` templates. The fields they may use are listed on
:class:`Words`; the code that fills them (``analysis.diagnose``, ``analysis.shadow``)
computes the numbers and passes them in.
"""

from __future__ import annotations

from dataclasses import dataclass

CELL_KEYS = ("region", "specialty", "year")


@dataclass(frozen=True)
class Words:
    """What one family is called in sentences.

    Template fields: ``cell`` ("north gp"), ``region``, ``specialty``, ``year``, ``amount``,
    ``value``, ``verb`` ("raise"/"lower"), ``side`` ("maximum"/"minimum"), ``what`` ("cap",
    "minimum", "lock"), ``bound`` and ``new`` (a relaxed column bound), ``last`` ("the
    baseline", "its 2025 posts"), ``pct`` (the family's rate in %), ``plus`` (" + 3", the
    allowance), ``plus_posts`` (" + 3 posts"), ``py`` (programme years), ``limit`` (" (4 posts)"
    in the first year), ``half`` ("at least", "no more than", "exactly"), ``field``
    (``min_posts``/``max_posts``); in shadow sentences ``spec`` and ``region`` (display names),
    ``value`` (formatted), ``by`` (``|dual|``), ``by100`` (``100·|dual|``), ``lower`` ("would
    lower the objective by 0.8 ..."), ``pct``, ``plus_word`` (" plus 2 posts"), ``plus_posts``
    (" + 2 posts"), ``years`` (programme years) and ``scenario`` (a member's id, §12).
    """

    noun: str  # the family in running text
    relax: str = ""  # a relaxation that would make the instance solve
    rate: str = ""  # the rate of a rate-type limit: "a growth rate of"
    conflict: str = ""  # a member of a conflict (IIS): its upper bound or equality
    conflict_lower: str = ""  # ... its lower bound, where that reads differently
    shadow_up: str = ""  # shadow price, dual < 0: raising the bound lowers the objective
    shadow_down: str = ""  # shadow price, dual > 0: lowering the bound lowers the objective


@dataclass(frozen=True)
class Family:
    """One constraint family of docs/model.md §5.

    ``keys``: what indexes its rows (the keys of a ``binding`` record); ``sense``: ``=``,
    ``<=`` or ``range`` (a lower and an upper bound); ``formula`` and ``per`` as docs/model.md
    §5 writes them; ``present``: when it has rows; ``meaning``: what it means for a
    programme; ``highs``: how the direct HiGHS backend states it (``rows``, or ``column
    bounds`` of ``x``; Pyomo and PuLP always write rows); ``row_groups``: the names of its
    row groups in the Pyomo and PuLP models; ``definition``: it only defines auxiliary
    variables (reported in a conflict, never as the cause); ``reported``: its duals are
    reported as binding constraints (a definitional equality's dual restates the objective
    weights); ``penalty``: the feasibility relaxation's penalty per unit of violation
    (``None``: never relaxed), with ``why``; ``words``: its :class:`Words`; ``range_words``:
    the words where the national total of (s, t) is a range (v2), if they differ.
    """

    name: str
    keys: tuple[str, ...]
    sense: str
    formula: str
    per: str
    present: str
    meaning: str
    penalty: float | None
    why: str
    words: Words
    highs: str = "rows"
    row_groups: tuple[str, ...] = ()
    definition: bool = False
    reported: bool = True
    range_words: Words | None = None
    range_sense: str = ""  # the sense where the national total is a range, if it differs
    rate_field: str | None = None  # the instance's rate of a rate-type limit (ProblemData attribute)
    allowance_field: str | None = None  # ... and its allowance in posts

    @property
    def groups(self) -> tuple[str, ...]:
        """The row groups of the algebraic backends (the family's own name unless split)."""
        return self.row_groups or (self.name,)

    @property
    def ranged(self) -> bool:
        """Its binding rows are policy bounds worth HiGHS's bound ranging (``shadow.ranging``)."""
        return self.highs == "rows" and not self.definition


_SHRINK_NOTE = "(raise shrink_allowance or max_shrink_rate)"

FAMILIES: tuple[Family, ...] = (
    Family(
        "national_total",
        ("specialty", "year"),
        "=",
        "Σ_r x[r,s,t] = N[s,t]; *v2*: or min ≤ Σ_r x[r,s,t] ≤ max for a ranged entry",
        "each s, t",
        "always",
        "each year, the country trains exactly the agreed number in each specialty (or, for a range, a "
        "number within it); posts are redistributed, not created",
        100.0,
        "set by national commissioning and funding; a regional plan cannot change it, so relaxed last",
        Words(
            noun="national total",
            relax="{verb} the {year} national total of {cell} by {amount:g} posts",
            conflict="{specialty} must have exactly {value:g} posts nationally in {year} "
            "(it is the '{half}' half that conflicts)",
            shadow_up="one more {spec} post nationally in {year} (the total is {value}) would lower the objective "
            "by {by} with every region's fair share held fixed; fair shares in fact scale with the national "
            "total, so this is not the value of growing the programme",
            shadow_down="one fewer {spec} post nationally in {year} (the total is {value}) would lower the "
            "objective by {by} with every region's fair share held fixed; fair shares in fact scale with the "
            "national total, so this is not the value of shrinking the programme",
        ),
        range_sense="range",
        range_words=Words(
            noun="national range",
            relax="{verb} the {side} of the {year} national range of {cell} by {amount:g} posts",
            conflict="{specialty} must have {half} {value:g} posts nationally in {year} ({field} of its range)",
            shadow_up="raising the maximum of the {spec} national range in {year} (now {value}) by one post "
            "{lower} (fair shares follow the total chosen)",
            shadow_down="lowering the minimum of the {spec} national range in {year} (now {value}) by one post "
            "{lower} (fair shares follow the total chosen)",
        ),
    ),
    Family(
        "capacity",
        ("region", "specialty", "year"),
        "range",
        "min_posts ≤ x ≤ max_posts",
        "each r, s, t with an entry",
        "a `capacity` entry covers the cell",
        "a region cannot hold more posts than it has supervisors and placements for (`max_posts`), nor "
        "fewer than it must keep (`min_posts`)",
        1.0,
        "supervisors and placements: can be expanded or trimmed locally",
        Words(
            noun="capacity",
            relax="{verb} the {year} {what} for {region} {specialty} from {bound:g} to {new:g}",
            conflict="{cell} may hold at most {value:g} posts in {year} (max_posts)",
            conflict_lower="{cell} must hold at least {value:g} posts in {year} (min_posts)",
            shadow_up="one more training post of capacity for {spec} in {region} in {year} (the cap is {value}) "
            "{lower}",
            shadow_down="lowering the minimum for {spec} in {region} in {year} (now {value} posts) by one post {lower}",
        ),
        highs="column bounds",
        row_groups=("capacity_min", "capacity_max"),
    ),
    Family(
        "lock",
        ("region", "specialty", "year"),
        "=",
        "x = posts",
        "each lock",
        "a `locks` entry",
        "a decision already taken (a new school, a commissioned expansion) is kept exactly",
        20.0,
        "a dean's decision already taken (posts recruited, contracts signed): costly to reopen",
        Words(
            noun="lock",
            relax="{verb} the {year} {what} for {region} {specialty} from {bound:g} to {new:g}",
            conflict="{cell} is locked at {value:g} posts in {year}",
            shadow_up="locking one more post for {spec} in {region} in {year} (locked at {value}) {lower}",
            shadow_down="locking one post fewer for {spec} in {region} in {year} (locked at {value}) {lower}",
        ),
        highs="column bounds",
    ),
    Family(
        "flow",
        ("region", "specialty", "year"),
        "=",
        "x − x_prev = inc − dec",
        "each k",
        "always",
        "definition: `inc` and `dec` measure the year-on-year change",
        None,
        "definition of posts gained and lost",
        Words(noun="flow", conflict="definition: {cell} posts in {year} = {last} + posts gained − posts lost"),
        definition=True,
        reported=False,
    ),
    Family(
        "target_gap",
        ("region", "specialty", "year"),
        "=",
        "x − T = surplus − short",
        "each k",
        "always",
        "definition: `short` and `surplus` measure the distance from the fair share",
        None,
        "definition of shortfall and surplus",
        Words(
            noun="target gap",
            conflict="definition: {cell} posts in {year} − fair share {value:g} = surplus − shortfall",
        ),
        definition=True,
        reported=False,
        range_words=Words(
            noun="target gap",
            conflict="definition: {cell} posts in {year} − fair share of the national total = surplus − shortfall",
        ),
    ),
    Family(
        "growth_limit",
        ("region", "specialty", "year"),
        "<=",
        "inc ≤ max_growth_rate · x_prev + growth_allowance",
        "each k",
        "`max_growth_rate` is set",
        "a programme grows no faster than it can recruit supervisors, by the rate plus a small fixed "
        "allowance, so a tiny or empty programme can still start",
        1.0,
        "pace of change, a policy choice",
        Words(
            noun="growth limit",
            relax="let {cell} grow by {amount:g} more posts in {year} than the growth limit allows",
            rate="a growth rate of",
            conflict="{cell} may gain at most {pct}{plus} of {last} in {year}{limit}",
            shadow_up="letting {spec} in {region} grow by one more post in {year} than the growth limit allows "
            "({pct} a year{plus_word}: {value} posts) {lower}",
        ),
        rate_field="max_growth_rate",
        allowance_field="growth_allowance",
    ),
    Family(
        "shrink_limit",
        ("region", "specialty", "year"),
        "<=",
        "dec ≤ max_shrink_rate · x_prev + shrink_allowance (*v2*: the allowance)",
        "each k",
        "`max_shrink_rate` is set",
        "a programme loses no more than a fraction of its posts a year, plus `shrink_allowance` posts, so "
        "that in whole posts a small programme can still lose one",
        1.0,
        "pace of change, a policy choice",
        Words(
            noun="shrink limit",
            relax="let {cell} shrink by {amount:g} more posts in {year} than the shrink limit allows " + _SHRINK_NOTE,
            rate="a shrink rate of",
            conflict="{cell} may lose at most {pct} of {last}{plus_posts} in {year}{limit}",
            shadow_up="letting {spec} in {region} shrink by one more post in {year} than the {pct}{plus_posts} "
            "shrink limit allows ({value} posts) {lower}",
        ),
        rate_field="max_shrink_rate",
        allowance_field="shrink_allowance",
    ),
    Family(
        "programme_shrink",
        ("region", "specialty", "year"),
        "<=",
        "dec ≤ x_prev / programme_years[s] (only if `shrink_by_programme_length`)",
        "each k",
        "`shrink_by_programme_length` is true",
        "a programme shrinks no faster than about one cohort (1/length) a year, so trainees already in post can finish",
        1.0,
        "pace of change tied to programme length, a policy choice",
        Words(
            noun="programme shrink",
            relax="let {cell} shrink by {amount:g} more posts in {year} than its programme length allows",
            rate="a programme shrink of",
            conflict="{cell} may lose at most 1/{py:g} of {last} in {year}, as a {py:g}-year programme{limit}",
            shadow_up="letting {spec} in {region} shrink by one more post in {year} than its {years}-year "
            "programme allows (1/{years} of last year's posts: {value}) {lower}",
        ),
    ),
    Family(
        "region_net_loss",
        ("region", "year"),
        "<=",
        "Σ_s (dec − inc) ≤ max_region_net_loss_rate · Σ_s x_prev",
        "each r, t",
        "`max_region_net_loss_rate` is set",
        "summed over its specialties, a region's net loss in a year is capped, which protects its workforce as a whole",
        1.0,
        "pace of change for a region, a policy choice",
        Words(
            noun="regional net-loss limit",
            relax="allow {cell} to lose {amount:g} more posts in {year} than the regional net-loss limit",
            rate="a regional net-loss limit of",
            conflict="{region} may lose at most {pct} of {last}, net, in {year}{limit}",
            shadow_up="letting {region} lose one more post in {year} than the {pct} limit ({value} posts, all "
            "specialties together) {lower}",
        ),
        rate_field="max_region_net_loss_rate",
    ),
    Family(
        "national_moves",
        ("year",),
        "<=",
        "Σ_{r,s} dec ≤ max_national_moves",
        "each t",
        "`max_national_moves` is set",
        "a cap on how many posts the country relocates in a year (administrative and recruitment capacity)",
        1.0,
        "pace of change nationally, a policy choice",
        Words(
            noun="national moves limit",
            relax="allow {amount:g} more posts to move nationally in {year}",
            conflict="at most {value:g} posts may be lost by regions (moved) in {year}",
            shadow_up="letting one more post move between regions in {year} (the limit is {value}) {lower}",
        ),
    ),
    Family(
        "budget",
        ("year",),
        "<=",
        "Σ_{r,s} c[r,s] · x ≤ amount",
        "each budgeted t",
        "a `budget` entry for the year",
        "the cost of the year's posts stays within the amount",
        5.0,
        "money can be found, but needs a finance sign-off",
        Words(
            noun="budget",
            relax="raise the {year} budget by {amount:g}",
            conflict="the {year} budget is {value:g}",
            shadow_up="one more unit of budget in {year} (the budget is {value}) {lower}",
        ),
    ),
    Family(
        "worst_shortfall",
        ("region", "specialty", "year"),
        "<=",
        "100 · short ≤ T · z",
        "each k with T > 0, only if its weight > 0",
        "the model's `worst_shortfall` weight is > 0",
        "definition: `z` is at least every cell's shortfall as a % of its fair share",
        None,
        "definition of the worst shortfall z",
        Words(
            noun="worst shortfall",
            conflict="definition: the worst shortfall z is at least the shortfall % of {cell} in {year}",
            shadow_up="{spec} in {region} in {year} is (one of) the furthest below its fair share, so it sets the "
            "worst shortfall: letting it fall one more post short would lower the objective by {by100}",
        ),
        definition=True,
    ),
    # ---- v2 §10: the workforce pipeline (present only with a `pipeline` block)
    Family(
        "stock_flow",
        ("region", "specialty", "year"),
        "=",
        "S[r,s,t] − (1 − ℓ_s) · S[r,s,t−1] − A[r,s,t] = 0, with A = j_s · (σ_s · C[r,s,t] + (1 − σ_s) · "
        "m[r,s,t] · P[s,t]) and C written out in x; P[s,t] = Σ_r' C[r',s,t] is defined once per "
        "specialty and year (row group `stock_flow_pool`)",
        "each r, s, evaluation year (and each s, evaluation year for P)",
        "a `pipeline` block",
        "definition: the trained workforce of a year is last year's, less leavers, plus the joiners "
        "trained from earlier years' posts",
        None,
        "definition of the stock of trained staff",
        Words(
            noun="stock flow",
            conflict="definition: the {year} stock of {cell} = last year's stock less leavers + joiners",
        ),
        row_groups=("stock_flow", "stock_flow_pool"),
        definition=True,
        reported=False,
    ),
    Family(
        "supply_gap",
        ("region", "specialty", "year"),
        "=",
        "S − S* = supply_surplus − supply_short, with S* = D / Σ_r' D · S_total and S_total[s,t] = Σ_r' S "
        "defined once per specialty and year (row group `supply_gap_total`)",
        "each r, s, assessed year (and each s, assessed year for S_total)",
        "a `pipeline` block",
        "definition: `supply_short` and `supply_surplus` measure the distance of the trained workforce "
        "from its fair share of the national workforce",
        None,
        "definition of the supply shortfall and surplus",
        Words(
            noun="supply gap",
            conflict="definition: {cell} stock in {year} − its fair stock = supply surplus − supply shortfall",
        ),
        row_groups=("supply_gap", "supply_gap_total"),
        definition=True,
        reported=False,
    ),
    Family(
        "worst_supply",
        ("region", "specialty", "year"),
        "<=",
        "100 · supply_short ≤ S̄* · z_S",
        "each r, s, assessed year with S̄* > 0, only if its weight > 0",
        "the model's `worst_supply` weight is > 0",
        "definition: `z_S` is at least every cell's supply shortfall as a % of its fair stock S̄*",
        None,
        "definition of the worst supply shortfall z_S",
        Words(
            noun="worst supply shortfall",
            conflict="definition: the worst supply shortfall z_S is at least the supply shortfall % of {cell} "
            "in {year}",
            shadow_up="{spec} in {region} in {year} is (one of) the furthest below its fair stock, so it sets the "
            "worst supply shortfall: letting it fall one more trained doctor short would lower the objective by "
            "{by100}",
        ),
        definition=True,
    ),
    # ---- v2 §11: teams and skill mix (present only with a `teams` block)
    Family(
        "team_gap",
        ("team", "region", "year"),
        "=",
        "E − T_g = team_surplus − team_short, with E = Σ_m e_m · x[r,m,t] (or the stocks) and "
        "T_g = D_g / Σ_r' D_g · Σ_r' E",
        "each team g, r, t",
        "a `teams` block",
        "definition: `team_short` and `team_surplus` measure the distance of a region's team capacity "
        "from its fair share",
        None,
        "definition of the team shortfall and surplus",
        Words(
            noun="team gap",
            conflict="definition: the team capacity of {cell} in {year} − its fair share = team surplus − "
            "team shortfall",
        ),
        definition=True,
        reported=False,
    ),
    Family(
        "team_mix",
        ("team", "specialty", "region", "year"),
        "<=",
        'e_m · x[r,m,t] ≤ max_share_m · E[r,g,t] (with `"on": "stock"`: e_m · S[r,m,t])',
        "each member with `max_share`, r, t",
        "a team member with `max_share`",
        "one profession provides at most a set share of a team's capacity in a region (associate roles "
        "work under a senior doctor and do not replace doctors)",
        1.0,
        "skill mix, a policy choice",
        Words(
            noun="skill-mix limit",
            relax="let {specialty} provide {amount:g} more of the {team} capacity of {region} in {year} than "
            "its max_share allows",
            conflict="{specialty} may provide at most {pct} of the {team} capacity of {region} in {year}",
            shadow_up="letting {spec} provide one more unit of the {team} capacity in {region} in {year} than "
            "its max_share allows {lower}",
        ),
    ),
    # ---- v3 §12: scenarios (present only with a `scenarios` block whose risk is worst or cvar)
    Family(
        "scenario_risk",
        ("scenario",),
        ">=",
        "`worst`: u ≥ L_ω; `cvar`: v_ω ≥ L_ω − η, v_ω ≥ 0, with L_ω = supply_shortfall · Σ supply_short_ω + "
        "supply_surplus · Σ supply_surplus_ω + worst_supply · z_S,ω",
        "each member scenario ω",
        'a `scenarios` block with `risk` `"worst"` or `"cvar"` (and supply weights in the model)',
        "definition: the risk term is at least each future's supply term (`worst`), or measures the "
        "expected excess over the level η of the worst futures (`cvar`)",
        None,
        "definition of the risk term",
        Words(
            noun="scenario risk",
            conflict="definition: the risk term is at least the supply term of the {scenario} future",
            shadow_up="the {scenario} future sets the risk term: one unit less of its supply term would lower "
            "the objective by {by}",
        ),
        definition=True,
    ),
)

#: ``{name: Family}`` in contract order.
BY_NAME: dict[str, Family] = {f.name: f for f in FAMILIES}
NAMES: tuple[str, ...] = tuple(BY_NAME)

#: Row group of the Pyomo and PuLP models -> its family (capacity is two groups).
ROW_GROUP_FAMILY: dict[str, str] = {g: f.name for f in FAMILIES for g in f.groups}

#: Not one of the families: the bound 0 of every variable, and whole posts. They may be
#: named in a conflict (as definitions), never relaxed.
NONNEGATIVITY = "nonnegativity"
#: Families that only define auxiliary variables, and ``nonnegativity``.
DEFINITIONS: tuple[str, ...] = (*(f.name for f in FAMILIES if f.definition), NONNEGATIVITY)


def family(name: str) -> Family:
    """The family called ``name`` (``KeyError`` naming the families if there is none)."""
    try:
        return BY_NAME[name]
    except KeyError:
        raise KeyError(f"no constraint family '{name}' (families: {', '.join(NAMES)})") from None


def words(name: str, ranged: bool = False) -> Words:
    """The words of a family (its range words where the national total is a range)."""
    f = family(name)
    return f.range_words if ranged and f.range_words is not None else f.words


def keys(name: str) -> tuple[str, ...]:
    """What indexes the rows of a family."""
    return family(name).keys


def check_builders(builders: dict, where: str) -> dict:
    """``builders`` (``{family name: function}`` of one backend) has one function for every
    family of the table and no other; returns it in table order. Raises ``RuntimeError``
    naming what is missing or unknown (a backend that forgot a new family fails on import)."""
    want = set(NAMES)
    have = set(builders)
    if have != want:
        missing, extra = sorted(want - have), sorted(have - want)
        raise RuntimeError(f"{where}: builders do not match the family table (missing {missing}, unknown {extra})")
    return {n: builders[n] for n in NAMES}


def builders_in(namespace: dict, where: str) -> dict:
    """The functions of a backend module named after the families (``{name: function}`` in
    table order), checked by :func:`check_builders`: one readable function per family, found
    by its name, so a backend that forgot a new family fails on import."""
    return check_builders({n: namespace[n] for n in NAMES if callable(namespace.get(n))}, where)


# ------------------------------------------------------------------------------------ docs

SENSE_TEXT = {"=": "=", "<=": "≤", ">=": "≥", "range": "≤ and ≥"}


def markdown_table() -> str:
    """The Markdown table of the families for ``docs/model.md`` (kept current by a test)."""
    head = (
        "| family | constraint | for | rows indexed by | present when | `highs` backend | relaxation penalty |"
        " what it means for a programme |\n"
        "|---|---|---|---|---|---|---|---|\n"
    )
    lines = []
    for f in FAMILIES:
        penalty = "never (a definition)" if f.penalty is None else f"{f.penalty:g}"
        form = "rows" if f.highs == "rows" else "column bounds of `x`"
        lines.append(
            f"| `{f.name}` | {f.formula} | {f.per} | {', '.join(f.keys)} | {f.present} | {form} | {penalty} |"
            f" {f.meaning} |"
        )
    return head + "\n".join(lines) + "\n"


DOCS_START, DOCS_END = "<!-- families:start -->\n", "<!-- families:end -->\n"


def with_table(text: str) -> str:
    """``text`` (docs/model.md) with the generated table between its two markers."""
    head, _, rest = text.partition(DOCS_START)
    _, found, tail = rest.partition(DOCS_END)
    if not found:
        raise ValueError("the markers of the family table are missing")
    return head + DOCS_START + markdown_table() + DOCS_END + tail


if __name__ == "__main__":  # python -m allocator.core.families docs/model.md: regenerate the table
    import sys
    from pathlib import Path

    for name in sys.argv[1:]:
        path = Path(name)
        path.write_text(with_table(path.read_text(encoding="utf-8")), encoding="utf-8")
