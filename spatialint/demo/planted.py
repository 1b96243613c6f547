"""The planted cases a correct analysis must find, and the decoys it must not.

- Border dead ends (:data:`BORDER_GAPS`, G1–G6): on side A a road ends 200–500 m before an
  admin border; on side B a frontage road runs along the border's far side. G1 has by far the
  longest detour; G3 has a planned link (``highway=construction``) across the gap.
- Class drops (:data:`CLASS_DROPS`, C1, C2): a road changes class by two steps or more at a
  border (painted with the northern roads, :mod:`.intercity`).
- Decoys (D1–D4): dead ends that are not border gaps: far from any border, an interior
  cul-de-sac, at the study edge, at a river bank.

This module places them; :mod:`.truth` resolves their OSM ids for ``truth.json``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from spatialint.demo.cities import WEST_APPROACH_END_X_KM
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
