"""Retrieve and admin stages: a study's OSM data and its admin units.

- :mod:`.retrieve` the retrieve stage (``run_retrieve_stage``): demo, PBF or Overpass source,
  clipped to the study area;
- :mod:`.sources` downloads into an on-disk cache, with retries and MD5 checks;
- :mod:`.extract` the clip and filter of a PBF (what later stages use); :mod:`.area` the study
  area from a polygon file or bbox, buffered; :mod:`.relations` boundary relations, the
  ``area.admin_units`` look-up and the assembly of a relation's polygon;
- :mod:`.overpass` small areas from the Overpass API through osmnx, written as the same PBF;
- :mod:`.ways` OSM ways and tagged nodes as flat numpy arrays (what the networks read);
- :mod:`.urban_tags` the ``landuse`` and ``place`` tags of built-up areas (kept by the extract,
  read by the speed profile);
- :mod:`.units` admin units and places from an OSM file; :mod:`.admin` the admin stage
  (``run_admin_stage``), from the extract or a user's boundary file.
"""
