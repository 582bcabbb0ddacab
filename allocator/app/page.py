"""The Streamlit page of ``allocator app`` (run by :mod:`allocator.app.server`).

Top to bottom: the instance (shipped or uploaded) and its problems, the inputs that matter as
editable tables, the model, Solve, the result of a scenario, and the comparison of scenarios.
The sidebar holds the choices; all the work is in :mod:`allocator.app.logic`.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

import allocator
from allocator.app import logic as L
from allocator.solution import vocabulary as V

st.set_page_config(page_title="allocator: training posts toward need", layout="wide")

ss = st.session_state
ss.setdefault("scenarios", {})  # name -> logic.Scenario, in the order run
ss.setdefault("base", None)  # the instance as loaded (before edits)
ss.setdefault("source", "")
ss.setdefault("load_error", None)
ss.setdefault("choice_key", None)  # the sidebar's last choice: a new choice loads an instance
ss.setdefault("version", 0)  # bumped when a new instance is loaded: fresh editors
ss.setdefault("shown", None)
ss.setdefault("notice", None)

SHIPPED = L.shipped_instances()
MODELS = L.shipped_models()


def set_instance(inst: allocator.Instance, source: str) -> None:
    ss.base, ss.source, ss.load_error = inst, source, None
    ss.version += 1


def load(key, source: str, read) -> None:
    """Load an instance once per choice in the sidebar (a rerun of the page does not re-read
    it, and an instance set otherwise, relaxed or from a session, stays until the choice changes)."""
    if ss.choice_key == key:
        return
    ss.choice_key = key
    try:
        set_instance(read(), source)
    except allocator.InstanceError as err:
        ss.base, ss.source, ss.load_error = None, source, err


def show_problems(err: allocator.InstanceError, what: str) -> None:
    n = len(err.problems)
    st.error(f"{what}: {n} problem{'s' if n != 1 else ''}, by sheet, row and field below.", icon="⚠️")
    st.dataframe(L.problem_rows(err), hide_index=True, width="stretch")


def solve_and_keep(name: str, inst, spec, round_posts: bool, time_limit: float) -> L.Scenario:
    with st.status(f"Solving '{name}'…", expanded=True) as status:
        st.write(f"{len(inst.regions)} regions × {len(inst.specialties)} specialties × {len(inst.years)} years")
        sc = L.run_scenario(name, inst, spec, round_posts, time_limit, progress=st.write)
        res = sc.result
        state = "complete" if res.solved else "error"
        status.update(label=f"'{name}': {res.status} in {sc.seconds:.1f} s", state=state, expanded=False)
    ss.scenarios.pop(name, None)
    ss.scenarios[name] = sc
    ss.shown = name
    ss["show"] = name  # the scenario shown below (the selectbox is drawn after this)
    return sc


# --------------------------------------------------------------------------- sidebar

with st.sidebar:
    st.header("1 · Instance")
    mode = st.radio("Where from", ["A shipped instance", "Upload a file"], key="mode", horizontal=True)
    if mode == "A shipped instance":
        labels = list(SHIPPED)
        default = labels.index("england-regions-2025") if "england-regions-2025" in labels else 0
        label = st.selectbox("Instance", labels, index=default, key="shipped")
        if label:
            path = SHIPPED[label]
            load(("shipped", str(path)), path.name, lambda: allocator.load_instance(path))
    else:
        up = st.file_uploader(
            "Instance file",
            type=list(L.UPLOAD_TYPES),
            key="upload",
            help=f"JSON, an Excel workbook (see instances/template.xlsx) or a zip of CSV files; at most "
            f"{L.UPLOAD_LIMIT_MB} MB. Read as data only: no macro or formula is run.",
        )
        if up is not None:
            load(("upload", up.file_id), up.name, lambda: L.read_upload(up.name, up.getvalue()))

    st.header("2 · Model")
    model_label = st.selectbox("Model file", list(MODELS), key="model_file")
    try:
        base_spec = allocator.load_model(MODELS[model_label])
    except allocator.InstanceError as err:  # a broken model file on disk
        st.error(str(err))
        base_spec = allocator.DEFAULT_MODEL
    if base_spec.description:
        st.caption(" ".join(base_spec.description.split()))
    with st.expander("Objective weights", expanded=False):
        weights = {}
        for w in L.WEIGHTS:
            weights[w] = st.number_input(
                w.replace("_", " "),
                min_value=0.0,
                value=float(getattr(base_spec.objective, w)),
                step=0.01 if w == "moves" else 0.1,
                format="%.4g",
                help=L.WEIGHT_HELP[w],
                key=f"w_{model_label}_{w}",
            )
    changed = {w: v for w, v in weights.items() if v != getattr(base_spec.objective, w)}
    round_posts = st.checkbox("Whole posts", key="round_posts", help="Round to whole posts that keep every limit.")
    time_limit = st.number_input("Time limit (seconds)", min_value=1.0, max_value=3600.0, value=120.0, step=10.0)

    st.header("Session")
    if ss.scenarios:
        st.download_button(
            "Save session",
            L.session_bytes(list(ss.scenarios.values())),
            file_name="allocator-session.json",
            mime="application/json",
            on_click="ignore",
            help="The scenarios' instances (with your edits) and model weights, as one JSON file.",
        )
    saved = st.file_uploader("Reload a session", type=["json"], key="session_upload")
    if saved is not None and ss.get("session_key") != saved.file_id:
        ss.session_key = saved.file_id
        try:
            ss.pending_session = L.read_session(saved.getvalue(), saved.name)
        except allocator.InstanceError as err:
            ss.notice = ("error", err)

# --------------------------------------------------------------------------- header

st.title("Training posts toward population need")
st.caption(
    "Redistribute specialty training posts across regions toward need-based fair shares, within "
    "the limits you set (LP/MIP on HiGHS). Choose an instance and a model on the left."
)

if ss.notice:
    kind, err = ss.notice
    ss.notice = None
    show_problems(err, "The session cannot be reloaded")

pending = ss.pop("pending_session", None)
if pending:
    ss.scenarios = {}
    for name, inst, spec, whole in pending:
        solve_and_keep(name, inst, spec, whole, time_limit)
    set_instance(pending[-1][1], f"session: {pending[-1][0]}")
    st.success(f"Reloaded {len(pending)} scenario{'s' if len(pending) != 1 else ''} and solved them again.")

relax = ss.pop("pending_relax", None)
if relax in ss.scenarios:
    old = ss.scenarios[relax]
    relaxed, _ = L.relaxation(old.instance, old.result.diagnosis)
    if relaxed is not None:
        set_instance(relaxed, f"{old.instance.name} (relaxed)")
        solve_and_keep(f"{old.name} (relaxed)", relaxed, old.model, old.round_posts, time_limit)

if ss.load_error is not None:
    show_problems(ss.load_error, f"{ss.source} cannot be used")
base = ss.base
if base is None:
    if ss.load_error is None:
        st.info("Choose a shipped instance or upload one on the left.")
    st.stop()

# --------------------------------------------------------------------------- inputs

st.subheader(f"Instance: {base.name}")
if base.description:
    st.caption(" ".join(base.description.split())[:600])
c = st.columns(4)
c[0].metric("Regions", len(base.regions))
c[1].metric("Specialties", len(base.specialties))
c[2].metric("Planning years", f"{base.years[0]}–{base.years[-1]}" if len(base.years) > 1 else str(base.years[0]))
c[3].metric(f"Posts {base.baseline_year}", f"{sum(p.posts for p in base.baseline_posts):,.0f}")

PACING_HELP = {
    "phases": "A specialty moves from its from_year: before it, no region loses posts of it.",
    "transition_by_specialty": "A specialty's own limits, every year (empty year) or one year. An empty cell keeps "
    "the global limit; none removes a rate (0.05 or 5% sets it).",
    "floors": "From from_year, each cell (level cell) or region total (level region) holds at least "
    "share_of_target of its fair share, or closes at least convergence of its baseline shortfall a year. "
    "An empty region or specialty means all.",
}

with st.expander(
    "Inputs: transition limits, national totals, locks, capacity, phases, limits by specialty, floors (editable)",
    expanded=False,
):
    st.caption(
        "Edit a cell, add a row at the bottom of a table or delete rows (select and press Delete). "
        "An empty cell means no limit. Problems are shown below the tables, by table, row and field."
    )
    v = ss.version
    tabs = st.tabs([L.TITLES[k] for k in ("transition", *L.EDITABLE)])
    regions, specialties = base.region_ids, base.specialty_ids
    ids = {
        "region": st.column_config.SelectboxColumn("region", options=regions, required=True),
        "specialty": st.column_config.SelectboxColumn("specialty", options=specialties, required=True),
        "year": st.column_config.NumberColumn("year", min_value=0, step=1, format="%d"),
    }
    with tabs[0]:
        transition = st.data_editor(
            L.transition_table(base),
            key=f"ed_transition_{v}",
            hide_index=True,
            disabled=["limit", "meaning"],
            width="stretch",
            column_config={"value": st.column_config.NumberColumn("value", min_value=0.0, format="%.4g")},
        )
    edited = {}
    for tab, name in zip(tabs[1:], L.EDITABLE, strict=True):
        with tab:
            if name == "national_posts" and not base.national_posts:
                st.caption("No national totals given: each specialty keeps its baseline total. Add rows to set them.")
            if name == "capacity":
                st.caption("A capacity row without a year holds in every year.")
            config = ids
            if name in PACING_HELP:  # docs/model.md §5b
                st.caption(PACING_HELP[name])
            if name == "floors":
                config = ids | {
                    "region": st.column_config.SelectboxColumn("region", options=regions),
                    "specialty": st.column_config.SelectboxColumn("specialty", options=specialties),
                    "level": st.column_config.SelectboxColumn("level", options=["cell", "region"]),
                }
            edited[name] = st.data_editor(
                L.editable_table(base, name),
                key=f"ed_{name}_{v}",
                num_rows="dynamic",
                width="stretch",
                column_config=config,
            )
    if st.button("Undo all edits"):
        ss.version += 1
        st.rerun()

try:
    inst = L.apply_edits(base, edited, transition, source=f"{base.name} (edited)")
    edit_error = None
except allocator.InstanceError as err:
    inst, edit_error = None, err
if edit_error is not None:
    show_problems(edit_error, "The edited inputs cannot be used")
elif inst != base:
    st.info("The inputs are edited: the next run solves the edited instance.", icon="✏️")

# --------------------------------------------------------------------------- solve

st.subheader("3 · Run a scenario")
spec = base_spec
try:
    spec = L.model_with(base_spec, changed, name=f"{base_spec.name} (weights edited)" if changed else None)
except Exception as err:  # pydantic's range check on a weight
    st.error(f"A weight cannot be used: {err}")
    spec = None
c = st.columns([3, 1])
default_name = next(f"Run {i}" for i in range(len(ss.scenarios) + 1, 10**6) if f"Run {i}" not in ss.scenarios)
if ss.pop("fresh_name", True) or not ss.get("run_name"):
    ss["run_name"] = default_name  # a new default after each run (before the widget is drawn)
run_name = c[0].text_input("Name this run", key="run_name", max_chars=80).strip()
c[1].write("")
c[1].write("")
go = c[1].button("Solve", type="primary", disabled=inst is None or spec is None, width="stretch")
st.caption(
    f"Model: {spec.name if spec else '—'}"
    + (f" · weights changed: {', '.join(f'{k} = {v:g}' for k, v in changed.items())}" if changed else "")
    + (" · whole posts" if round_posts else "")
    + (" · a run of the same name replaces it" if run_name in ss.scenarios else "")
)
if go and inst is not None and spec is not None:
    solve_and_keep(run_name or default_name, inst, spec, round_posts, time_limit)
    ss["fresh_name"] = True
    st.rerun()  # draw the page again: the new scenario shown, a new default name
ss["fresh_name"] = False

# --------------------------------------------------------------------------- result

if not ss.scenarios:
    st.stop()

st.divider()
names = list(ss.scenarios)
if ss.get("show") not in names:
    ss["show"] = ss.shown if ss.shown in names else names[-1]
shown = st.selectbox("Show scenario", names, key="show")
sc: L.Scenario = ss.scenarios[shown]
res = sc.result
st.subheader(f"Result: {sc.name}")
st.caption(
    f"{sc.instance.name} · model {sc.model.name} · status {res.status} · {sc.seconds:.1f} s"
    + (" · whole posts" if sc.round_posts else "")
)

box = st.success if res.solved else st.error
box("\n\n".join(L.headline(res, sc.instance)))

if res.solved:
    k, b = (
        res.kpis.sort_values("year").iloc[-1],
        (res.baseline_kpis.sort_values("year").iloc[-1] if res.baseline_kpis is not None else None),
    )
    m = st.columns(4)
    m[0].metric(V.label("gap_closed_pct"), f"{V.fmt('pct', k['gap_closed_pct'])}%")
    m[1].metric(
        V.label("gap_posts"),
        V.fmt("posts", k["gap_posts"]),
        None if b is None else V.fmt("posts", k["gap_posts"] - b["gap_posts"], sign=True),
        delta_color="inverse",
    )
    m[2].metric(
        V.name("gini"),
        V.fmt("gini", k["gini"]),
        None if b is None else V.fmt("gini", k["gini"] - b["gini"], sign=True),
        delta_color="inverse",
    )
    m[3].metric(L.MEASURES["posts_moved"], V.fmt("posts", float(pd.to_numeric(res.kpis["posts_moved"]).sum())))

    left, right = st.columns(2)
    with left:
        st.markdown("**The map of change**")
        if "change_map.png" in sc.files:
            st.image(sc.files["change_map.png"], width="stretch")
        else:
            st.caption("No map: these regions have no boundaries in the package. The change by region and specialty:")
            if "change_heatmap.png" in sc.files:
                st.image(sc.files["change_heatmap.png"], width="stretch")
    with right:
        st.markdown("**Posts per 100,000 need-weighted population, before and after**")
        if "per_100k.png" in sc.files:
            st.image(sc.files["per_100k.png"], width="stretch")
    per = L.per_100k(res, sc.instance)
    st.dataframe(L.rounded(per), hide_index=True, width="stretch")

    if sc.instance.need is not None:  # docs/model.md §3b: why a region's fair share is what it is
        st.markdown("**A region's fair share, explained** (equal per head, then each need factor in turn)")
        region_names = {r.id: r.name or r.id for r in sc.instance.regions}
        chosen = st.selectbox("Region", list(region_names), format_func=region_names.get, key="waterfall_region")
        table, png = L.waterfall(res, sc.instance, chosen)
        st.image(png, width="stretch")
        st.dataframe(L.rounded(table), hide_index=True, width="stretch")

    with st.expander("Area: one region's brief (fair share, waterfall, sensitivity, limits)", expanded=False):
        area_names = {r.id: r.name or r.id for r in sc.instance.regions}
        picked = st.selectbox("Area", list(area_names), format_func=area_names.get, key="area_region")
        cached = f"area::{sc.name}::{id(sc.result)}::{picked}"  # figures take a second: once per result and area
        if cached not in ss:
            ss[cached] = L.area(sc, picked)
        brief, brief_files = ss[cached]
        st.markdown("\n\n".join(brief.lead))
        shown = st.columns(2)
        for col, stem in zip(shown, ("waterfall", "sensitivity"), strict=True):
            if stem in brief.figures:
                col.image(brief.figures[stem], width="stretch")
        for title, frame in brief.tables.items():
            st.markdown(f"**{title}**")
            st.dataframe(L.rounded(frame), hide_index=True, width="stretch")
        st.markdown("**What holds its allocation back**")
        st.markdown("\n".join(f"- {s}" for s in brief.sentences) or "No limit of this region binds.")
        st.caption("Its assumptions and inputs: the Assumptions section below, and brief.html.")
        got = st.columns(3)
        for col, (fname, mime) in zip(
            got,
            (
                ("brief.html", "text/html"),
                ("brief.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
                ("waterfall.csv", "text/csv"),
            ),
            strict=True,
        ):
            col.download_button(
                fname,
                brief_files[fname],
                file_name=f"{L.slug(sc.name)}-{picked}-{fname}",
                mime=mime,
                on_click="ignore",
                key=f"dl_area_{fname}",
            )

    st.markdown("**The table of changes** (final year against the baseline)")
    ch = L.changes(res, sc.instance)
    if len(ch):
        st.dataframe(L.rounded(ch), hide_index=True, width="stretch", height=min(400, 38 + 35 * len(ch)))
    else:
        st.caption("No post moves.")

    st.markdown("**What holds the allocation back**")
    held = L.holding_back(sc)
    if held:
        st.markdown("\n".join(f"- {s}" for s in held))
        st.caption("Shadow prices: each holds for a small change of one limit at a time.")
    elif sc.round_posts:
        st.caption("Whole-post results have no shadow prices: solve without whole posts to see them.")
    else:
        st.caption("No limit binds: the allocation reaches its targets.")
elif res.status == "infeasible" and res.diagnosis:
    diag = res.diagnosis
    st.markdown("**The diagnosis: what to change**")
    table, detail = L.diagnosis_view(diag)
    if len(table):
        st.dataframe(table, hide_index=True, width="stretch")
    if detail:
        with st.expander("Technical detail"):
            st.caption("How the conflict was found, the solver's conflict set and the raw relaxation figures.")
            st.markdown("\n".join(f"- `{line}`" for line in detail))
    relaxed, words = L.relaxation(sc.instance, diag)
    if relaxed is not None:
        st.markdown("**The relaxation the diagnosis proposes**")
        st.markdown("\n".join(f"- {w}" for w in words))
        if st.button("Apply the relaxation and solve again", type="primary"):
            ss["pending_relax"] = sc.name  # done at the top of the next run, before the widgets
            st.rerun()
    else:
        st.info(" ".join(words) + " Change the inputs above by hand.")

with st.expander("Assumptions: model, limits, totals, capacity, need, optional blocks, inputs", expanded=False):
    st.caption(
        "What this result assumed and what it was computed from; the same section is in report.html and the "
        "Assumptions sheet of report.xlsx."
    )
    for title, table in L.assumptions(sc):
        st.markdown(f"**{title}**")
        st.dataframe(table, hide_index=True, width="stretch")

st.markdown("**Downloads**")
d = st.columns(5)
stem = L.slug(sc.name)
downloads = [
    ("report.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "report.xlsx"),
    ("report.html", "text/html", "report.html"),
    ("result.json", "application/json", "result.json"),
    ("instance.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "instance workbook"),
]
for col, (fname, mime, label) in zip(d, downloads, strict=False):
    if fname in sc.files:
        col.download_button(
            label, sc.files[fname], file_name=f"{stem}-{fname}", mime=mime, on_click="ignore", key=f"dl_{stem}_{fname}"
        )
if d[4].button("Remove this scenario", key=f"rm_{stem}"):
    ss.scenarios.pop(sc.name, None)
    ss.shown = None
    ss["fresh_name"] = True
    st.rerun()

# --------------------------------------------------------------------------- compare

solved = [s for s in ss.scenarios.values() if s.solved]
st.divider()
st.subheader("4 · Compare scenarios")
if len(solved) < 2:
    st.caption("Run a second scenario (another model, other weights or edited inputs) to compare them here.")
    st.stop()
base_name = st.selectbox("Baseline", [s.name for s in solved], key="compare_base")
st.markdown("**Headline measures** (final year; Δ = scenario minus baseline)")
st.dataframe(L.compare_text(L.compare(solved, base_name)), width="stretch")
st.markdown("**Posts per region** (final year)")
regions_frame = L.compare_regions(solved, base_name)
st.dataframe(L.rounded(regions_frame, "posts"), width="stretch")
deltas = [c for c in regions_frame.columns if str(c).startswith("Δ ")]
if deltas and (regions_frame[deltas].abs() > 0.05).any().any():
    st.markdown("**Change in posts per region against the baseline**")
    st.bar_chart(regions_frame[deltas], horizontal=True, stack=False)
advice = L.compare_advice(solved, base_name, regions_frame)
if advice:
    st.caption(" ".join(advice))
