"""A planner's polygon file (``area.polygon_file``, ``admin.file``): read, checked, repaired.

Each check refuses the file with one :class:`~spatialint.errors.ConfigError` naming the key,
the file and what to do, before any later step can trip over it:

- the file exists and GDAL reads it;
- it has a coordinate reference system (a missing CRS is never guessed; coordinates that look
  like metres are said so);
- its coordinates fit its CRS: degrees within ±180/±90 where the CRS is geographic (GDAL reads
  every GeoJSON as WGS-84 longitude/latitude, RFC 7946, so a GeoJSON saved in metres is caught
  here), and finite, on the globe, once transformed to WGS-84;
- it holds polygons.

A polygon that is not valid (its outline crosses itself, as in a bow-tie) is repaired with
GEOS's ``make_valid`` using the "structure" method, which keeps every part the outline
encloses, and logged as a warning with its area as drawn and as repaired. A repair is refused
when the outline has more than one reading: where it overlaps itself, the "linework" method
(overlaps become holes) and the "structure" method (overlaps are filled) disagree, and a
disagreement larger than :data:`AMBIGUOUS_REPAIR_SHARE` of the area would silently move roads in
or out of the study.
"""

from __future__ import annotations

import logging
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from spatialint.errors import ConfigError
from spatialint.geo import WGS84, utm_crs_for

logger = logging.getLogger(__name__)

POLYGON_TYPES = ("Polygon", "MultiPolygon")
#: Largest share of a repaired polygon's area on which the two readings of a self-overlapping
#: outline may differ. 5 %: a digitising slip (a small loop at a vertex) differs by far less,
#: an outline doubling back over a whole district by far more.
AMBIGUOUS_REPAIR_SHARE = 0.05
M2_PER_KM2 = 1e6
_FIX_IN_QGIS = "QGIS: Vector › Geometry Tools › Check Validity shows where"


def read_user_polygons(
    path: Path, *, key: str, label_column: str | None = None
) -> gpd.GeoDataFrame:
    """The polygon features of a user's file, in WGS-84, each valid, with all their columns.

    Parameters
    ----------
    path
        GeoJSON, GeoPackage, Shapefile or any file GDAL reads.
    key
        The config key that names the file (``area.polygon_file``), for the messages.
    label_column
        Column naming a feature in the messages (else its row number, from 1).

    Raises
    ------
    ConfigError
        The file is missing or unreadable, has no CRS, has coordinates that do not fit its
        CRS, holds no polygon, or holds a polygon that cannot be repaired safely.
    """
    if not path.exists():
        raise ConfigError(f"{key} {path} does not exist; check the path.")
    try:
        frame = gpd.read_file(path)
    except Exception as err:  # pyogrio raises its own DataSourceError family
        raise ConfigError(f"{key} {path} could not be read: {err}") from err
    frame = frame[frame.geometry.notna() & ~frame.geometry.is_empty]
    _check_crs_and_degrees(frame, path, key=key)
    polygons = frame[frame.geom_type.isin(POLYGON_TYPES)]
    if polygons.empty:
        raise ConfigError(f"{key} {path} holds no polygon.")
    wgs84 = polygons.to_crs(WGS84)
    _check_on_the_globe(wgs84, path, key=key, crs=polygons.crs)
    return repair_polygons(wgs84, path=path, key=key, label_column=label_column)


def _number(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.6g}"


def _extent(frame: gpd.GeoDataFrame) -> str:
    west, south, east, north = (_number(v) for v in frame.total_bounds)
    return f"x {west} to {east}, y {south} to {north}"


def _looks_projected(frame: gpd.GeoDataFrame) -> bool:
    west, south, east, north = frame.total_bounds
    return not (-180 <= west <= east <= 180 and -90 <= south <= north <= 90)


