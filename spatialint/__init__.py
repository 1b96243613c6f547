"""spatialint: metropolitan integration analysis from OpenStreetMap.

The package is the library behind the Snakemake pipeline in ``workflow/``; it knows nothing
about Snakemake. One module per concept, in pipeline order:

- configuration and plumbing: :mod:`config`, :mod:`errors`, :mod:`logs`, :mod:`fileio`,
  :mod:`standalone` (run one rule's script outside Snakemake), :mod:`cli`, :mod:`benchmarks`
- data: :mod:`demo` (the synthetic demo as a real PBF), :mod:`sources` (download and cache),
  :mod:`extract` (clip and filter), :mod:`overpass`, :mod:`admin` (units and places)
- networks: :mod:`osm_ways`, :mod:`roads`, :mod:`rail`, :mod:`multimodal`, :mod:`graph` (CSR)
- access: :mod:`geo`, :mod:`routing`, :mod:`chunks`, :mod:`travel_time_stage`, :mod:`origins`,
  :mod:`isochrones`, :mod:`isochrone_stage`, :mod:`hexgrid`
- gaps (断头路): :mod:`gaps`, :mod:`gap_benefit`, :mod:`review`, :mod:`gap_stage`
- integration: :mod:`integration`, :mod:`corridor_border`, :mod:`corridor_reach`,
  :mod:`corridor_penalty`, :mod:`corridor_routes`
- publishing: :mod:`maps`, :mod:`report`, :mod:`i18n`, :mod:`gcj02`, :mod:`offline_assets`
"""

__version__ = "0.1.0"
