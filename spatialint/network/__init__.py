"""Network stages: the road, rail and multimodal graphs of a study.

- :mod:`.roads` the road stage (``run_road_stage``): simplified road tables and the CSR graph,
  built from :mod:`.road_tags` (drivable, one-way and speed rules of the OSM tags, planned
  ways), :mod:`.maxspeed` (``maxspeed`` values in km/h) and :mod:`.road_arcs` (directed arcs,
  largest strongly connected component);
- :mod:`.speed_profile` speed groups (class group × urban/rural from built-up polygons) and the
  study's speed profile (free flow, peak factors, per-city factors) applied to the road edges;
- :mod:`.simplify` osmnx's simplification rules on arrays (roads and rail);
- :mod:`.unit_lookup` the admin unit each node, edge and station lies in;
- :mod:`.stations` railway stations in OSM (also the road stage's anchors); :mod:`.rail` the
  rail stage (``run_rail_stage``): lines by service, stops, links;
- :mod:`.multimodal` the road + rail graph (``run_multimodal_stage``);
- :mod:`.graph` the CSR graph every routing stage uses and :mod:`.routing` shortest paths on it;
- :mod:`.calibration` speed factors per road group fitted to observed trips
  (:mod:`.observed_trips` reads them, :mod:`.trip_paths` splits their paths by group).
"""
