"""Build the demo region feature by feature, in the one order that makes it reproducible.

The order matters twice: a later lattice paint overwrites an earlier one (villages first, then
the rural meshes and named roads over them), and ids and random draws follow the order objects
are added. :func:`build_region` is that order, written out.
"""

from __future__ import annotations

from spatialint.demo import cities, expressway, intercity, planted, rural, villages
from spatialint.demo.admin import add_admin_units
from spatialint.demo.landuse import add_urban_landuse
from spatialint.demo.places import add_places
from spatialint.demo.rail import add_railways
from spatialint.demo.region import Region
from spatialint.demo.river import add_river
from spatialint.demo.scale import ScalePattern
from spatialint.demo.styles import RoadStyles
from spatialint.demo.truth import DemoTruth, RegionIndex, build_truth


def build_region(seed: int, scale: float) -> tuple[Region, DemoTruth]:
    """The region for ``seed`` and ``scale`` (already checked) and its ground truth."""
    region = Region(seed)
    pattern = ScalePattern.at(scale)
    styles = RoadStyles.register(region)
    chosen_villages = _paint_lattice(region, pattern, styles)
    region.finish_lattice()
    intercity.add_s312_hill_sections(region, styles)
    intercity.add_road_bridges(region, styles)
    expressway.add_expressway(region)
    cul_de_sac_end = planted.add_cul_de_sac(region)
    add_river(region)
    places, place_ids = add_places(region, chosen_villages)
    stations = add_railways(region, pattern)
    units = add_admin_units(region, place_ids)
    index = RegionIndex(region)  # the road ways at the planted nodes, before a planned link
    planned = planted.add_planned_links(region)
    border_decoys = planted.add_border_decoys(region)  # no other id depends on them
    add_urban_landuse(region, pattern)  # after every other object: no other id changes
    truth = build_truth(
        index,
        seed=seed,
        scale=scale,
        units=units,
        places=places,
        stations=stations,
        planned=planned,
        cul_de_sac_end=cul_de_sac_end,
        border_decoys=border_decoys,
    )
    return region, truth


def _paint_lattice(
    region: Region, pattern: ScalePattern, styles: RoadStyles
) -> list[rural.Village]:
    """Paint every lattice road (and keep the nodes free-form ways attach to); returns the
    villages chosen."""
    lines = rural.zone_mesh_lines(pattern.mesh_spacing_km)
    chosen = rural.choose_villages(region.rng, lines, pattern.n_villages)
    villages.paint_villages(region, chosen, pattern, styles)
    villages.paint_towns(region, pattern, styles)
    rural.paint_zone_meshes(region, lines, styles)
    cities.paint_city_grids(region, pattern, styles)
    cities.paint_west_city_roads(region, pattern, styles)
    cities.paint_east_city_roads(region, pattern, styles)
    cities.paint_station_forecourts(region, styles)
    intercity.paint_intercity_roads(region, styles)
    rural.paint_zone_connectors(region, styles)
    intercity.paint_trunk(region, styles)
    planted.paint_border_gaps(region, styles)
    planted.paint_decoys(region, styles)
    expressway.keep_interchange_nodes(region)
    return chosen
