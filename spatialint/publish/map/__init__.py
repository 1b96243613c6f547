"""The study map: one offline Folium/Leaflet page, one function per layer.

- :mod:`.build` – :func:`build_map`, :func:`write_map`, :func:`run_map_stage` (the ``map`` rule)
- :mod:`.network_layers`, :mod:`.access_layers`, :mod:`.gap_layers`, :mod:`.corridor_layer` –
  one function per layer, returning its data (:mod:`.model`)
- :mod:`.display` – geometry for display (simplified, GCJ-02 on AMap, rounded)
- :mod:`.draw` – layer data → Folium objects; :mod:`.page` – basemap, title, legend, assets
"""

from spatialint.publish.map.build import (
    build_map,
    map_drawings,
    render_map,
    run_map_stage,
    write_map,
)

__all__ = ["build_map", "map_drawings", "render_map", "run_map_stage", "write_map"]
