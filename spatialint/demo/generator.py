"""The embedded demo study: a SYNTHETIC twin-city region written as a real OpenStreetMap PBF.

:func:`write_demo` generates, deterministically from a seed, a made-up region of two
prefecture-level cities and writes it as an ``.osm.pbf`` file with pyosmium, tagged exactly as
real OpenStreetMap data is tagged, so every later stage reads it through the same code path as
real data.  Beside it goes ``truth.json``: the planted cases a correct analysis must find (and
the decoys it must not), so the pipeline can be tested end to end against known answers.

The region is not a real place.  It sits at a plausible, Hunan-like position (27.54–28.26°N,
112.38–114.62°E) and says so itself: every admin relation carries ``note=synthetic spatialint
demo`` and the truth file has ``"synthetic": true``.

Layout (x east, y north, km from 113.5°E 27.9°N; the region is x ∈ [-110, 110], y ∈ [-40, 40])
-------------------------------------------------------------------------------------------------
- 西城市 West City (admin_level 5, x < 0): 西城区 (x < -55, seat 西城 at (-80, 5)) and 西湖县
  (-55 < x < 0, seat 西湖镇).  东城市 East City (x > 0): 河东区 (0 < x < 45, seat 河东镇),
  东城区 (x > 45, y > -12, seat 东城 at (75, 10)) and 东山县 (x > 45, y < -12, seat 东山镇).
  Boundaries are relations of ``outer`` ways shared between neighbours, with an
  ``admin_centre`` place node.
- 清水河, a river flowing north at x ≈ -30 (through 西湖县), crossed by roads only on three
  bridges (``bridge=yes``, ``layer=1``), plus the rail viaducts.
- Road network on a 100 m lattice (jittered ±15 m): dense street grids in the two cities
  (primary every 1 km, secondary every 500 m, residential between, some one-way), rural road
  meshes (``unclassified``) with village grids in ten rural zones, the intercity road S312
  (``secondary``; winding, ``maxspeed=40``, through the hills at both ends), northern and
  southern rural roads, a north–south national road G9907 (``trunk``) through 河东区, and the
  expressway G9901 (``motorway``, two ``oneway=yes``
  carriageways with ``motorway_link`` diamond interchanges) running north–south past 东城 only.
- Rail: the high-speed line 东西高铁 (``railway=rail``, ``highspeed=yes``, ``maxspeed=350``,
  ``usage=main``) with stations 东城站 and 西城站; the intercity line 东西城际铁路
  (``usage=branch``, ``maxspeed=160``) from 东城站 via 河东站 to 西湖站; and metro line 1
  (``railway=subway``) in 东城 with three stations.
- Timing by design: from 东城站 to 西城 takes about 4 h by road alone (S312 is slow) but about
  1.5 h by road + HSR (≈154 km of HSR), so 西城 lies in 东城站's 3-hour circle only by rail.

``scale`` grows the same pattern: the city grids (half-size 3 km × √scale, at most 9 km), the
rural meshes (spacing 5 km / √scale, at least 1 km) and the number (20 × scale) and size
(half-width 0.5 km × scale^0.4, at most 2.5 km) of villages, so road nodes grow roughly
linearly: ≈28k at ``scale=1``, ≈90k at 4, ≈208k at 8.5, ≈518k at 22 (generation ≈0.4–0.8 s and
≈4–11 s, peak memory ≈130 MB and ≈210 MB; ``benchmarks/demo_scale.py``).  From ≈50 on villages
fill the rural zones and growth levels off near 1M road nodes.  The planted cases and the
timing claim hold at every scale.

Truth file (``truth.json``; other stages' tests code against exactly these keys)
-------------------------------------------------------------------------------
::

    {"synthetic": true, "seed": int, "scale": float,
     "n_road_nodes": int,          # distinct nodes of ways tagged highway=* (any value)
     "bbox": [w, s, e, n],         # degrees, the extract boundary (study edge)
     "units": [{"relation_id", "name", "name_en", "admin_level", "parent_relation_id"}],
     "places": [{"node_id", "name", "name_en", "place", "lon", "lat"}],
     "stations": [{"node_id", "name", "name_en", "service"}],  # highspeed|intercity|metro
     "border_dead_ends": [{"case_id", "node_id", "way_id", "lon", "lat", "unit_relation_id",
         "other_unit_relation_id", "other_node_id", "other_way_id", "gap_m",
         "planned_way_id"}],      # planned_way_id: the highway=construction way, or null
     "class_drops": [{"case_id", "way_ids", "border_node_id", "lon", "lat", "class_before",
         "class_after"}],
     "decoys": [{"case_id", "kind", "node_id", "lon", "lat"}],
         # kind: far_from_border | interior_cul_de_sac | study_edge | river_bank
     "longest_detour_case": "<case_id>",
     "corridors": {"better_connected": [name, name], "worse_connected": [name, name]},
     "expected": {"hsr_origin_station": "东城站", "far_place": "西城"}}

``node_id`` of a dead end is the road's end node (degree 1 among drivable roads);
``other_node_id`` is the nearest node of the other unit's roads across the border (the foot
of the perpendicular on a frontage road running along the border; no other node of that side
lies within 450 m of it, and a junction 500 m along the frontage road keeps a routable node
close by after graph simplification), ``other_way_id`` that frontage road (the nearest way,
by ≥ 50 m over any other), ``gap_m`` the geodesic distance between the two nodes.
``parent_relation_id`` is null for the two prefecture-level units.
"""

from __future__ import annotations

import json
import logging
import math
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyproj

from spatialint.errors import ConfigError, DataError
from spatialint.fileio import atomic_path

logger = logging.getLogger(__name__)

# --- frame ---------------------------------------------------------------------------------
ORIGIN_LON_DEG = 113.5
ORIGIN_LAT_DEG = 27.9
# Length of one degree on the WGS-84 ellipsoid at the origin's latitude (series expansion).
_PHI = math.radians(ORIGIN_LAT_DEG)
KM_PER_DEG_LAT = (111_132.954 - 559.822 * math.cos(2 * _PHI) + 1.175 * math.cos(4 * _PHI)) / 1e3
KM_PER_DEG_LON = (111_412.84 * math.cos(_PHI) - 93.5 * math.cos(3 * _PHI)) / 1e3
REGION_KM = (-110.0, -40.0, 110.0, 40.0)  # west, south, east, north
LATTICE_STEP_KM = 0.1
JITTER_M = 15.0
RURAL_NODE_EVERY = 3  # keep every 3rd straight-through lattice node on rural lines (300 m)
MAX_WAY_NODES = 1900  # OSM API limit is 2000 nodes per way
MAX_SCALE = 100.0  # villages saturate the rural zones from ~50 on (~0.9-1.0M road nodes)

