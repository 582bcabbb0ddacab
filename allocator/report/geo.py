"""Boundaries for maps: vendored GeoJSON polygons matched to an instance's regions.

Two layers ship in ``allocator/data/boundaries/`` (ONS, Open Government Licence v3.0; see
``PROVENANCE.md`` there):

- ``nhs-regions``: the 7 NHS England regions (2023 definitions), matched by ONS code
  (``E40000003``), ODS code (``Y56``) or name ("London", id ``london``);
- ``icb``: the 42 integrated care boards (July 2022), matched by ODS code (``QHM``), ONS
  code (``E54000008``) or name ("NHS Cheshire and Merseyside ICB").

A map is drawn only when *every* region of an instance matches a distinct feature of one
layer; training regions (deaneries) and synthetic instances have no boundaries here, and
:func:`match_regions` says why. Nothing here reads outside the package.

Coordinates are WGS84 longitude/latitude. :func:`draw` plots them in an equirectangular
projection whose aspect is ``1 / cos(mean latitude)``, so England is neither squashed nor
upside down, with matplotlib alone (no geopandas).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import numpy as np

BOUNDARIES = Path(__file__).resolve().parents[1] / "data" / "boundaries"

LAYERS = {
    "nhs-regions": (
        "nhs_england_regions_2023_dissolved_from_icb2022_wgs84.geojson",
        ("nhser_ons_code", "nhser_ods_code", "nhser_name"),
        "nhser_name",
    ),
    "icb": (
        "icb_july2022_buc_simplified_wgs84.geojson",
        ("icb_ods_code", "icb22cd", "icb23cd", "icb22nm"),
        "icb22nm",
    ),
}

ATTRIBUTION = (
    "Boundaries: Office for National Statistics, Open Government Licence v3.0; contains OS data "
    "© Crown copyright and database right."
)

_DROP_WORDS = {"nhs", "icb", "integrated", "care", "board", "the", "and", "of"}


def normalise(text: str) -> str:
    """A matching key: lower case, words only, without 'NHS', 'ICB', 'and', 'the', 'of'.

    >>> normalise("North East and Yorkshire") == normalise("north-east-and-yorkshire")
    True
    >>> normalise("NHS Cheshire and Merseyside Integrated Care Board") == normalise("NHS Cheshire and Merseyside ICB")
    True
    """
    words = re.findall(r"[a-z0-9]+", text.lower())
    return " ".join(w for w in words if w not in _DROP_WORDS)


@dataclass(frozen=True)
class Feature:
    """One boundary: its matching keys, display name and outer rings (each an (n, 2) lon/lat array)."""

    name: str
    keys: frozenset[str]
    rings: tuple[np.ndarray, ...] = field(repr=False)


@cache
def load_layer(layer: str) -> tuple[Feature, ...]:
    """The features of one vendored layer (``nhs-regions`` or ``icb``)."""
    filename, key_props, name_prop = LAYERS[layer]
    data = json.loads((BOUNDARIES / filename).read_text())
    out = []
    for feat in data["features"]:
        props = feat["properties"]
        keys = frozenset(normalise(str(props[k])) for k in key_props if props.get(k))
        geom = feat["geometry"]
        polys = geom["coordinates"] if geom["type"] == "MultiPolygon" else [geom["coordinates"]]
        # outer rings only: the vendored layers have no holes (PROVENANCE.md)
        rings = tuple(np.asarray(poly[0], float) for poly in polys)
        out.append(Feature(str(props[name_prop]), keys, rings))
    return tuple(out)


@dataclass(frozen=True)
class Match:
    """The outcome of matching an instance's regions to a boundary layer.

    Attributes
    ----------
    layer : the layer used, or ``None`` when no layer matched every region.
    features : region id → :class:`Feature` (empty without a layer).
    reason : why there is no map (empty when there is one).
    """

    layer: str | None
    features: dict[str, Feature]
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.layer is not None


def match_regions(regions: list[str], names: list[str | None] | None = None) -> Match:
    """Match every region (by id, then by name) to a distinct feature of one layer.

    Parameters
    ----------
    regions : region ids in instance order.
    names : display names in the same order (``None`` entries allowed).

    Returns
    -------
    Match
        The first layer in which every region matches exactly one feature and no two regions
        share a feature; otherwise ``layer=None`` and a ``reason`` naming the regions that the
        closest layer could not place.
    """
    names = names or [None] * len(regions)
    best: tuple[int, str, list[str]] | None = None
    for layer in LAYERS:
        feats = load_layer(layer)
        index: dict[str, Feature] = {}
        for f in feats:
            for k in f.keys:
                index.setdefault(k, f)
        found: dict[str, Feature] = {}
        missing = []
        for rid, name in zip(regions, names, strict=True):
            f = index.get(normalise(rid)) or (index.get(normalise(name)) if name else None)
            if f is None:
                missing.append(rid)
            else:
                found[rid] = f
        distinct = len({id(f) for f in found.values()}) == len(found)
        if not missing and distinct and regions:
            return Match(layer, found)
        if best is None or len(missing) < best[0]:
            best = (len(missing), layer, missing)
    if not regions:
        return Match(None, {}, "the instance has no regions")
    n, layer, missing = best
    shown = ", ".join(missing[:5]) + (f" and {len(missing) - 5} more" if len(missing) > 5 else "")
    if n == 0:
        return Match(None, {}, f"several regions match the same {layer} boundary")
    return Match(
        None,
        {},
        f"{n} of {len(regions)} regions have no boundary in the vendored layers (NHS England regions, ICBs): {shown}",
    )


def aspect(features: list[Feature]) -> float:
    """Equirectangular aspect ``1 / cos(mean latitude)`` for ``Axes.set_aspect``."""
    lats = np.concatenate([r[:, 1] for f in features for r in f.rings])
    return float(1.0 / np.cos(np.deg2rad((lats.min() + lats.max()) / 2)))


def label_point(feature: Feature, samples: int = 60) -> tuple[float, float, float]:
    """Where a label goes: the point inside the feature farthest from its boundary.

    A grid search for the pole of inaccessibility in the equirectangular plane (longitude
    scaled by ``cos(latitude)``), so a label of a region wrapped around another (South East
    around London) lands inside the region, not in the hole.

    Returns
    -------
    (lon, lat, radius) : the point and its distance to the boundary, in degrees of latitude.
    """
    from matplotlib.path import Path as MplPath

    k = 1.0 / aspect([feature])
    pts = np.concatenate(feature.rings)
    (x0, y0), (x1, y1) = pts.min(axis=0), pts.max(axis=0)
    gx, gy = np.meshgrid(np.linspace(x0, x1, samples), np.linspace(y0, y1, samples))
    grid = np.column_stack([gx.ravel(), gy.ravel()])
    inside = np.zeros(len(grid), bool)
    for ring in feature.rings:
        inside |= MplPath(ring).contains_points(grid)
    if not inside.any():
        cx, cy = pts.mean(axis=0)
        return float(cx), float(cy), 0.0
    cand = grid[inside]
    # distance from each candidate to every boundary segment, in the scaled plane
    segs = [(r[:-1], r[1:]) for r in feature.rings]
    a = np.concatenate([s[0] for s in segs]) * [k, 1]
    b = np.concatenate([s[1] for s in segs]) * [k, 1]
    c = cand * [k, 1]
    ab = b - a
    denom = np.where((ab**2).sum(axis=1) > 0, (ab**2).sum(axis=1), 1.0)
    t = np.clip(((c[:, None, :] - a[None]) * ab[None]).sum(axis=2) / denom[None], 0, 1)
    nearest = a[None] + t[..., None] * ab[None]
    dist = np.sqrt(((c[:, None, :] - nearest) ** 2).sum(axis=2)).min(axis=1)
    i = int(np.argmax(dist))
    return float(cand[i, 0]), float(cand[i, 1]), float(dist[i])


def draw(ax, features: dict[str, Feature], values: dict[str, float], cmap, norm, edgecolor="white") -> None:
    """Fill each region's polygons by its value on ``ax`` (matplotlib only).

    Regions without a value are drawn light grey. The axes get the equirectangular aspect
    and no ticks.
    """
    from matplotlib.collections import PolyCollection

    polys, colours = [], []
    for rid, f in features.items():
        v = values.get(rid)
        c = "#dddddd" if v is None or not np.isfinite(v) else cmap(norm(v))
        for ring in f.rings:
            polys.append(ring)
            colours.append(c)
    ax.add_collection(PolyCollection(polys, facecolors=colours, edgecolors=edgecolor, linewidths=0.6))
    allpts = np.concatenate(polys)
    pad = 0.2
    ax.set_xlim(allpts[:, 0].min() - pad, allpts[:, 0].max() + pad)
    ax.set_ylim(allpts[:, 1].min() - pad, allpts[:, 1].max() + pad)
    ax.set_aspect(aspect(list(features.values())))
    ax.set_xticks([])
    ax.set_yticks([])
    for side in ax.spines.values():
        side.set_visible(False)
