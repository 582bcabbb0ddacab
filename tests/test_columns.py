"""The direct backend's public variable layout (``Columns``): names, spans and locate."""

from __future__ import annotations

from pathlib import Path

import pytest

from allocator.core.data import problem_data
from allocator.io.instance import load_instance
from allocator.model.backends.highs import Columns

TOY = Path(__file__).resolve().parents[1] / "instances" / "toy" / "toy-3x2.json"


@pytest.mark.parametrize("with_z", [False, True])
def test_every_column_located_once(with_z):
    d = problem_data(load_instance(TOY))
    v = Columns(d, with_z)
    assert v.names == ("x", "inc", "dec", "short", "surplus") + (("z",) if with_z else ())
    seen = []
    for name in v.names:
        for j in range(v.n)[v.span(name)]:
            where = v.locate(j)
            assert where.variable == name
            if name == "z":
                assert (where.r, where.s, where.t) == (None, None, None)
            else:
                assert v.span(name).start + v.cell[where.r, where.s, where.t] == j
            seen.append(j)
    assert sorted(seen) == list(range(v.n))


def test_unknown_columns_and_names():
    d = problem_data(load_instance(TOY))
    v = Columns(d, with_z=False)
    with pytest.raises(KeyError):
        v.span("z")
    with pytest.raises(KeyError):
        v.span("y")
    with pytest.raises(IndexError):
        v.locate(v.n)