# --- scale-dependent pattern ---------------------------------------------------------------
CITY_HALF_KM = 3.0  # at scale 1; grows with sqrt(scale)
CITY_HALF_MAX_KM = 9.0
MESH_SPACING_KM = 5.0  # at scale 1; shrinks with sqrt(scale)
MESH_SPACING_MIN_KM = 1.0
VILLAGES_PER_SCALE = 20
VILLAGE_HALF_KM = 0.5  # at scale 1; grows with scale ** 0.4
VILLAGE_HALF_MAX_KM = 2.5

#: Approximate scale needed for a number of road nodes (measured, see benchmarks/demo_scale.py).
SCALE_FOR_NODES = {200_000: 8.5, 500_000: 22.0}

NOTE = "synthetic spatialint demo"

# Admin geometry (km).
X_B1, X_B2, X_B3 = -55.0, 0.0, 45.0  # 西城区|西湖县, 西城市|东城市, 河东区|东城区+东山县
Y_B5 = -12.0  # 东城区|东山县
CENTRE_W = (-80.0, 5.0)
CENTRE_E = (75.0, 10.0)
# Stations sit ~70 m from a road junction (forecourt blocks / town grids), on their lines.
EAST_HSR = (74.75, -2.95)  # 东城站, beside 站前大道 (x=75) south of 东城
WEST_HSR = (-79.75, -5.45)  # 西城站, beside the southern approach (x=-80) of 西城
HEDONG_IC = (22.05, 2.15)  # 河东站, at the southern edge of 河东镇's grid
XIHU_IC = (-13.95, 2.15)  # 西湖站, at the southern edge of 西湖镇's grid

# Rural zones: (id, county, x0, x1, y0, y1); each holds a closed road mesh and villages.
ZONES = (
    ("Z1", "西城区", -107.0, -58.0, 17.0, 37.0),
    ("Z2", "西城区", -107.0, -58.0, -37.0, -7.0),
    ("Z3", "西湖县", -52.0, -34.0, 8.0, 37.0),
    ("Z4", "西湖县", -52.0, -34.0, -37.0, -2.0),
    ("Z5", "西湖县", -26.0, -3.0, 8.0, 37.0),
    ("Z6", "西湖县", -26.0, -3.0, -37.0, -2.0),
    ("Z7", "河东区", 3.0, 42.0, 12.0, 37.0),
    ("Z8", "河东区", 3.0, 42.0, -37.0, -1.0),
    ("Z9", "东城区", 48.0, 92.0, 25.0, 37.0),
    ("Z11", "东山县", 48.0, 92.0, -37.0, -15.0),
)

UNITS = (
    # key, name, name:en, level, parent key, seat place name
    ("W", "西城市", "West City", 5, None, "西城"),
    ("E", "东城市", "East City", 5, None, "东城"),
    ("WC", "西城区", "Xicheng District", 6, "W", "西城"),
    ("WH", "西湖县", "Xihu County", 6, "W", "西湖镇"),
    ("HD", "河东区", "Hedong District", 6, "E", "河东镇"),
    ("EC", "东城区", "Dongcheng District", 6, "E", "东城"),
    ("DS", "东山县", "Dongshan County", 6, "E", "东山镇"),
)
COUNTY_KEY = {"西城区": "WC", "西湖县": "WH", "河东区": "HD", "东城区": "EC", "东山县": "DS"}

SURNAMES = (
    ("李", "Li"),
    ("王", "Wang"),
    ("张", "Zhang"),
    ("刘", "Liu"),
    ("陈", "Chen"),
    ("杨", "Yang"),
    ("黄", "Huang"),
    ("赵", "Zhao"),
    ("周", "Zhou"),
    ("吴", "Wu"),
    ("徐", "Xu"),
    ("孙", "Sun"),
    ("马", "Ma"),
    ("朱", "Zhu"),
    ("胡", "Hu"),
    ("郭", "Guo"),
    ("何", "He"),
    ("高", "Gao"),
    ("林", "Lin"),
    ("罗", "Luo"),
)
SUFFIXES = (
    ("家村", "jiacun"),
    ("家湾", "jiawan"),
    ("家坪", "jiaping"),
    ("家冲", "jiachong"),
    ("家塘", "jiatang"),
    ("家铺", "jiapu"),
    ("家桥", "jiaqiao"),
    ("家岭", "jialing"),
    ("家坝", "jiaba"),
    ("家庄", "jiazhuang"),
)


@dataclass(frozen=True)
class DemoTruth:
    """The planted ground truth of one generated demo region (see the module docstring)."""

    seed: int
    scale: float
    n_road_nodes: int
    bbox: list[float]
    units: list[dict[str, Any]]
    places: list[dict[str, Any]]
    stations: list[dict[str, Any]]
    border_dead_ends: list[dict[str, Any]]
    class_drops: list[dict[str, Any]]
    decoys: list[dict[str, Any]]
    longest_detour_case: str
    corridors: dict[str, list[str]]
    expected: dict[str, str] = field(
        default_factory=lambda: {"hsr_origin_station": "东城站", "far_place": "西城"}
    )
    synthetic: bool = True

    def to_dict(self) -> dict[str, Any]:
        """The truth as the JSON object written to ``truth.json`` (``synthetic`` first)."""
        data = asdict(self)
        return {"synthetic": data.pop("synthetic"), **data}

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> DemoTruth:
        """Read a ``truth.json`` written by :func:`write_demo`."""
        with open(path, encoding="utf-8") as handle:
            return cls(**json.load(handle))


# --------------------------------------------------------------------------------------------
# geometry helpers


