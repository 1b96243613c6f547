"""The place nodes: the two cities, the three seat towns and every village, with names and
populations (villages get a random surname + suffix name, numbered when it repeats)."""

from __future__ import annotations

from typing import Any

import numpy as np

from spatialint.demo.layout import CENTRE_E, CENTRE_W, EAST_VILLAGES, SEAT_TOWNS
from spatialint.demo.region import Region
from spatialint.demo.rural import Village

#: A place node sits this far (km, east and north) from its grid's central junction.
PLACE_OFFSET_KM = 0.02
VILLAGE_POPULATION = (1500, 9000)  # drawn uniformly from [low, high)

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
# name, name:en, place, population of the cities and seat towns
CITIES = (
    ("东城", "East City", "city", CENTRE_E, 1_250_000),
    ("西城", "West City", "city", CENTRE_W, 980_000),
)
TOWNS = (
    ("河东镇", "Hedong", "town", SEAT_TOWNS["河东镇"], 86_000),
    ("西湖镇", "Xihu", "town", SEAT_TOWNS["西湖镇"], 64_000),
    ("东山镇", "Dongshan", "town", SEAT_TOWNS["东山镇"], 72_000),
)

PlaceRow = tuple[str, str, str, float, float, int]


def village_rows(rng: np.random.Generator, villages: list[Village]) -> list[PlaceRow]:
    """Name and population of every village (the rural ones, then those east of the
    expressway); draws two integers from ``rng`` per village."""
    rows: list[PlaceRow] = []
    used: dict[str, int] = {}
    for x, y in [(v.x, v.y) for v in villages] + list(EAST_VILLAGES):
        k = int(rng.integers(len(SURNAMES) * len(SUFFIXES)))
        (zh1, en1), (zh2, en2) = SURNAMES[k % len(SURNAMES)], SUFFIXES[k // len(SURNAMES)]
        name, name_en = zh1 + zh2, en1 + en2
        used[name] = used.get(name, 0) + 1
        if used[name] > 1:
            name, name_en = f"{name}{used[name]}", f"{name_en} {used[name]}"
        rows.append(
            (name, name_en.capitalize(), "village", x, y, int(rng.integers(*VILLAGE_POPULATION)))
        )
    return rows


def add_places(
    region: Region, villages: list[Village]
) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """Every place node; returns the truth rows (``node_id``, ``name``, ``name_en``,
    ``place``) and the node id of each place by name."""
    rows: list[PlaceRow] = [
        (name, name_en, kind, x, y, population)
        for name, name_en, kind, (x, y), population in CITIES + TOWNS
    ]
    rows += village_rows(region.rng, villages)
    places: list[dict[str, Any]] = []
    place_id: dict[str, int] = {}
    for name, name_en, kind, x, y, pop in rows:
        nid = region.add_node(
            x + PLACE_OFFSET_KM,
            y + PLACE_OFFSET_KM,
            {"place": kind, "name": name, "name:en": name_en, "population": str(pop)},
        )
        place_id[name] = nid
        places.append({"node_id": nid, "name": name, "name_en": name_en, "place": kind})
    return places, place_id
