"""The synthetic demo study: a made-up twin-city region written as a real OSM PBF, with the
answers planted in it.

:func:`write_demo` generates, deterministically from a seed, a region of two prefecture-level
cities and writes it as an ``.osm.pbf`` file with pyosmium, tagged exactly as real
OpenStreetMap data is tagged, so every later stage reads it through the same code path as real
data. Beside it goes ``truth.json``: the planted cases a correct analysis must find (and the
decoys it must not), so the pipeline can be tested end to end against known answers.

The region is not a real place. It sits at a plausible, Hunan-like position (27.54–28.26°N,
112.38–114.62°E) and says so itself: every admin relation carries ``note=synthetic spatialint
demo`` and the truth file has ``"synthetic": true``.

One module per feature, built in this order by :func:`.build.build_region`:

- :mod:`.frame` the km frame, WGS-84 conversion, line helpers; :mod:`.layout` borders, city
  centres, towns; :mod:`.scale` how the pattern grows with ``scale``;
- :mod:`.region` the lattice road raster and the OSM objects; :mod:`.styles` the road tags;
- :mod:`.rural` zone meshes and village sites; :mod:`.villages` village and town grids;
  :mod:`.cities` the two city grids and their roads;
- :mod:`.intercity` S312, the northern and southern roads, bridges, G9907;
  :mod:`.expressway` G9901 with its interchanges; :mod:`.river` 清水河;
- :mod:`.planted` border dead ends, class drops, decoys; :mod:`.places` place nodes;
  :mod:`.rail` HSR, intercity, metro and stations; :mod:`.admin` boundaries and units;
- :mod:`.landuse` the cities' built-up areas (``landuse`` polygons, added last);
- :mod:`.trips` SYNTHETIC observed trips from known speed factors (for speed calibration);
- :mod:`.population` a SYNTHETIC population raster (people per 1 km cell) around the places;
- :mod:`.truth` ``truth.json`` (its format); :mod:`.pbf` the PBF writer;
  :mod:`.generator` :func:`write_demo` and the stage function.
"""

from spatialint.demo.generator import (
    MAX_SCALE,
    SCALE_FOR_NODES,
    DemoTruth,
    run_generate_demo_stage,
    write_demo,
)

__all__ = ["MAX_SCALE", "SCALE_FOR_NODES", "DemoTruth", "run_generate_demo_stage", "write_demo"]