def km_to_lonlat(x_km: np.ndarray, y_km: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Local demo frame (km east/north of the origin) to WGS-84 degrees, rounded to OSM's 1e-7."""
    lon = ORIGIN_LON_DEG + np.asarray(x_km, float) / KM_PER_DEG_LON
    lat = ORIGIN_LAT_DEG + np.asarray(y_km, float) / KM_PER_DEG_LAT
    return np.round(lon, 7), np.round(lat, 7)


def river_x_km(y_km: np.ndarray | float) -> np.ndarray:
    """x (km) of the river 清水河 centreline at northing y (a gentle meander, |dx| ≤ 2 km)."""
    y = np.asarray(y_km, float)
    return (
        -30.0
        + 1.5 * np.sin(2 * np.pi * (y + 40.0) / 26.0)
        + 0.4 * np.sin(2 * np.pi * (y + 40.0) / 9.0 + 1.0)
    )


def _winding(
    p0: tuple[float, float], p1: tuple[float, float], *, amplitude_km: float, step_km: float
) -> tuple[np.ndarray, np.ndarray]:
    """Points of a winding road from p0 to p1: a sine offset across the chord, zero at both ends."""
    dx, dy = p1[0] - p0[0], p1[1] - p0[1]
    length = math.hypot(dx, dy)
    n = max(2, int(math.ceil(length / step_km)) + 1)
    t = np.linspace(0.0, 1.0, n)
    half_waves = max(1, round(length / 2.5))
    offset = amplitude_km * np.sin(np.pi * half_waves * t) * np.sin(np.pi * t) ** 0.3
    nx, ny = -dy / length, dx / length
    return p0[0] + dx * t + nx * offset, p0[1] + dy * t + ny * offset


def _polyline(
    points: list[tuple[float, float]], *, step_km: float
) -> tuple[np.ndarray, np.ndarray]:
    """Densify a polyline to points about ``step_km`` apart (vertices kept)."""
    xs: list[np.ndarray] = []
    ys: list[np.ndarray] = []
    for (x0, y0), (x1, y1) in zip(points[:-1], points[1:], strict=True):
        n = max(1, int(math.ceil(math.hypot(x1 - x0, y1 - y0) / step_km)))
        t = np.linspace(0.0, 1.0, n + 1)[:-1]
        xs.append(x0 + (x1 - x0) * t)
        ys.append(y0 + (y1 - y0) * t)
    xs.append(np.array([points[-1][0]]))
    ys.append(np.array([points[-1][1]]))
    return np.concatenate(xs), np.concatenate(ys)


def _snap(v: float) -> float:
    """Nearest lattice coordinate (km)."""
    return round(v / LATTICE_STEP_KM) * LATTICE_STEP_KM


# --------------------------------------------------------------------------------------------
# the builder


class _Region:
    """Accumulates the lattice road raster, free-form nodes/ways and relations of the region."""

    def __init__(self, seed: int) -> None:
        self.rng = np.random.default_rng(seed)
        w, s, e, n = REGION_KM
        self.i0 = round(-w / LATTICE_STEP_KM)
        self.j0 = round(-s / LATTICE_STEP_KM)
        self.ni = round((e - w) / LATTICE_STEP_KM) + 1
        self.nj = round((n - s) / LATTICE_STEP_KM) + 1
        # Road class code of each lattice edge: H[j, i] joins (i, j)-(i+1, j); V[j, i] joins
        # (i, j)-(i, j+1).  0 = no road.
        self.h = np.zeros((self.nj, self.ni - 1), np.int16)
        self.v = np.zeros((self.nj - 1, self.ni), np.int16)
        self.force = np.zeros((self.nj, self.ni), bool)
        self.thin = np.zeros((self.nj, self.ni), bool)
        self.styles: list[dict[str, str]] = [{}]
        self._style_code: dict[tuple[tuple[str, str], ...], int] = {}
        self.oneway_reverse: set[int] = set()
        self.id_grid: np.ndarray | None = None
        # free-form nodes (after the lattice nodes)
        self.node_x: list[np.ndarray] = []
        self.node_y: list[np.ndarray] = []
        self.n_nodes = 0
        self.node_tags: dict[int, dict[str, str]] = {}
        self.ways: list[tuple[int, list[int], dict[str, str]]] = []
        self.relations: list[tuple[int, list[tuple[str, int, str]], dict[str, str]]] = []

    # ---- lattice ----
    def ij(self, x: float, y: float) -> tuple[int, int]:
        return round(x / LATTICE_STEP_KM) + self.i0, round(y / LATTICE_STEP_KM) + self.j0

    def style(self, *, reverse: bool = False, **tags: str) -> int:
        """Integer code of a road style (its OSM tags); ``reverse`` = one-way against the
        lattice direction (west/south-bound)."""
        key = (*sorted(tags.items()), ("__reverse", str(reverse)))
        if key not in self._style_code:
            self._style_code[key] = len(self.styles)
            self.styles.append(dict(tags))
            if reverse:
                self.oneway_reverse.add(len(self.styles) - 1)
        return self._style_code[key]

    def paint_h(self, y: float, x0: float, x1: float, code: int) -> None:
        (ia, j), (ib, _) = self.ij(min(x0, x1), y), self.ij(max(x0, x1), y)
        self.h[j, ia:ib] = code

    def paint_v(self, x: float, y0: float, y1: float, code: int) -> None:
        (i, ja), (_, jb) = self.ij(x, min(y0, y1)), self.ij(x, max(y0, y1))
        self.v[ja:jb, i] = code

    def paint_box(self, x0: float, x1: float, y0: float, y1: float, code: int) -> None:
        """Every lattice street inside the box (a full 100 m grid)."""
        (ia, ja), (ib, jb) = self.ij(x0, y0), self.ij(x1, y1)
        self.h[ja : jb + 1, ia:ib] = code
        self.v[ja:jb, ia : ib + 1] = code

    def thin_h(self, y: float, x0: float, x1: float) -> None:
        """Keep no straight-through node on this stretch of row ``y`` (unless forced)."""
        (ia, j), (ib, _) = self.ij(x0, y), self.ij(x1, y)
        self.thin[j, ia : ib + 1] = True

    def thin_v(self, x: float, y0: float, y1: float) -> None:
        """Keep no straight-through node on this stretch of column ``x`` (unless forced)."""
        (i, ja), (_, jb) = self.ij(x, y0), self.ij(x, y1)
        self.thin[ja : jb + 1, i] = True

    def keep(self, x: float, y: float) -> None:
        i, j = self.ij(x, y)
        self.force[j, i] = True

    def lattice_node(self, x: float, y: float) -> int:
        """OSM id of the lattice node at (x, y) km (after :meth:`finish_lattice`)."""
        assert self.id_grid is not None
        i, j = self.ij(x, y)
        node = int(self.id_grid[j, i])
        if node == 0:
            raise AssertionError(f"no lattice node kept at ({x}, {y})")
        return node

    def finish_lattice(self) -> None:
        """Choose the lattice nodes to keep, give them ids and jittered positions, build ways."""
        h, v = self.h > 0, self.v > 0
        left = np.zeros((self.nj, self.ni), np.int16)
        right = np.zeros_like(left)
        down = np.zeros_like(left)
        up = np.zeros_like(left)
        left[:, 1:] = self.h
        right[:, :-1] = self.h
        down[1:, :] = self.v
        up[:-1, :] = self.v
        deg = (left > 0).astype(np.int8) + (right > 0) + (down > 0) + (up > 0)
        del h, v
        ii = np.arange(self.ni)[None, :]
        jj = np.arange(self.nj)[:, None]
        straight_h = (deg == 2) & (left > 0) & (left == right)
        straight_v = (deg == 2) & (down > 0) & (down == up)
        drop = (straight_h & ((ii % RURAL_NODE_EVERY != 0) | self.thin)) | (
            straight_v & ((jj % RURAL_NODE_EVERY != 0) | self.thin)
        )
        kept = (deg > 0) & ~(drop & ~self.force)
        n = int(kept.sum())
        ids = np.zeros((self.nj, self.ni), np.int64)
        ids[kept] = np.arange(1, n + 1)
        self.id_grid = ids
        jk, ik = np.nonzero(kept)  # row-major = id order
        jitter = self.rng.uniform(-JITTER_M, JITTER_M, size=(2, n)) / 1000.0
        self.node_x.append((ik - self.i0) * LATTICE_STEP_KM + jitter[0])
        self.node_y.append((jk - self.j0) * LATTICE_STEP_KM + jitter[1])
        self.n_nodes = n
        self.n_lattice_nodes = n
        self._lattice_ways(self.h, ids, horizontal=True)
        self._lattice_ways(self.v.T, ids.T, horizontal=False)

    def _lattice_ways(self, codes: np.ndarray, ids: np.ndarray, *, horizontal: bool) -> None:
        """One way per run of equal style along each lattice row (or column)."""
        rows, width = codes.shape
        padded = np.zeros((rows, width + 1), np.int16)
        padded[:, :width] = codes
        flat = padded.ravel()
        prev = np.concatenate([[0], flat[:-1]])
        starts = np.nonzero((flat != 0) & (flat != prev))[0]
        nxt = np.concatenate([flat[1:], [0]])
        ends = np.nonzero((flat != 0) & (flat != nxt))[0]
        for s, e in zip(starts.tolist(), ends.tolist(), strict=True):
            row, c0 = divmod(s, width + 1)
            c1 = e - row * (width + 1) + 1
            code = int(flat[s])
            nodes = ids[row, c0 : c1 + 1]
            nodes = nodes[nodes > 0].tolist()
            if code in self.oneway_reverse:
                nodes.reverse()
            self.add_way(nodes, self.styles[code])

    # ---- free-form objects ----
    def add_nodes(
        self, x: np.ndarray, y: np.ndarray, tags: list[dict[str, str] | None] | None = None
    ) -> list[int]:
        x = np.atleast_1d(np.asarray(x, float))
        y = np.atleast_1d(np.asarray(y, float))
        first = self.n_nodes + 1
        self.node_x.append(x)
        self.node_y.append(y)
        self.n_nodes += len(x)
        ids = list(range(first, first + len(x)))
        if tags is not None:
            for nid, t in zip(ids, tags, strict=True):
                if t:
                    self.node_tags[nid] = t
        return ids

    def add_node(self, x: float, y: float, tags: dict[str, str] | None = None) -> int:
        return self.add_nodes(np.array([x]), np.array([y]), [tags])[0]

    def add_way(self, nodes: list[int], tags: dict[str, str]) -> int:
        """Add a way (split into pieces of at most MAX_WAY_NODES); returns the first way id."""
        first = len(self.ways) + 1
        start = 0
        while True:
            piece = nodes[start : start + MAX_WAY_NODES]
            self.ways.append((len(self.ways) + 1, piece, dict(tags)))
            start += MAX_WAY_NODES - 1
            if start >= len(nodes) - 1:
                break
        return first

    def add_relation(self, members: list[tuple[str, int, str]], tags: dict[str, str]) -> int:
        rid = len(self.relations) + 1
        self.relations.append((rid, members, dict(tags)))
        return rid

    def coords(self) -> tuple[np.ndarray, np.ndarray]:
        return np.concatenate(self.node_x), np.concatenate(self.node_y)

    def ways_with_nodes(self, wanted: set[int]) -> dict[int, list[int]]:
        """Ids of the ways through each wanted node, in ascending way id (one pass)."""
        found: dict[int, list[int]] = {n: [] for n in wanted}
        for wid, nodes, _ in self.ways:
            for n in wanted.intersection(nodes):
                found[n].append(wid)
        return found


# --------------------------------------------------------------------------------------------
# the design


@dataclass(frozen=True)
class _Case:
    """A planted border dead end: side A ends near the border, side B runs along the far side."""

    case_id: str
    border: str  # "x" (vertical border at `at`) or "y" (horizontal)
    at: float  # border coordinate (for reading; the border itself comes from the units)
    along: float  # position of the gap along the border
    a_zone_edge: float  # where side A's spur leaves its zone
    a_end: float  # spur end (coordinate across the border line)
    b_zone_edge: float  # where side B's lanes leave their zone (G6: B is the existing road)
    b_line: float  # side B's frontage road parallel to the border
    a_unit: str
    b_unit: str
    planned: bool = False


# All positions are whole lattice steps (100 m), so nothing depends on rounding halves.
CASES = (
    # longest detour: far north, the only crossings of this border are S312 and the south road
    _Case("G1", "x", X_B2, 34.0, -3.0, -0.2, 3.0, 0.4, "WH", "HD"),
    _Case("G2", "x", X_B2, -31.5, 3.0, 0.3, -3.0, -0.2, "HD", "WH"),
    _Case("G3", "x", X_B2, -10.0, -3.0, -0.2, 3.0, 0.3, "WH", "HD", planned=True),
    _Case("G4", "x", X_B1, -25.0, -58.0, -55.3, -52.0, -54.8, "WC", "WH"),
    _Case("G5", "x", X_B3, 29.0, 42.0, 44.8, 48.0, 45.2, "HD", "EC"),
    _Case("G6", "y", Y_B5, 80.0, -15.0, -12.3, math.nan, -11.6, "DS", "EC"),
)


def _scale_params(scale: float) -> dict[str, float]:
    root = math.sqrt(scale)
    return {
        "city_half": _snap(min(CITY_HALF_KM * root, CITY_HALF_MAX_KM)),
        "mesh": max(MESH_SPACING_MIN_KM, MESH_SPACING_KM / root),
        "villages": round(VILLAGES_PER_SCALE * scale),
        "village_half": _snap(min(VILLAGE_HALF_KM * scale**0.4, VILLAGE_HALF_MAX_KM)),
    }


def _mesh_lines(a: float, b: float, spacing: float) -> list[float]:
    n = max(1, round((b - a) / spacing))
    return sorted({_snap(a + (b - a) * k / n) for k in range(n + 1)})


def _build(seed: int, scale: float) -> tuple[_Region, dict[str, Any]]:  # noqa: C901
    r = _Region(seed)
    p = _scale_params(scale)
    hc, mesh, vh = p["city_half"], p["mesh"], p["village_half"]
    st = r.style

    # ---------- styles
    unclassified = st(highway="unclassified")
    residential = st(highway="residential")
    res_fwd = st(highway="residential", oneway="yes")
    res_rev = st(highway="residential", oneway="yes", reverse=True)
    tertiary = st(highway="tertiary")
    connector = st(highway="tertiary", name="乡道")
    s312 = st(highway="secondary", ref="S312", name="东西公路", **{"name:en": "Dongxi Road"})
    north_w = st(highway="primary", ref="S218", name="北线公路", maxspeed="60")
    north_e = st(highway="unclassified", name="北线公路")
    r4_e = st(highway="secondary", ref="S219", name="北岭公路")
    r4_w = st(highway="unclassified", name="北岭公路")
    south = st(highway="tertiary", ref="X035", name="南线公路")
    approach = st(highway="primary", maxspeed="60")
    zhanqian = st(highway="primary", name="站前大道", maxspeed="60", **{"name:en": "Zhanqian Ave"})
    ring = st(highway="secondary", name="南环路", **{"name:en": "South Ring Road"})
    link_s = st(highway="secondary")
    dongshan = st(highway="secondary", name="东山路")
    east_road = st(highway="secondary", name="东岸路")

    vill_sites: list[tuple[float, float, tuple[float, float, float, float]]] = []
    # ---------- rural zones: villages first (meshes and named roads paint over them)
    zone_lines: dict[str, tuple[list[float], list[float]]] = {}
    for zid, _county, x0, x1, y0, y1 in ZONES:
        xs, ys = _mesh_lines(x0, x1, mesh), _mesh_lines(y0, y1, mesh)
        zone_lines[zid] = (xs, ys)
        for x in xs[1:-1]:
            for y in ys[1:-1]:
                vill_sites.append((x, y, (x0, x1, y0, y1)))
    order = r.rng.permutation(len(vill_sites))
    villages = [vill_sites[k] for k in order[: min(p["villages"], len(vill_sites))]]
    villages.sort(key=lambda v: (v[1], v[0]))
    for x, y, (x0, x1, y0, y1) in villages:
        r.paint_box(max(x - vh, x0), min(x + vh, x1), max(y - vh, y0), min(y + vh, y1), residential)
    # seat towns and the villages east of the expressway
    seat_half = _snap(min(1.6 * vh, 3.0))
    towns = {
        "河东镇": (22.0, 3.0),
        "西湖镇": (-14.0, 3.0),
        "东山镇": (66.0, -26.0),
    }
    for tx, ty in towns.values():
        r.paint_box(tx - seat_half, tx + seat_half, ty - seat_half, ty + seat_half, residential)
    east_villages = [(102.0, 30.0), (102.0, 10.0), (102.0, -26.0)]
    for tx, ty in east_villages:
        r.paint_box(tx - vh, tx + vh, ty - vh, ty + vh, residential)
    for zid, _county, x0, x1, y0, y1 in ZONES:
        xs, ys = zone_lines[zid]
        for x in xs:
            r.paint_v(x, y0, y1, unclassified)
        for y in ys:
            r.paint_h(y, x0, x1, unclassified)

    # ---------- the two city grids
    for cx, cy in (CENTRE_W, CENTRE_E):
        n = round(hc / LATTICE_STEP_KM)
        for k in range(-n, n + 1):
            if k % 10 == 0:
                code = approach
            elif k % 5 == 0:
                code = link_s
            elif k % 4 == 2:
                code = res_fwd if (k // 4) % 2 == 0 else res_rev
            else:
                code = residential
            off = k * LATTICE_STEP_KM
            r.paint_h(cy + off, cx - hc, cx + hc, code)
            r.paint_v(cx + off, cy - hc, cy + hc, code)

    # ---------- West City approaches
    wx, wy = CENTRE_W
    r.paint_h(wy, -109.8, wx - hc, approach)  # west: ends 200 m before the study edge (decoy)
    r.paint_h(wy, wx + hc, -68.0, approach)  # east gate: S312 starts here
    r.paint_v(wx, wy + hc, 17.0, approach)  # north to Z1
    r.paint_v(wx, wy - hc, -7.0, approach)  # south to Z2
    # ---------- East City approaches and the south side (better connected to 东山县)
    ex, ey = CENTRE_E
    r.paint_h(ey, 63.0, ex - hc, approach)  # west gate: S312
    r.paint_h(ey, ex + hc, 102.0, east_road)  # east across the expressway
    r.paint_v(ex, ey + hc, 25.0, approach)  # north to Z9
    r.paint_v(ex, ey - hc, -26.0, zhanqian)  # 站前大道 south past 东城站 to 东山镇
    r.paint_h(-5.0, 48.0, 92.0, ring)
    for x in (48.0, 55.0, 62.0, 68.0, 85.0, 92.0):
        r.paint_v(x, -15.0, -5.0, link_s)
    r.paint_h(-11.6, 68.0, 85.0, tertiary)  # G6 side B, 400 m north of the border
    r.paint_h(-26.0, 48.0, 102.0, dongshan)
    # station forecourts: small street blocks beside the access roads, so each station has a
    # road junction within ~100 m (networks snap stations to junctions of a simplified graph)
    r.paint_box(ex - 0.4, ex, -3.2, -2.8, residential)
    r.paint_box(wx, wx + 0.4, -5.7, -5.3, residential)
    r.paint_h(30.0, 92.0, 102.0, link_s)

    # ---------- S312 straight middle section, the north and south roads (bridges below)
    def river_gap(y: float) -> tuple[float, float]:
        xr = float(river_x_km(y))
        return _snap(xr - 0.3), _snap(xr + 0.3)

    bw, be = river_gap(3.0)
    r.paint_h(3.0, -40.0, bw, s312)
    r.paint_h(3.0, be, 42.0, s312)
    nw, ne = river_gap(37.0)
    r.paint_h(37.0, -107.0, -54.9, north_w)  # class drop C1 at x=-54.9
    r.paint_h(37.0, -54.9, nw, north_e)
    r.paint_h(37.0, ne, -3.0, north_e)
    r.paint_h(37.0, 3.0, 44.9, r4_w)  # class drop C2 at x=44.9
    r.paint_h(37.0, 44.9, 92.0, r4_e)
    sw, se = river_gap(-37.0)
    r.paint_h(-37.0, -107.0, sw, south)
    r.paint_h(-37.0, se, 92.0, south)
    # zone connectors to S312
    for x in (-38.0, -20.0, -5.0):
        r.paint_v(x, -2.0, 8.0, connector)
    for x in (6.0, 30.0):
        r.paint_v(x, -1.0, 12.0, connector)
    # national road through 河东区, north-south from edge to edge (it never helps east-west)
    trunk = st(highway="trunk", ref="G9907", name="南北国道", **{"name:en": "Nanbei Highway"})
    r.paint_v(30.0, -39.8, 39.8, trunk)

    # ---------- planted border gaps
    spur = st(highway="unclassified")
    loop = st(highway="residential")
    for case in CASES:
        if case.border == "x":
            r.paint_h(case.along, case.a_zone_edge, case.a_end, spur)
            # side B: a frontage road along the border, fed by lanes from its zone.  The node
            # facing the dead end (the foot) is the frontage road's only node within 450 m of
            # it, and a junction 500 m along keeps a routable node close by in a simplified
            # graph; so nearest node, nearest way and nearest junction are all unambiguous.
            for dy in (-0.5, 0.5, 0.8):
                r.paint_h(case.along + dy, case.b_zone_edge, case.b_line, loop)
            r.paint_v(case.b_line, case.along - 0.5, case.along + 0.8, loop)
            r.thin_v(case.b_line, case.along - 0.45, case.along + 0.45)
            r.keep(case.b_line, case.along)
        else:
            r.paint_v(case.along, case.a_zone_edge, case.a_end, spur)
            r.paint_v(case.along + 0.5, case.b_line, -5.0, loop)  # lane from the ring road
            r.thin_h(case.b_line, case.along - 0.45, case.along + 0.45)
            r.keep(case.along, case.b_line)
    # ---------- decoys on the lattice
    r.paint_v(-95.0, 15.0, 17.0, unclassified)  # far from any border
    bank_end = _snap(float(river_x_km(20.0)) + 0.15) + LATTICE_STEP_KM
    r.paint_h(20.0, bank_end, -26.0, unclassified)  # ends at the river bank

    # nodes that free-form ways attach to
    attach = [
        (-68.0, wy),
        (-40.0, 3.0),
        (42.0, 3.0),
        (63.0, ey),
        (bw, 3.0),
        (be, 3.0),
        (nw, 37.0),
        (ne, 37.0),
        (sw, -37.0),
        (se, -37.0),
        (-54.9, 37.0),
        (44.9, 37.0),
        (ex + 0.3, ey + 0.3),
        (-95.0, 15.0),
        (bank_end, 20.0),
    ]
    ramps = {10.0: (94.6, 95.4), 30.0: (94.6, 95.4), -26.0: (94.6, 95.4)}
    for yk, (xa, xb) in ramps.items():
        attach += [(xa, yk), (xb, yk)]
    for x, y in attach:
        r.keep(x, y)
    r.finish_lattice()
    lat_node = r.lattice_node

    # ---------- S312 winding hill sections and the three road bridges
    # Mountain sections: tertiary *and* maxspeed=40, so the road stays slow whether a reader
    # uses the tag or the class default.
    wind = st(
        highway="tertiary", ref="S312", name="东西公路", maxspeed="40", **{"name:en": "Dongxi Road"}
    )
    for a, b in (((-68.0, wy), (-40.0, 3.0)), ((42.0, 3.0), (63.0, ey))):
        x, y = _winding(a, b, amplitude_km=1.2, step_km=0.15)
        mid = r.add_nodes(x[1:-1], y[1:-1])
        r.add_way([lat_node(*a), *mid, lat_node(*b)], r.styles[wind])
    for (xa, xb, y), code in (
        ((bw, be, 3.0), s312),
        ((nw, ne, 37.0), north_e),
        ((sw, se, -37.0), south),
    ):
        r.add_way(
            [lat_node(xa, y), lat_node(xb, y)], {**r.styles[code], "bridge": "yes", "layer": "1"}
        )

    # ---------- the expressway G9901 with three diamond interchanges
    mw = {
        "highway": "motorway",
        "ref": "G9901",
        "name": "东环高速",
        "name:en": "Donghuan Expressway",
        "oneway": "yes",
        "maxspeed": "120",
        "lanes": "2",
    }
    ys = np.round(np.arange(-39.8, 39.81, 0.5), 3)
    ys = np.unique(np.concatenate([ys, [yk + d for yk in ramps for d in (-0.8, 0.8)]]))
    nb = r.add_nodes(np.full(len(ys), 95.02), ys)
    sb = r.add_nodes(np.full(len(ys), 94.98), ys)
    r.add_way(nb, mw)
    r.add_way(sb[::-1], mw)
    pos = {round(float(y), 3): k for k, y in enumerate(ys)}
    link = {"highway": "motorway_link", "oneway": "yes"}
    for yk, (xa, xb) in ramps.items():
        lo, hi = pos[round(yk - 0.8, 3)], pos[round(yk + 0.8, 3)]
        mid = r.add_nodes(
            np.array([95.3, 95.3, 94.7, 94.7]), np.array([yk - 0.4, yk + 0.4, yk + 0.4, yk - 0.4])
        )
        r.add_way([nb[lo], mid[0], lat_node(xb, yk)], link)  # northbound off
        r.add_way([lat_node(xb, yk), mid[1], nb[hi]], link)  # northbound on
        r.add_way([sb[hi], mid[2], lat_node(xa, yk)], link)  # southbound off
        r.add_way([lat_node(xa, yk), mid[3], sb[lo]], link)  # southbound on

    # ---------- decoys (free-form part) and the planned link of G3
    cul_end = r.add_node(ex + 0.34, ey + 0.37, {"highway": "turning_circle"})
    r.add_way([lat_node(ex + 0.3, ey + 0.3), cul_end], {"highway": "residential", "name": "锦园路"})

    # ---------- river
    ry = np.arange(-40.0, 40.001, 0.3)
    river = r.add_nodes(river_x_km(ry), ry)
    r.add_way(river, {"waterway": "river", "name": "清水河", "name:en": "Qingshui River"})

    # ---------- places
    place_rows: list[tuple[str, str, str, float, float, int]] = [
        ("东城", "East City", "city", *CENTRE_E, 1_250_000),
        ("西城", "West City", "city", *CENTRE_W, 980_000),
        ("河东镇", "Hedong", "town", 22.0, 3.0, 86_000),
        ("西湖镇", "Xihu", "town", -14.0, 3.0, 64_000),
        ("东山镇", "Dongshan", "town", 66.0, -26.0, 72_000),
    ]
    used: dict[str, int] = {}
    for x, y in [(v[0], v[1]) for v in villages] + east_villages:
        k = int(r.rng.integers(len(SURNAMES) * len(SUFFIXES)))
        (zh1, en1), (zh2, en2) = SURNAMES[k % len(SURNAMES)], SUFFIXES[k // len(SURNAMES)]
        name, name_en = zh1 + zh2, en1 + en2
        used[name] = used.get(name, 0) + 1
        if used[name] > 1:
            name, name_en = f"{name}{used[name]}", f"{name_en} {used[name]}"
        place_rows.append(
            (name, name_en.capitalize(), "village", x, y, int(r.rng.integers(1500, 9000)))
        )
    places: list[dict[str, Any]] = []
    place_id: dict[str, int] = {}
    for name, name_en, kind, x, y, pop in place_rows:
        nid = r.add_node(
            x + 0.02,
            y + 0.02,
            {"place": kind, "name": name, "name:en": name_en, "population": str(pop)},
        )
        place_id[name] = nid
        places.append({"node_id": nid, "name": name, "name_en": name_en, "place": kind})

    # ---------- rail: HSR, intercity, metro
    station_rows: list[dict[str, Any]] = []

    def station(x: float, y: float, name: str, name_en: str, service: str, **extra: str) -> int:
        tags = {
            "railway": "station",
            "public_transport": "station",
            "name": name,
            "name:en": name_en,
            **extra,
        }
        nid = r.add_node(x, y, tags)
        station_rows.append({"node_id": nid, "name": name, "name_en": name_en, "service": service})
        return nid

    west_hsr = station(*WEST_HSR, "西城站", "Xicheng Railway Station", "highspeed", train="yes")
    east_hsr = station(*EAST_HSR, "东城站", "Dongcheng Railway Station", "highspeed", train="yes")
    hsr_tags = {
        "railway": "rail",
        "highspeed": "yes",
        "maxspeed": "350",
        "usage": "main",
        "name": "东西高速铁路",
        "name:en": "Dongxi High-Speed Railway",
        "gauge": "1435",
        "electrified": "contact_line",
        "bridge": "yes",
        "layer": "1",
    }
    for pts, ends in (
        ([(-109.9, -6.0), WEST_HSR], (None, west_hsr)),
        ([WEST_HSR, (-30.0, -4.6), (20.0, -3.8), EAST_HSR], (west_hsr, east_hsr)),
        ([EAST_HSR, (109.9, -2.0)], (east_hsr, None)),
    ):
        x, y = _polyline(pts, step_km=1.0)
        inner = r.add_nodes(x[1:-1], y[1:-1])
        first = ends[0] if ends[0] else r.add_node(x[0], y[0])
        last = ends[1] if ends[1] else r.add_node(x[-1], y[-1])
        r.add_way([first, *inner, last], hsr_tags)
    hedong = station(*HEDONG_IC, "河东站", "Hedong Station", "intercity", train="yes")
    xihu = station(*XIHU_IC, "西湖站", "Xihu Station", "intercity", train="yes")
    ic_tags = {
        "railway": "rail",
        "usage": "branch",
        "maxspeed": "160",
        "name": "东西城际铁路",
        "name:en": "Dongxi Intercity Railway",
        "gauge": "1435",
        "electrified": "contact_line",
        "bridge": "yes",
        "layer": "1",
    }
    for pts, (a, b) in (
        ([EAST_HSR, (50.0, -1.0), HEDONG_IC], (east_hsr, hedong)),
        ([HEDONG_IC, XIHU_IC], (hedong, xihu)),
    ):
        x, y = _polyline(pts, step_km=1.0)
        r.add_way([a, *r.add_nodes(x[1:-1], y[1:-1]), b], ic_tags)
    metro_tags = {
        "railway": "subway",
        "tunnel": "yes",
        "layer": "-1",
        "name": "地铁1号线",
        "name:en": "Metro Line 1",
    }
    m_stops = [
        (74.85, -2.75, "站前广场", "Zhanqian Square"),
        (75.05, 10.05, "市中心", "City Centre"),
        (75.05, ey + hc - 0.05, "北门", "Beimen"),
    ]
    m_ids = [station(x, y, n, e, "metro", subway="yes", station="subway") for x, y, n, e in m_stops]
    seq: list[int] = [m_ids[0]]
    for (x0, y0, *_), (x1, y1, *_), b in zip(m_stops[:-1], m_stops[1:], m_ids[1:], strict=True):
        x, y = _polyline([(x0, y0), (x1, y1)], step_km=0.5)
        seq += [*r.add_nodes(x[1:-1], y[1:-1]), b]
    r.add_way(seq, metro_tags)

    # ---------- admin boundaries: shared ways, relations with outer + admin_centre
    w, s, e, n = REGION_KM
    corner_xy = [(x, y) for x in (w, X_B1, X_B2, X_B3, e) for y in (s, Y_B5, n)]
    corner = {xy: r.add_node(*xy) for xy in corner_xy}

    def bway(a: tuple[float, float], b: tuple[float, float], level: int) -> int:
        x, y = _polyline([a, b], step_km=5.0)
        mid = r.add_nodes(x[1:-1], y[1:-1])
        return r.add_way(
            [corner[a], *mid, corner[b]], {"boundary": "administrative", "admin_level": str(level)}
        )

    bw_ = {
        "west": bway((w, s), (w, n), 5),
        "n1": bway((w, n), (X_B1, n), 5),
        "n2": bway((X_B1, n), (X_B2, n), 5),
        "n3": bway((X_B2, n), (X_B3, n), 5),
        "n4": bway((X_B3, n), (e, n), 5),
        "east_n": bway((e, n), (e, Y_B5), 5),
        "east_s": bway((e, Y_B5), (e, s), 5),
        "s4": bway((e, s), (X_B3, s), 5),
        "s3": bway((X_B3, s), (X_B2, s), 5),
        "s2": bway((X_B2, s), (X_B1, s), 5),
        "s1": bway((X_B1, s), (w, s), 5),
        "b1": bway((X_B1, s), (X_B1, n), 6),
        "b2": bway((X_B2, s), (X_B2, n), 5),
        "b3": bway((X_B3, s), (X_B3, Y_B5), 6),
        "b4": bway((X_B3, Y_B5), (X_B3, n), 6),
        "b5": bway((X_B3, Y_B5), (e, Y_B5), 6),
    }
    rings = {
        "W": ["west", "n1", "n2", "b2", "s2", "s1"],
        "E": ["b2", "n3", "n4", "east_n", "east_s", "s4", "s3"],
        "WC": ["west", "n1", "b1", "s1"],
        "WH": ["b1", "n2", "b2", "s2"],
        "HD": ["b2", "n3", "b4", "b3", "s3"],
        "EC": ["b4", "n4", "east_n", "b5"],
        "DS": ["b3", "b5", "east_s", "s4"],
    }
    rel: dict[str, int] = {}
    units: list[dict[str, Any]] = []
    for key, name, name_en, level, parent, seat in UNITS:
        members = [("w", bw_[k], "outer") for k in rings[key]]
        members.append(("n", place_id[seat], "admin_centre"))
        rel[key] = r.add_relation(
            members,
            {
                "type": "boundary",
                "boundary": "administrative",
                "admin_level": str(level),
                "name": name,
                "name:en": name_en,
                "name:zh": name,
                "note": NOTE,
            },
        )
        units.append(
            {
                "relation_id": rel[key],
                "name": name,
                "name_en": name_en,
                "admin_level": level,
                "parent_relation_id": rel[parent] if parent else None,
            }
        )

    # ---------- truth of the planted cases (node ids resolved now)
    gx, gy = r.coords()
    glon, glat = km_to_lonlat(gx, gy)

    def at(nid: int) -> tuple[float, float]:
        return float(glon[nid - 1]), float(glat[nid - 1])

    geod = pyproj.Geod(ellps="WGS84")

    def gap_m(a: int, b: int) -> float:
        return round(float(geod.inv(*at(a), *at(b))[2]), 1)

    def case_xy(case: _Case) -> tuple[tuple[float, float], tuple[float, float]]:
        """(x, y) of the dead end and of its partner node across the border."""
        if case.border == "x":
            return (case.a_end, case.along), (case.b_line, case.along)
        return (case.along, case.a_end), (case.along, case.b_line)

    wanted = [xy for case in CASES for xy in case_xy(case)] + [(-54.9, 37.0), (44.9, 37.0)]
    ways_at = r.ways_with_nodes({lat_node(*xy) for xy in wanted})  # before the planned way

    def the_way(nid: int, *, through: bool = False, **want: str) -> int:
        """The road way at node ``nid`` with tags ``want`` (``through``: passing through it)."""
        for wid in ways_at[nid]:
            nodes, tags = r.ways[wid - 1][1], r.ways[wid - 1][2]
            if through and nid in (nodes[0], nodes[-1]):
                continue
            if all(tags.get(k) == v for k, v in want.items()) and "highway" in tags:
                return wid
        raise AssertionError(f"no way with {want} at node {nid}")

    dead_ends: list[dict[str, Any]] = []
    for case in CASES:
        a, b = (lat_node(*xy) for xy in case_xy(case))
        planned = None
        if case.planned:
            planned = r.add_way(
                [a, b],
                {
                    "highway": "construction",
                    "construction": "tertiary",
                    "name": "规划连通路",
                    "opening_date": "2027",
                },
            )
        lon, lat = at(a)
        dead_ends.append(
            {
                "case_id": case.case_id,
                "node_id": a,
                "way_id": the_way(a),
                "lon": lon,
                "lat": lat,
                "unit_relation_id": rel[case.a_unit],
                "other_unit_relation_id": rel[case.b_unit],
                "other_node_id": b,
                # the frontage road along the border, not the lane that ends at the node
                "other_way_id": the_way(b, through=True),
                "gap_m": gap_m(a, b),
                "planned_way_id": planned,
            }
        )
    drops: list[dict[str, Any]] = []
    for cid, x, before, after in (
        ("C1", -54.9, "primary", "unclassified"),
        ("C2", 44.9, "secondary", "unclassified"),
    ):
        nid = lat_node(x, 37.0)
        lon, lat = at(nid)
        drops.append(
            {
                "case_id": cid,
                "way_ids": [the_way(nid, highway=before), the_way(nid, highway=after)],
                "border_node_id": nid,
                "lon": lon,
                "lat": lat,
                "class_before": before,
                "class_after": after,
            }
        )
    decoys: list[dict[str, Any]] = []
    for cid, kind, nid in (
        ("D1", "far_from_border", lat_node(-95.0, 15.0)),
        ("D2", "interior_cul_de_sac", cul_end),
        ("D3", "study_edge", lat_node(-109.8, wy)),
        ("D4", "river_bank", lat_node(bank_end, 20.0)),
    ):
        lon, lat = at(nid)
        decoys.append({"case_id": cid, "kind": kind, "node_id": nid, "lon": lon, "lat": lat})
    for place in places:
        place["lon"], place["lat"] = at(place["node_id"])

    lon_w, lat_s = km_to_lonlat(np.array([w]), np.array([s]))
    lon_e, lat_n = km_to_lonlat(np.array([e]), np.array([n]))
    truth = {
        "bbox": [float(lon_w[0]), float(lat_s[0]), float(lon_e[0]), float(lat_n[0])],
        "units": units,
        "places": places,
        "stations": station_rows,
        "border_dead_ends": dead_ends,
        "class_drops": drops,
        "decoys": decoys,
        "longest_detour_case": "G1",
        "corridors": {
            "better_connected": ["东城区", "东山县"],
            "worse_connected": ["西湖县", "河东区"],
        },
    }
    return r, truth


# --------------------------------------------------------------------------------------------
# writing


def _validate(pbf_path: Path, seed: Any, scale: Any) -> float:
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ConfigError(
            f"demo seed must be a non-negative integer, got {seed!r}; set source.seed"
        )
    try:
        value = float(scale)
    except (TypeError, ValueError):
        raise ConfigError(f"demo scale must be a number, got {scale!r}; set source.scale") from None
    if not math.isfinite(value) or value <= 0:
        raise ConfigError(f"demo scale must be > 0, got {scale!r}; set source.scale to e.g. 1")
    if value > MAX_SCALE:
        raise ConfigError(
            f"demo scale {scale!r} is above the supported {MAX_SCALE:g} "
            f"(scale {SCALE_FOR_NODES[500_000]:g} already gives ~500k road nodes)"
        )
    if not pbf_path.name.endswith(".pbf"):
        raise ConfigError(f"demo output {pbf_path} must end with .osm.pbf")
    return value


def _write_pbf(path: Path, region: _Region, bbox: list[float]) -> None:
    import osmium
    from osmium.osm import mutable

    x, y = region.coords()
    lon, lat = km_to_lonlat(x, y)
    header = osmium.io.Header()
    header.set("generator", "spatialint demo (synthetic)")
    header.add_box(
        osmium.osm.Box(osmium.osm.Location(bbox[0], bbox[1]), osmium.osm.Location(bbox[2], bbox[3]))
    )
    tags_of = region.node_tags
    writer = osmium.SimpleWriter(str(path), header=header)
    try:
        for k, (lo, la) in enumerate(zip(lon.tolist(), lat.tolist(), strict=True)):
            nid = k + 1
            writer.add_node(mutable.Node(id=nid, location=(lo, la), tags=tags_of.get(nid, {})))
        for wid, nodes, tags in region.ways:
            writer.add_way(mutable.Way(id=wid, nodes=nodes, tags=tags))
        for rid, members, tags in region.relations:
            writer.add_relation(mutable.Relation(id=rid, members=members, tags=tags))
    finally:
        writer.close()


def write_demo(
    pbf_path: str | os.PathLike[str],
    truth_path: str | os.PathLike[str],
    *,
    seed: int = 42,
    scale: float = 1.0,
) -> DemoTruth:
    """Generate the synthetic demo region and write it as an OSM PBF plus its ground truth.

    Parameters
    ----------
    pbf_path
        Output ``.osm.pbf``; written atomically (a partial file never appears).
    truth_path
        Output ``truth.json`` with the planted cases (see the module docstring).
    seed
        Random seed; the same seed and scale give a byte-identical PBF.
    scale
        Size factor (> 0, at most :data:`MAX_SCALE`): 1 gives ≈28k road nodes; see
        :data:`SCALE_FOR_NODES`.

    Returns
    -------
    DemoTruth
        The ground truth that was written to ``truth_path``.

    Raises
    ------
    ConfigError
        Bad seed or scale, or an output name osmium cannot write.
    DataError
        An output folder that cannot be created or written.
    """
    pbf_path, truth_path = Path(pbf_path), Path(truth_path)
    scale_value = _validate(pbf_path, seed, scale)
    region, truth_fields = _build(int(seed), scale_value)
    road_nodes: set[int] = set()
    for _wid, nodes, tags in region.ways:
        if "highway" in tags:
            road_nodes.update(nodes)
    truth = DemoTruth(
        seed=int(seed), scale=scale_value, n_road_nodes=len(road_nodes), **truth_fields
    )
    try:
        # both files are finished before either is moved into place: never a PBF without
        # its truth (or the truth of another run)
        with atomic_path(pbf_path) as tmp_pbf, atomic_path(truth_path) as tmp_truth:
            _write_pbf(tmp_pbf, region, truth.bbox)
            tmp_truth.write_text(
                json.dumps(truth.to_dict(), ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
            )
    except OSError as err:
        raise DataError(
            f"cannot write the demo region to {pbf_path} / {truth_path}: {err.strerror or err}; "
            "choose a writable output folder"
        ) from err
    logger.info(
        "wrote synthetic demo region (seed %d, scale %g): %d nodes, %d road nodes, %d ways -> %s",
        seed,
        scale_value,
        region.n_nodes,
        truth.n_road_nodes,
        len(region.ways),
        pbf_path,
    )
    return truth
