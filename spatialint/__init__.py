"""spatialint: metropolitan integration analysis from OpenStreetMap.

The package is the library behind the Snakemake pipeline in ``workflow/``; it knows nothing
about Snakemake and works from a notebook::

    from spatialint.config import load_study
    from spatialint.settings import study_settings
    settings = study_settings(load_study("demo"))      # every setting, typed, checked once

One subpackage per stage, in pipeline order, each with a ``run_<stage>_stage(inputs, outputs,
*, <settings>)`` function that a rule's script calls:

- :mod:`.demo` the synthetic demo region, written as a real OSM PBF with its planted answers
- :mod:`.osm` retrieve: downloads, the clip of the extract, Overpass, admin units and places
- :mod:`.network` the road, rail and road + rail graphs (CSR) and routing on them
- :mod:`.access` origins, travel times, the 1/2/3-hour circles and the hexagon surface
- :mod:`.gaps` 断头路: dead ends, class drops, missing crossings, their benefit, the review file
- :mod:`.integration` corridor measures and the 0–100 integration index
- :mod:`.publish` the offline map, the review report, the workbook and the GeoPackage

Shared by all of them, small on purpose: :mod:`.config` (load and validate a study against the
schema), :mod:`.settings` (typed settings; the only defaults are the schema's),
:mod:`.contracts` (every output table's columns, dtypes, units and labels, with checked
readers and writers), :mod:`.errors`, :mod:`.logs`, :mod:`.fileio` (atomic writes),
:mod:`.geo` (CRS helpers); and the tools :mod:`.cli` and :mod:`.benchmarks`.
"""

__version__ = "0.1.0"
