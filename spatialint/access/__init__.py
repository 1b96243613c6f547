"""Access: origins found in the network tables (:mod:`.origins`) and snapped onto the roads
(:mod:`.snapping`), travel times from them (:mod:`.travel_times`, scattered over jobs in
:mod:`.chunks`), the 1/2/3-hour circles (:mod:`.isochrones`, on the road edges of :mod:`.edges`,
polygons cleaned in :mod:`.polygons`, people counted in :mod:`.population`, from a raster in
:mod:`.population_raster`) and the hexagon surface (:mod:`.hexgrid`); :mod:`.stage` builds
and writes ``isochrones.gpkg``."""
