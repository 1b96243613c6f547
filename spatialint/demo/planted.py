"""The planted cases a correct analysis must find, and the decoys it must not.

- Border dead ends (:data:`BORDER_GAPS`, G1–G6): on side A a road ends 200–500 m before an
  admin border; on side B a frontage road runs along the border's far side. G1 has by far the
  longest detour; G3 has a planned link (``highway=construction``) across the gap.
- Class drops (:data:`CLASS_DROPS`, C1, C2): a road changes class by two steps or more at a
  border (painted with the northern roads, :mod:`.intercity`).
- Decoys (D1–D4): dead ends that are not border gaps: far from any border, an interior
  cul-de-sac, at the study edge, at a river bank.
- Border decoys (:data:`BORDER_DECOYS`, D5–D7): dead ends near a border, facing a road of the
  other unit, that a reviewer would still reject, so the gaps stage must find them with low
  confidence: a housing-estate cul-de-sac 800 m from the main road across the border, a road
  ending in a turning circle and one tagged ``noexit=yes`` (each otherwise like a planted gap).

This module places them; :mod:`.truth` resolves their OSM ids for ``truth.json``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from spatialint.demo.cities import WEST_APPROACH_END_X_KM
from spatialint.demo.frame import LATTICE_STEP_KM
from spatialint.demo.layout import CENTRE_E, CENTRE_W, X_B1, X_B2, X_B3, Y_B5
from spatialint.demo.region import Region
from spatialint.demo.river import bank_end_x_km
from spatialint.demo.styles import RoadStyles

#: Half-width (km) of the stretch of side B's frontage road with no node but the foot.
FRONTAGE_THIN_HALF_KM = 0.45


@dataclass(frozen=True)
class BorderGap:
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

    def end_xy(self) -> tuple[float, float]:
        """(x, y) km of the dead end (side A's spur end)."""
        return (self.a_end, self.along) if self.border == "x" else (self.along, self.a_end)

    def foot_xy(self) -> tuple[float, float]:
        """(x, y) km of its partner across the border: the foot on side B's frontage road."""
        return (self.b_line, self.along) if self.border == "x" else (self.along, self.b_line)


# All positions are whole lattice steps (100 m), so nothing depends on rounding halves.
BORDER_GAPS = (
    # longest detour: far north, the only crossings of this border are S312 and the south road
    BorderGap("G1", "x", X_B2, 34.0, -3.0, -0.2, 3.0, 0.4, "WH", "HD"),
    BorderGap("G2", "x", X_B2, -31.5, 3.0, 0.3, -3.0, -0.2, "HD", "WH"),
    BorderGap("G3", "x", X_B2, -10.0, -3.0, -0.2, 3.0, 0.3, "WH", "HD", planned=True),
    BorderGap("G4", "x", X_B1, -25.0, -58.0, -55.3, -52.0, -54.8, "WC", "WH"),
    BorderGap("G5", "x", X_B3, 29.0, 42.0, 44.8, 48.0, 45.2, "HD", "EC"),
    BorderGap("G6", "y", Y_B5, 80.0, -15.0, -12.3, math.nan, -11.6, "DS", "EC"),
)
LONGEST_DETOUR_CASE = "G1"


@dataclass(frozen=True)
class ClassDrop:
    """A road whose class drops at a border node (x, y) km."""

    case_id: str
    x: float
    y: float
    class_before: str
    class_after: str


CLASS_DROPS = (
    ClassDrop("C1", -54.9, 37.0, "primary", "unclassified"),  # 100 m east of X_B1
    ClassDrop("C2", 44.9, 37.0, "secondary", "unclassified"),  # 100 m west of X_B3
)

FAR_DECOY_KM = (-95.0, 15.0)  # D1: the end of a short lane from zone Z1, far from any border
CUL_DE_SAC_BASE_KM = (CENTRE_E[0] + 0.3, CENTRE_E[1] + 0.3)  # D2: 锦园路 in East City
EDGE_DECOY_KM = (WEST_APPROACH_END_X_KM, CENTRE_W[1])  # D3: West City's western approach
RIVER_BANK_Y_KM = 20.0  # D4: a rural road from zone Z5 ending at the river's east bank


def paint_border_gaps(region: Region, styles: RoadStyles) -> None:
    """Both sides of every planted border gap."""
    for case in BORDER_GAPS:
        if case.border == "x":
            region.paint_h(case.along, case.a_zone_edge, case.a_end, styles.spur)
            # side B: a frontage road along the border, fed by lanes from its zone.  The node
            # facing the dead end (the foot) is the frontage road's only node within 450 m of
            # it, and a junction 500 m along keeps a routable node close by in a simplified
            # graph; so nearest node, nearest way and nearest junction are all unambiguous.
            for dy in (-0.5, 0.5, 0.8):
                region.paint_h(case.along + dy, case.b_zone_edge, case.b_line, styles.lane)
            region.paint_v(case.b_line, case.along - 0.5, case.along + 0.8, styles.lane)
            region.thin_v(
                case.b_line, case.along - FRONTAGE_THIN_HALF_KM, case.along + FRONTAGE_THIN_HALF_KM
            )
        else:
            region.paint_v(case.along, case.a_zone_edge, case.a_end, styles.spur)
            region.paint_v(case.along + 0.5, case.b_line, -5.0, styles.lane)  # from the ring
            region.thin_h(
                case.b_line, case.along - FRONTAGE_THIN_HALF_KM, case.along + FRONTAGE_THIN_HALF_KM
            )
        region.keep(*case.foot_xy())
    for drop in CLASS_DROPS:
        region.keep(drop.x, drop.y)


def paint_decoys(region: Region, styles: RoadStyles) -> None:
    """The lattice parts of the decoys: D1's lane and D4's road to the river bank."""
    x, y = FAR_DECOY_KM
    region.paint_v(x, y, y + 2.0, styles.unclassified)  # far from any border
    bank_end = bank_end_x_km(RIVER_BANK_Y_KM)
    region.paint_h(RIVER_BANK_Y_KM, bank_end, -26.0, styles.unclassified)  # ends at the bank
    for xy in (FAR_DECOY_KM, (bank_end, RIVER_BANK_Y_KM), CUL_DE_SAC_BASE_KM):
        region.keep(*xy)


def add_cul_de_sac(region: Region) -> int:
    """D2: a short residential street in East City ending in a turning circle; returns its end."""
    end = region.add_node(CENTRE_E[0] + 0.34, CENTRE_E[1] + 0.37, {"highway": "turning_circle"})
    region.add_way(
        [region.lattice_node(*CUL_DE_SAC_BASE_KM), end],
        {"highway": "residential", "name": "锦园路"},
    )
    return end


def decoy_nodes(region: Region, cul_de_sac_end: int) -> list[tuple[str, str, int]]:
    """``(case_id, kind, node_id)`` of every decoy."""
    return [
        ("D1", "far_from_border", region.lattice_node(*FAR_DECOY_KM)),
        ("D2", "interior_cul_de_sac", cul_de_sac_end),
        ("D3", "study_edge", region.lattice_node(*EDGE_DECOY_KM)),
        ("D4", "river_bank", region.lattice_node(bank_end_x_km(RIVER_BANK_Y_KM), RIVER_BANK_Y_KM)),
    ]


def add_planned_links(region: Region) -> dict[str, int]:
    """The ``highway=construction`` way across each planned gap; case id -> way id."""
    planned = {}
    for case in BORDER_GAPS:
        if case.planned:
            planned[case.case_id] = region.add_way(
                [region.lattice_node(*case.end_xy()), region.lattice_node(*case.foot_xy())],
                {
                    "highway": "construction",
                    "construction": "tertiary",
                    "name": "规划连通路",
                    "opening_date": "2027",
                },
            )
    return planned


@dataclass(frozen=True)
class BorderDecoy:
    """A dead end near a border that is no missing link; added after everything else, so the
    ids of the rest of the region do not depend on it.

    The way starts at the lattice node of the road ``start`` lies on (the nearest kept node
    along its row), runs through ``path`` (km) and ends at the last point, which carries
    ``end_tags``.
    """

    case_id: str
    kind: str
    start: tuple[float, float]
    path: tuple[tuple[float, float], ...]
    tags: tuple[tuple[str, str], ...]
    end_tags: tuple[tuple[str, str], ...] = ()


# D5: a housing estate of 西湖县 off S312 (y = 3), 1.4 km short of the border with 河东区
# (x = 0): one block and a cul-de-sac ending 400 m from the border, pointing at S312 across it,
# 800 m away (detour ~3.3 km, ratio ~4, as the estates that ranked high on a real county).
# D6, D7: 东山县 roads north from zone Z11 (y = -15) ending 300 m and 200 m short of the
# border with 东城区 (y = -12), facing the 乡道 at y = -11.6 (700 m and 600 m): one ends in a
# turning circle, one is tagged noexit=yes; otherwise they are planted gaps like G6.
BORDER_DECOYS = (
    BorderDecoy(
        "D5",
        "estate_cul_de_sac",
        start=(-1.4, 3.0),
        path=((-1.4, 2.6), (-1.0, 2.6), (-1.0, 2.2), (-0.525, 2.094), (-0.4, 2.31)),
        tags=(("highway", "residential"), ("name", "锦绣家园路")),
    ),
    BorderDecoy(
        "D6",
        "turning_circle",
        start=(70.5, -15.0),
        path=((70.5, -13.6), (70.5, -12.3)),
        tags=(("highway", "unclassified"),),
        end_tags=(("highway", "turning_circle"),),
    ),
    BorderDecoy(
        "D7",
        "noexit",
        start=(72.5, -15.0),
        path=((72.5, -13.6), (72.5, -12.2)),
        tags=(("highway", "unclassified"),),
        end_tags=(("noexit", "yes"),),
    ),
)
#: The far corner of the estate's block (D5): a street from the block's first corner to its
#: third closes the loop.
ESTATE_CORNER = (-1.4, 2.2)
#: How far along a road's row a border decoy looks for a kept lattice node to start from (km).
START_SEARCH_KM = 0.5


def nearest_kept_node(region: Region, x: float, y: float) -> tuple[int, float]:
    """The kept lattice node on row ``y`` nearest ``x`` (within :data:`START_SEARCH_KM`):
    its id and its x (km, unjittered)."""
    steps = round(START_SEARCH_KM / LATTICE_STEP_KM)
    for k in sorted(range(-steps, steps + 1), key=abs):
        xk = x + k * LATTICE_STEP_KM
        i, j = region.ij(xk, y)
        assert region.id_grid is not None
        if region.id_grid[j, i]:
            return int(region.id_grid[j, i]), round(xk, 1)
    raise AssertionError(f"no lattice node near ({x}, {y})")


def add_border_decoys(region: Region) -> dict[str, int]:
    """The ways of D5–D7 (and D5's block); case id -> the decoy's end node."""
    ends = {}
    for decoy in BORDER_DECOYS:
        first, x0 = nearest_kept_node(region, *decoy.start)
        dx = x0 - decoy.start[0]  # keep the shape where the road it starts from has a node
        xy = [(x + dx, y) for x, y in decoy.path]
        tags: list[dict[str, str] | None] = [None] * (len(xy) - 1) + [dict(decoy.end_tags)]
        nodes = region.add_nodes([x for x, _ in xy], [y for _, y in xy], tags)
        region.add_way([first, *nodes], dict(decoy.tags))
        if decoy.case_id == "D5":
            corner = region.add_node(ESTATE_CORNER[0] + dx, ESTATE_CORNER[1])
            region.add_way([nodes[0], corner, nodes[2]], dict(decoy.tags))
        ends[decoy.case_id] = nodes[-1]
    return ends
