"""The road styles of the demo: each named road kind's OSM tags, as a lattice style code.

A style code (:meth:`spatialint.demo.region.Region.style`) is what the lattice raster holds per
edge; :meth:`~spatialint.demo.region.Region.finish_lattice` turns every run of one code into a
way with its tags. Equal tags give the same code (``spur`` is ``unclassified``, ``lane`` is
``residential``), so the order the codes are registered in does not matter; the order of the
tags does: it is the order they are written in the PBF.
"""

from __future__ import annotations

from dataclasses import dataclass

from spatialint.demo.region import Region


@dataclass(frozen=True)
class RoadStyles:
    """Style codes of every lattice road kind of the demo, registered on one region."""

    unclassified: int
    residential: int
    residential_oneway: int  # one-way east-/northbound
    residential_oneway_reverse: int  # one-way west-/southbound
    tertiary: int
    connector: int  # 乡道 linking a rural zone to S312
    s312: int  # the straight middle of the intercity road S312
    s312_hills: int  # its winding hill sections (free-form, tertiary and maxspeed=40)
    north_west: int  # 北线公路 S218 in 西城区 (primary), class drop C1 at its east end
    north_east: int  # 北线公路 east of C1 (unclassified)
    ridge_west: int  # 北岭公路 in 河东区 (unclassified), class drop C2 at its east end
    ridge_east: int  # 北岭公路 S219 in 东城区 (secondary)
    south: int  # 南线公路 X035
    approach: int  # primary city approaches and city grid avenues
    zhanqian: int  # 站前大道, East City's avenue south past 东城站
    ring: int  # 南环路, East City's south ring
    link: int  # plain secondary roads (city grid, links to the ring)
    dongshan: int  # 东山路
    east_road: int  # 东岸路, east across the expressway
    trunk: int  # national road G9907 through 河东区
    spur: int  # side A of a planted border gap: a road that ends
    lane: int  # side B of a planted border gap: lanes and frontage road

    @classmethod
    def register(cls, region: Region) -> RoadStyles:
        """Register every road style on ``region`` and return their codes."""
        st = region.style
        return cls(
            unclassified=st(highway="unclassified"),
            residential=st(highway="residential"),
            residential_oneway=st(highway="residential", oneway="yes"),
            residential_oneway_reverse=st(highway="residential", oneway="yes", reverse=True),
            tertiary=st(highway="tertiary"),
            connector=st(highway="tertiary", name="乡道"),
            s312=st(highway="secondary", ref="S312", name="东西公路", **{"name:en": "Dongxi Road"}),
            # Mountain sections: tertiary *and* maxspeed=40, so the road stays slow whether a
            # reader uses the tag or the class default.
            s312_hills=st(
                highway="tertiary",
                ref="S312",
                name="东西公路",
                maxspeed="40",
                **{"name:en": "Dongxi Road"},
            ),
            north_west=st(highway="primary", ref="S218", name="北线公路", maxspeed="60"),
            north_east=st(highway="unclassified", name="北线公路"),
            ridge_west=st(highway="unclassified", name="北岭公路"),
            ridge_east=st(highway="secondary", ref="S219", name="北岭公路"),
            south=st(highway="tertiary", ref="X035", name="南线公路"),
            approach=st(highway="primary", maxspeed="60"),
            zhanqian=st(
                highway="primary", name="站前大道", maxspeed="60", **{"name:en": "Zhanqian Ave"}
            ),
            ring=st(highway="secondary", name="南环路", **{"name:en": "South Ring Road"}),
            link=st(highway="secondary"),
            dongshan=st(highway="secondary", name="东山路"),
            east_road=st(highway="secondary", name="东岸路"),
            trunk=st(
                highway="trunk", ref="G9907", name="南北国道", **{"name:en": "Nanbei Highway"}
            ),
            spur=st(highway="unclassified"),
            lane=st(highway="residential"),
        )
