"""Gaps (断头路): cross-border dead ends, class drops and missing crossings, ranked by benefit.

- :mod:`.detect`: :func:`~.detect.detect_gaps`, the three findings as WGS-84 layers;
- :mod:`.dead_ends`, :mod:`.class_drops`, :mod:`.missing_crossings`: one kind of finding each;
- :mod:`.network` (the road network in metres with units and borders), :mod:`.borders`
  (shared borders, road crossings), :mod:`.detours` (today's way round), :mod:`.osm_context`
  (roads, end tags and waterways read from the extract, OSM ids of the findings),
  :mod:`.data_edges` (where the data stops): what they share;
- :mod:`.evidence`: what a reviewer weighs (facing stubs, angles, plausible gap per class,
  intentional-end tags); :mod:`.benefit`: time saved by closing each dead end;
  :mod:`.confidence`: high / medium / low with reasons, and the ranking;
- :mod:`.links` (iD and JOSM links) and :mod:`.thumbnails` (a picture per dead end): for
  reviewers;
- :mod:`.review`: stable gap ids, the planners' review file (where it lives, its checks) and
  the template; :mod:`.review_csv`: its strict CSV reading;
- :mod:`.stage`: :func:`~.stage.run_gap_stage`, what the ``gaps`` rule runs.
"""
