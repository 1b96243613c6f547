"""Retrieve: OSM data for a study — downloads and caches (:mod:`.sources`), clipping and filtering
a PBF (:mod:`.extract`), the Overpass path (:mod:`.overpass`), way and tag reading (:mod:`.ways`)
and admin units and places from boundary relations (:mod:`.admin`)."""
