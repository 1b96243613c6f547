"""Write a built region as an OSM PBF with pyosmium: nodes, then ways, then relations, each in
id order, with a header box around the region (a sorted file, as OSM extracts are)."""

from __future__ import annotations

from pathlib import Path

from spatialint.demo.frame import km_to_lonlat
from spatialint.demo.region import Region
from spatialint.osm.writer import osm_writer

GENERATOR = "spatialint demo (synthetic)"


def write_pbf(path: Path, region: Region, bbox: list[float]) -> None:
    """Write ``region`` to ``path`` (``.osm.pbf``); ``bbox`` is ``[w, s, e, n]`` in degrees."""
    import osmium
    from osmium.osm import mutable

    x, y = region.coords()
    lon, lat = km_to_lonlat(x, y)
    header = osmium.io.Header()
    header.set("generator", GENERATOR)
    header.add_box(
        osmium.osm.Box(osmium.osm.Location(bbox[0], bbox[1]), osmium.osm.Location(bbox[2], bbox[3]))
    )
    tags_of = region.node_tags
    with osm_writer(path, header=header) as writer:  # a full disk ends with its message
        for k, (lo, la) in enumerate(zip(lon.tolist(), lat.tolist(), strict=True)):
            nid = k + 1
            writer.add_node(mutable.Node(id=nid, location=(lo, la), tags=tags_of.get(nid, {})))
        for wid, nodes, tags in region.ways:
            writer.add_way(mutable.Way(id=wid, nodes=nodes, tags=tags))
        for rid, members, tags in region.relations:
            writer.add_relation(mutable.Relation(id=rid, members=members, tags=tags))
