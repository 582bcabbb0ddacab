"""Typed findings (issue 12 item 4): frozen dataclasses with a ``kind``; decisions on ``kind``,
never on message words; ``to_dict()`` is the JSON of §9 and a finding still reads like one."""

from __future__ import annotations

import dataclasses

import pytest

import allocator
from allocator.analysis.diagnose import diagnosis
from allocator.core.data import problem_data
from allocator.model.findings import ConflictMember, Diagnosis, Finding, finding
from allocator.model.presolve import presolve_findings


def test_finding_is_frozen_and_reads_like_its_json():
    f = finding("lock", "north gp is locked", "lock_outside_capacity", 10, region="north", year=2025, bound="lock")
    with pytest.raises(dataclasses.FrozenInstanceError):
        f.message = "other"  # type: ignore[misc]
    assert f.to_dict() == {
        "constraint": "lock",
        "region": "north",
        "year": 2025,
        "message": "north gp is locked",
        "relax_by": 10.0,
        "bound": "lock",
    }
    assert f["message"] == "north gp is locked" and f.get("specialty") is None and "region" in f
    assert "kind" not in f.to_dict()  # the JSON of §9 is unchanged
    with pytest.raises(ValueError, match="unknown finding kind"):
        finding("lock", "x", "outside its capacity")


def test_presolve_decides_on_kind_not_words(base):
    base["capacity"] = [{"region": "north", "specialty": "gp", "max_posts": 50}]
    base["locks"] = [{"region": "north", "specialty": "gp", "year": 2025, "posts": 60}]
    d = problem_data(allocator.validate(base))
    (f,) = presolve_findings(d)
    assert isinstance(f, Finding) and f.kind == "lock_outside_capacity"
    # the conflict is stated from the kind: the same finding with other words still gives it
    reworded = dataclasses.replace(f, message="reworded")
    diag = diagnosis(d, findings=[reworded])
    assert isinstance(diag, Diagnosis) and diag.kind == "pre-solve"
    assert diag.conflict_status == "pre-solve"
    assert [m.constraint for m in diag.conflict] == ["lock", "capacity"]
    assert all(isinstance(m, ConflictMember) and m.kind == "data" for m in diag.conflict)
    assert diag.to_dict()["findings"] == [reworded.to_dict()]


def test_relaxation_diagnosis_is_typed(base):
    base["national_posts"] = [{"specialty": "gp", "year": 2025, "posts": 90}]
    base["transition"] = {"max_region_net_loss_rate": 0.0}
    d = problem_data(allocator.validate(base))
    assert presolve_findings(d) == []
    diag = diagnosis(d)
    assert diag.kind == "relaxation" and diag.constraints == ["region_net_loss"]
    assert {f.kind for f in diag.findings} == {"relaxation"}
    assert all(m.kind in ("row", "column") for m in diag.conflict)
    as_json = diag.to_dict()
    assert list(as_json) == [
        "summary",
        "actions",
        "constraints",
        "findings",
        "conflict",
        "conflict_status",
        "technical_detail",
    ]
    assert len(as_json["actions"]) == len(as_json["findings"]) and as_json["summary"].startswith("Allow ")
    assert allocator.solve(allocator.validate(base)).diagnosis == as_json


def test_whole_post_findings_have_kinds(base):
    base["national_posts"] = [{"specialty": "gp", "year": 2025, "posts": 100.5}]
    d = problem_data(allocator.validate(base))
    (f,) = presolve_findings(d, integer=True)
    assert f.kind == "not_whole"
    diag = diagnosis(d, findings=[f])
    assert "integrality" in [m.constraint for m in diag.conflict] or diag.conflict_status != "pre-solve"
