"""The ``report`` rule's step: report page, workbook and GeoPackage from the stage outputs."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from spatialint.contracts.io import read_table
from spatialint.contracts.network import SPEED_FIT, SPEED_SAMPLES
from spatialint.fileio import atomic_path
from spatialint.publish.i18n import check_language, label, speeds_note
from spatialint.publish.layers import StudyLayers, osm_data_date, read_layers
from spatialint.publish.map.build import study_title
from spatialint.publish.report.calibration import calibration_section
from spatialint.publish.report.figures import OVERVIEW_ROAD_CLASSES, report_figures
from spatialint.publish.report.files import (
    thumbnail_uris,
    write_geopackage,
    write_report_workbook,
)
from spatialint.publish.report.page import build_report_html
from spatialint.publish.report.tables import listed_gaps, study_summary
from spatialint.settings import ReportSettings, SpeedSettings, StudyInfo

logger = logging.getLogger(__name__)

PathArg = str | os.PathLike[str]


def _relative(target: Path, start: Path) -> str:
    return Path(os.path.relpath(target, start)).as_posix()


def write_report(
    layers: StudyLayers, *, html_path: PathArg, xlsx_path: PathArg, gpkg_path: PathArg,
    map_path: PathArg | None, report_settings: ReportSettings, study: StudyInfo,
    data_date: str | None, thumbnails: PathArg | None = None,
    speeds: SpeedSettings | None = None,
    calibration: tuple[pd.DataFrame, pd.DataFrame] | None = None,
) -> dict[str, Path]:  # fmt: skip
    """Write report.html, report.xlsx and spatialint.gpkg; return their paths by kind.

    Parameters
    ----------
    layers
        The stage outputs.
    html_path, xlsx_path, gpkg_path
        Where the page, the workbook and the GeoPackage go.
    map_path
        The map the page links to (relative to the page), or ``None``.
    report_settings
        How many 断头路 the page lists; whether the GeoPackage gets CGCS2000 copies.
    study
        Title, language and whether the data is synthetic.
    data_date
        The OSM data date shown under the title.
    thumbnails
        The gaps stage's thumbnail folder: the listed 断头路's pictures go into the page;
        ``None``: the page lists them without.
    speeds
        The speed profile, said in the page's meta line (``None``: not said).
    calibration
        The road stage's ``speed_fit`` and ``speed_samples`` tables: with a calibration in them
        the page has its section (fit, scatter, excluded trips) and the meta line its error.
    """
    language = check_language(study.language)
    title = study_title(study)
    html_target = Path(html_path)
    links = {}
    if map_path is not None:
        links[label("open_map", language)] = _relative(Path(map_path), html_target.parent)
    links["report.xlsx"] = _relative(Path(xlsx_path), html_target.parent)
    links["spatialint.gpkg"] = _relative(Path(gpkg_path), html_target.parent)
    fit, samples = calibration or (SPEED_FIT.empty(), SPEED_SAMPLES.empty())
    listed = listed_gaps(
        layers.dead_ends, top_n=report_settings.top_gaps, levels=report_settings.gap_confidence
    )
    summary = study_summary(layers)  # 6 CPU s at 3.7M road edges: computed once
    page = build_report_html(
        layers, summary=summary, title=title, language=language, data_date=data_date,
        synthetic=study.synthetic,
        listed_gaps=listed, gap_confidence=report_settings.gap_confidence,
        thumbnails=thumbnail_uris(listed, thumbnails) if thumbnails is not None else {},
        figures=report_figures(layers, language=language, title=title), links=links,
        speeds=speeds_note(speeds, language, fit) if speeds is not None else "",
        calibration=calibration_section(fit, samples, language=language) if len(fit) else (),
    )  # fmt: skip
    write_report_workbook(layers, summary, xlsx_path)
    write_geopackage(layers, gpkg_path, cgcs2000=report_settings.cgcs2000)
    with atomic_path(html_target) as tmp:
        tmp.write_text(page, encoding="utf-8")
    logger.info("Wrote %s, %s and %s", html_target, xlsx_path, gpkg_path)
    return {"html": html_target, "xlsx": Path(xlsx_path), "gpkg": Path(gpkg_path)}


def run_report_stage(
    inputs: Mapping[str, PathArg],
    outputs: Mapping[str, PathArg],
    *,
    report: ReportSettings,
    study: StudyInfo,
    speeds: SpeedSettings,
) -> dict[str, Path]:
    """Write a study's review report, workbook and GeoPackage from its stage outputs.

    Parameters
    ----------
    inputs
        Paths by the ``report`` rule's input names
        (:func:`~spatialint.publish.layers.read_layers`, plus ``pbf`` for the OSM data date
        and ``thumbnails``, the gaps stage's thumbnail folder, ``speed_fit`` and
        ``speed_samples``, the road stage's calibration).
    outputs
        Paths by the rule's output names: ``html``, ``xlsx``, ``gpkg``. The page links the
        map ``index.html`` beside ``html``.
    report
        The report keys of ``maps`` (``top_gaps``, ``cgcs2000``).
    study
        Title, language and whether the data is synthetic.
    speeds
        The speed profile, said in the page's meta line.

    Returns
    -------
    dict
        The written paths by kind (:func:`write_report`).
    """
    return write_report(
        read_layers(inputs, road_classes=OVERVIEW_ROAD_CLASSES),
        html_path=outputs["html"],
        xlsx_path=outputs["xlsx"],
        gpkg_path=outputs["gpkg"],
        map_path=Path(outputs["html"]).with_name("index.html"),
        report_settings=report,
        study=study,
        data_date=osm_data_date(inputs["pbf"]),
        thumbnails=inputs["thumbnails"],
        speeds=speeds,
        calibration=(
            read_table(inputs["speed_fit"], SPEED_FIT),
            read_table(inputs["speed_samples"], SPEED_SAMPLES),
        ),
    )
