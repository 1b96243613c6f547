"""spatialint: metropolitan integration analysis from OpenStreetMap.

The package is the library behind the Snakemake pipeline in ``workflow/``.  Each module is one
concept and knows nothing about Snakemake:

- :mod:`spatialint.config`     study configuration: loading, schema validation, defaults
- :mod:`spatialint.demo`       the synthetic demo region, written as a real OSM PBF
- :mod:`spatialint.graph`      compact CSR graphs shared by every routing stage
- :mod:`spatialint.fileio`     atomic writes, so no half-written file is ever taken as output
"""

__version__ = "0.1.0"