def _check_crs_and_degrees(frame: gpd.GeoDataFrame, path: Path, *, key: str) -> None:
    """Refuse a file without CRS, or whose geographic CRS holds coordinates beyond degrees."""
    if frame.empty:
        return
    if frame.crs is None:
        prj = " (a Shapefile keeps it in the .prj file beside it)" if path.suffix == ".shp" else ""
        metres = (
            f"; its coordinates ({_extent(frame)}) look like metres of a projected CRS"
            if _looks_projected(frame)
            else ""
        )
        raise ConfigError(
            f"{key} {path} has no coordinate reference system{prj}{metres}. Save it with its "
            "CRS (e.g. EPSG:4326 or EPSG:4490, or the projected CRS it was drawn in) — a "
            "missing CRS is never guessed."
        )
    if frame.crs.is_geographic and _looks_projected(frame):
        if path.suffix.lower() in {".geojson", ".json"}:
            fix = (
                "A GeoJSON is always read as WGS-84 longitude/latitude (RFC 7946): reproject it "
                "to EPSG:4326 (QGIS: Export › Save Features As…, CRS EPSG:4326), or save it as a "
                "GeoPackage, which keeps its projected CRS."
            )
        else:
            fix = (
                "Assign its real CRS (QGIS: Layer Properties › Source › Assigned CRS) and save "
                "it again, or reproject it to EPSG:4326."
            )
        raise ConfigError(
            f"{key} {path} is read as {frame.crs.name} (degrees), but its coordinates reach "
            f"{_extent(frame)}: they look like metres of a projected CRS. {fix}"
        )


def _check_on_the_globe(wgs84: gpd.GeoDataFrame, path: Path, *, key: str, crs: object) -> None:
    bounds = wgs84.total_bounds
    if not np.isfinite(bounds).all() or _looks_projected(wgs84):
        raise ConfigError(
            f"{key} {path}: its coordinates do not fit its CRS {crs} (they fall off the globe "
            "in WGS-84). Assign the CRS the file was really drawn in and save it again."
        )


def _polygonal(geom: BaseGeometry) -> BaseGeometry:
    """The polygon parts of ``make_valid``'s result (which may add lines or points)."""
    parts = [p for p in shapely.get_parts(geom) if p.geom_type in POLYGON_TYPES]
    return shapely.union_all(parts) if parts else shapely.Polygon()


def _areas_km2(geoms: list[BaseGeometry]) -> np.ndarray:
    """Areas of WGS-84 geometries in km², in the UTM zone of the first one's centre."""
    centre = geoms[0].centroid
    metric = gpd.GeoSeries(geoms, crs=WGS84).to_crs(utm_crs_for(centre.x, centre.y))
    return np.abs(metric.area.to_numpy()) / M2_PER_KM2


def repair_polygons(
    frame: gpd.GeoDataFrame, *, path: Path, key: str, label_column: str | None = None
) -> gpd.GeoDataFrame:
    """``frame`` (WGS-84) with its invalid polygons repaired, each logged as a warning.

    Raises
    ------
    ConfigError
        A polygon whose repair is ambiguous (see the module) or encloses no area.
    """
    invalid = np.flatnonzero(~frame.geometry.is_valid.to_numpy())
    if not len(invalid):
        return frame
    geoms = frame.geometry.to_numpy().copy()
    for pos in invalid:
        label = _label(frame, pos, label_column)
        geom = geoms[pos]
        reason = shapely.is_valid_reason(geom)
        filled = _polygonal(shapely.make_valid(geom, method="structure", keep_collapsed=False))
        parity = _polygonal(shapely.make_valid(geom, method="linework"))
        drawn, repaired, holes = _areas_km2([geom, filled, parity])
        if repaired <= 0 or abs(repaired - holes) > AMBIGUOUS_REPAIR_SHARE * repaired:
            raise ConfigError(
                f"{key} {path}: {label} is not a valid polygon ({reason}) and cannot be "
                f"repaired safely: its outline overlaps itself, so it encloses either "
                f"{holes:,.2f} or {repaired:,.2f} km². Fix the outline ({_FIX_IN_QGIS}) and "
                "run again."
            )
        logger.warning(
            "%s %s: %s is not a valid polygon (%s); repaired with make_valid: %s km² as given "
            "(where an outline crosses itself its parts partly cancel in that measure) → %s "
            "km² repaired, in %d part(s): every part the outline encloses. Check the study "
            "area, and fix the outline (%s) to silence this warning.",
            key, path, label, reason, f"{drawn:,.2f}", f"{repaired:,.2f}",
            shapely.get_num_geometries(filled), _FIX_IN_QGIS,
        )  # fmt: skip
        geoms[pos] = filled
    return frame.set_geometry(gpd.GeoSeries(geoms, index=frame.index, crs=frame.crs))


def _label(frame: gpd.GeoDataFrame, pos: int, label_column: str | None) -> str:
    if label_column and label_column in frame.columns:
        return f"feature {pos + 1} ({frame.iloc[pos][label_column]})"
    return f"feature {pos + 1}"
