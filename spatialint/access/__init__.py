"""Access: origins snapped to the road network (:mod:`.origins`), travel times from them
(:mod:`.travel_times`, chunked in :mod:`.chunks`), the 1/2/3-hour circles (:mod:`.isochrones`) and
the hexagon surface (:mod:`.hexgrid`); :mod:`.stage` writes the isochrone outputs."""
