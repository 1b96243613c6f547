"""Gaps (断头路): cross-border dead ends, class drops and missing crossings, ranked by benefit.

- :mod:`.detect`: :func:`~.detect.detect_gaps`, the three findings as WGS-84 layers;
- :mod:`.dead_ends`, :mod:`.class_drops`, :mod:`.missing_crossings`: one kind of finding each;
- :mod:`.network` (the road network in metres with units and borders), :mod:`.borders`
  (shared borders, road crossings), :mod:`.detours` (today's way round), :mod:`.osm_context`
  (roads and waterways read from the extract, OSM ids of the findings): what they share;
- :mod:`.benefit`: time saved by closing each dead end, and the ranking;
- :mod:`.review`: stable gap ids, the planners' review file (where it lives, its checks) and
  the template; :mod:`.review_csv`: its strict CSV reading;
- :mod:`.stage`: :func:`~.stage.run_gap_stage`, what the ``gaps`` rule runs.
"""
