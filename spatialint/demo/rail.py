"""Rail: the high-speed line, the intercity line, East City's metro line 1 and their stations.

- 东西高速铁路 (``railway=rail``, ``highspeed=yes``, ``maxspeed=350``, ``usage=main``) from the
  western to the eastern edge, with stations 西城站 and 东城站 (≈154 km apart along the line).
- 东西城际铁路 (``usage=branch``, ``maxspeed=160``) from 东城站 via 河东站 to 西湖站.
- 地铁1号线 (``railway=subway``) in 东城 with three stations, from 东城站's forecourt north.

By design, 西城 is about 4 h from 东城站 by road alone but about 1.5 h by road + HSR, so it lies
in 东城站's 3-hour circle only by rail. Stations sit ~70 m from a road junction (forecourt
blocks, town grids), on their lines.
"""

from __future__ import annotations

from typing import Any

from spatialint.demo.frame import polyline
from spatialint.demo.layout import CENTRE_E
from spatialint.demo.region import Region
from spatialint.demo.scale import ScalePattern

EAST_HSR = (74.75, -2.95)  # 东城站, beside 站前大道 (x=75) south of 东城
WEST_HSR = (-79.75, -5.45)  # 西城站, beside the southern approach (x=-80) of 西城
HEDONG_IC = (22.05, 2.15)  # 河东站, at the southern edge of 河东镇's grid
XIHU_IC = (-13.95, 2.15)  # 西湖站, at the southern edge of 西湖镇's grid
LINE_STEP_KM = 1.0
METRO_STEP_KM = 0.5

_MAINLINE_TAGS = {"gauge": "1435", "electrified": "contact_line", "bridge": "yes", "layer": "1"}
HSR_TAGS = {
    "railway": "rail",
    "highspeed": "yes",
    "maxspeed": "350",
    "usage": "main",
    "name": "东西高速铁路",
    "name:en": "Dongxi High-Speed Railway",
    **_MAINLINE_TAGS,
}
INTERCITY_TAGS = {
    "railway": "rail",
    "usage": "branch",
    "maxspeed": "160",
    "name": "东西城际铁路",
    "name:en": "Dongxi Intercity Railway",
    **_MAINLINE_TAGS,
}
METRO_TAGS = {
    "railway": "subway",
    "tunnel": "yes",
    "layer": "-1",
    "name": "地铁1号线",
    "name:en": "Metro Line 1",
}


class _Stations:
    """Adds station nodes to a region and keeps their truth rows, in the order added."""

    def __init__(self, region: Region) -> None:
        self.region = region
        self.rows: list[dict[str, Any]] = []

    def add(
        self, xy: tuple[float, float], name: str, name_en: str, service: str, **extra: str
    ) -> int:
        """Add a station node at ``xy`` (km); ``extra`` tags after the standard ones."""
        tags = {
            "railway": "station",
            "public_transport": "station",
            "name": name,
            "name:en": name_en,
            **extra,
        }
        nid = self.region.add_node(*xy, tags)
        self.rows.append({"node_id": nid, "name": name, "name_en": name_en, "service": service})
        return nid


def add_railways(region: Region, pattern: ScalePattern) -> list[dict[str, Any]]:
    """Every line and station; returns the stations' truth rows (``node_id``, ``name``,
    ``name_en``, ``service``: highspeed | intercity | metro)."""
    stations = _Stations(region)
    west_hsr = stations.add(WEST_HSR, "西城站", "Xicheng Railway Station", "highspeed", train="yes")
    east_hsr = stations.add(
        EAST_HSR, "东城站", "Dongcheng Railway Station", "highspeed", train="yes"
    )
    _add_hsr(region, west_hsr, east_hsr)
    hedong = stations.add(HEDONG_IC, "河东站", "Hedong Station", "intercity", train="yes")
    xihu = stations.add(XIHU_IC, "西湖站", "Xihu Station", "intercity", train="yes")
    for pts, (a, b) in (
        ([EAST_HSR, (50.0, -1.0), HEDONG_IC], (east_hsr, hedong)),
        ([HEDONG_IC, XIHU_IC], (hedong, xihu)),
    ):
        x, y = polyline(pts, step_km=LINE_STEP_KM)
        region.add_way([a, *region.add_nodes(x[1:-1], y[1:-1]), b], INTERCITY_TAGS)
    _add_metro(region, stations, pattern)
    return stations.rows


def _add_hsr(region: Region, west_station: int, east_station: int) -> None:
    """The high-speed line in three ways: west edge - 西城站 - 东城站 - east edge."""
    for pts, ends in (
        ([(-109.9, -6.0), WEST_HSR], (None, west_station)),
        ([WEST_HSR, (-30.0, -4.6), (20.0, -3.8), EAST_HSR], (west_station, east_station)),
        ([EAST_HSR, (109.9, -2.0)], (east_station, None)),
    ):
        x, y = polyline(pts, step_km=LINE_STEP_KM)
        inner = region.add_nodes(x[1:-1], y[1:-1])
        first = ends[0] if ends[0] else region.add_node(x[0], y[0])
        last = ends[1] if ends[1] else region.add_node(x[-1], y[-1])
        region.add_way([first, *inner, last], HSR_TAGS)


def _add_metro(region: Region, stations: _Stations, pattern: ScalePattern) -> None:
    """Metro line 1: 站前广场 (东城站's forecourt) - 市中心 - 北门 (north edge of the grid)."""
    ey = CENTRE_E[1]
    stops = [
        (74.85, -2.75, "站前广场", "Zhanqian Square"),
        (75.05, 10.05, "市中心", "City Centre"),
        (75.05, ey + pattern.city_half_km - 0.05, "北门", "Beimen"),
    ]
    ids = [
        stations.add((x, y), name, name_en, "metro", subway="yes", station="subway")
        for x, y, name, name_en in stops
    ]
    seq: list[int] = [ids[0]]
    for (x0, y0, *_), (x1, y1, *_), b in zip(stops[:-1], stops[1:], ids[1:], strict=True):
        x, y = polyline([(x0, y0), (x1, y1)], step_km=METRO_STEP_KM)
        seq += [*region.add_nodes(x[1:-1], y[1:-1]), b]
    region.add_way(seq, METRO_TAGS)
