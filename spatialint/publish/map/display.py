"""Geometry for display: simplified in metres, shifted to GCJ-02 on AMap, rounded to 1 m.

Display is not analysis: layers are simplified in metres (``maps.simplify_m``) and only the
main road classes are drawn (``maps.road_classes``), so a region's map stays a few MB; the
full-resolution data stays in ``results/spatialint.gpkg``. On an AMap (Gaode) basemap every
overlay is shifted to GCJ-02 (:mod:`spatialint.publish.gcj02`), since AMap's tiles are drawn in
that offset datum; links to openstreetmap.org keep WGS-84.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pyproj
import shapely

from spatialint.geo import WGS84, utm_crs_for
from spatialint.publish.gcj02 import gcj02_geometries
from spatialint.publish.style import road_group

COORD_DECIMALS = 5
"""Decimals of degrees kept in the HTML (1e-5° ≈ 1 m), which halves the page size."""
POINT, LINESTRING, POLYGON, MULTILINESTRING, MULTIPOLYGON = 0, 1, 3, 5, 6
"""shapely geometry type ids."""


def _round_coords(geoms: np.ndarray) -> np.ndarray:
    return shapely.transform(geoms, lambda c: np.round(c, COORD_DECIMALS))


def display_frame(
    frame: gpd.GeoDataFrame, *, simplify_m: float, metric_crs: Any, gcj02: bool
) -> gpd.GeoDataFrame:
    """A copy of ``frame`` simplified in metres, optionally shifted to GCJ-02, rounded."""
    out = frame[~frame.geometry.is_empty & frame.geometry.notna()].copy()
    if out.empty:
        return out
    if simplify_m > 0:
        metric = out.geometry.to_crs(metric_crs)
        simple = metric.simplify(simplify_m, preserve_topology=True)
        out = out.set_geometry(simple.to_crs(WGS84))
    geoms = np.asarray(out.geometry.array, dtype=object)
    if gcj02:
        geoms = gcj02_geometries(geoms)
    out = out.set_geometry(gpd.GeoSeries(_round_coords(geoms), index=out.index, crs=WGS84))
    return out[~out.geometry.is_empty]


def display_roads(
    roads: gpd.GeoDataFrame, *, road_classes: Sequence[str], simplify_m: float, metric_crs: Any,
    gcj02: bool,
) -> gpd.GeoDataFrame:  # fmt: skip
    """The road network for display: main classes only, one feature per class and name.

    Directed edges are deduplicated (a two-way street is stored twice), links go with their
    class (``primary_link`` with ``primary``), and edges of one (group, name, ref) are merged
    into one line before simplification. Columns: ``group``, ``name``, ``ref``, ``highway``.
    """
    base = {c.removesuffix("_link") for c in road_classes}
    keep = roads["highway"].astype(str).str.removesuffix("_link").isin(base)
    frame = gpd.GeoDataFrame(
        roads.loc[keep, ["highway", "name", "ref"]], geometry=roads.geometry[keep], crs=roads.crs
    )
    if frame.empty:
        return frame.assign(group=[])
    frame = frame.assign(
        _key=shapely.to_wkb(shapely.normalize(np.asarray(frame.geometry.array, dtype=object)))
    )
    frame = frame.drop_duplicates("_key").drop(columns="_key")
    frame["group"] = road_group(frame["highway"])
    for column in ("name", "ref"):  # missing names merge as one unnamed line per group
        frame[column] = frame[column].fillna("").astype(str)
    merged = frame.dissolve(by=["group", "name", "ref"], as_index=False, aggfunc="first")
    merged = merged.set_geometry(
        shapely.line_merge(np.asarray(merged.geometry.array, dtype=object))
    )
    return display_frame(merged, simplify_m=simplify_m, metric_crs=metric_crs, gcj02=gcj02)


def outer_rings(geometries: np.ndarray) -> np.ndarray:
    """The exterior rings of (multi)polygons as (multi)linestrings; other geometries as is."""
    geoms = np.asarray(geometries, dtype=object)
    out = geoms.copy()
    polygonal = np.isin(shapely.get_type_id(geoms), (POLYGON, MULTIPOLYGON))
    polygonal &= ~shapely.is_empty(geoms)
    for i in np.flatnonzero(polygonal):
        parts = shapely.get_parts(geoms[i])
        rings = [shapely.LineString(shapely.get_exterior_ring(p).coords) for p in parts]
        if rings:
            out[i] = rings[0] if len(rings) == 1 else shapely.MultiLineString(rings)
    return out


@dataclass(frozen=True)
class Display:
    """How layers are prepared for one map: tolerance, metric CRS and datum of the basemap.

    Parameters
    ----------
    simplify_m
        Simplification tolerance in metres (``maps.simplify_m``).
    metric_crs
        The UTM zone of the study area, for simplifying in metres.
    gcj02
        Shift overlays to GCJ-02 (an AMap basemap).
    """

    simplify_m: float
    metric_crs: pyproj.CRS
    gcj02: bool

    @classmethod
    def for_area(cls, units: gpd.GeoDataFrame, *, simplify_m: float, gcj02: bool) -> Display:
        """The display of a study whose admin units are ``units``."""
        west, south, east, north = units.total_bounds
        crs = utm_crs_for(np.array([west, east]), np.array([south, north]))
        return cls(simplify_m=simplify_m, metric_crs=crs, gcj02=gcj02)

    def frame(self, frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
        """``frame`` ready to draw (:func:`display_frame`)."""
        return display_frame(
            frame, simplify_m=self.simplify_m, metric_crs=self.metric_crs, gcj02=self.gcj02
        )

    def roads(self, roads: gpd.GeoDataFrame, road_classes: Sequence[str]) -> gpd.GeoDataFrame:
        """The main roads ready to draw (:func:`display_roads`)."""
        return display_roads(
            roads, road_classes=road_classes, simplify_m=self.simplify_m,
            metric_crs=self.metric_crs, gcj02=self.gcj02,
        )  # fmt: skip

    def points(self, frame: gpd.GeoDataFrame) -> tuple[np.ndarray, ...]:
        """WGS-84 lon, lat and display (maybe GCJ-02) lon, lat of each feature's point: the
        point itself, a line's midpoint, a point on a polygon's surface."""
        geoms = np.asarray(frame.geometry.array, dtype=object)
        kinds = shapely.get_type_id(geoms)
        reps = np.where(kinds == POINT, geoms, shapely.point_on_surface(geoms)).astype(object)
        lines = np.isin(kinds, (LINESTRING, MULTILINESTRING))
        if lines.any():
            reps[lines] = shapely.line_interpolate_point(geoms[lines], 0.5, normalized=True)
        lon, lat = shapely.get_x(reps), shapely.get_y(reps)
        shown = gcj02_geometries(reps) if self.gcj02 else reps
        return lon, lat, shapely.get_x(shown), shapely.get_y(shown)
