"""The retrieve stage: a study's OSM extract from its source, clipped to the area and filtered.

One of three sources (``source.kind``): the synthetic demo region written by the
``generate_demo`` rule, an OSM PBF (local, or downloaded into a cache by
:mod:`spatialint.osm.sources`), or the Overpass API (:mod:`spatialint.osm.overpass`). A PBF is
clipped with :func:`spatialint.osm.extract.clip_extract`; several PBFs (``source.url`` as a
list) are first merged by :func:`spatialint.osm.merge.merged_source` into
``osm/source_merged.osm.pbf``, removed once the clip is written; the Overpass answer is already
limited to the area and written as the same PBF.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from spatialint.errors import DataError
from spatialint.osm.extract import clip_extract
from spatialint.osm.merge import merged_source
from spatialint.osm.sources import resolve_sources
from spatialint.osm.study_area import AREA_BASIS, write_study_area
from spatialint.settings import AdminLevelSettings, AreaSettings, SourceSettings


def run_retrieve_stage(
    inputs: Mapping[str, str | Path],
    outputs: Mapping[str, str | Path],
    *,
    source: SourceSettings,
    area: AreaSettings,
    admin_levels: AdminLevelSettings,
    base_dir: Path,
) -> None:
    """Write the study's OSM extract from its source, clipped and filtered.

    Parameters
    ----------
    inputs
        Paths by the ``retrieve_osm`` rule's input names: ``demo_pbf`` (the synthetic region of
        the ``generate_demo`` rule) for ``source.kind: demo``; a local source PBF and the area's
        polygon file are inputs too, so that Snakemake reruns the clip when they change.
    outputs
        Paths by the rule's output names: ``pbf`` (``data/<study>/osm/extract.osm.pbf``) and
        ``area`` (``osm/study_area.gpkg``: the study area without its buffer, see
        :mod:`spatialint.osm.study_area`).
    source, area, admin_levels
        Where the data comes from, the study area and the boundary levels kept.
    base_dir
        Directory that relative paths of the config resolve against (Snakemake's working
        directory).

    Raises
    ------
    DataError
        If the demo PBF is missing, or the source cannot be read (see
        :func:`spatialint.osm.sources.resolve_source`).
    """
    target = Path(outputs["pbf"])
    levels = admin_levels.levels
    if source.kind == "overpass":
        from spatialint.osm.overpass import fetch_extract, unbuffered_area  # osmnx: Overpass only

        fetch_extract(target, source=source, area=area, levels=levels, base_dir=base_dir)
        study, basis = unbuffered_area(area, source=source, base_dir=base_dir), AREA_BASIS
    else:
        demo = source.kind == "demo"
        pbfs = (_demo_pbf(inputs),) if demo else resolve_sources(source, base_dir=base_dir)
        with merged_source(pbfs, beside=target) as pbf:
            stats = clip_extract(pbf, target, area=area, levels=levels, base_dir=base_dir)
        study, basis = stats.study_area, stats.study_area_basis
    if "area" in outputs:
        write_study_area(outputs["area"], study, basis)


def _demo_pbf(inputs: Mapping[str, str | Path]) -> Path:
    """The generated demo region, which must exist."""
    demo_pbf = inputs.get("demo_pbf")
    if demo_pbf is None or not Path(demo_pbf).is_file():
        raise DataError(f"The demo PBF {demo_pbf} is missing; run the generate_demo rule first.")
    return Path(demo_pbf)
