"""GCJ-02 shift: published reference values, outside-China identity, inverse, geometries."""

from __future__ import annotations

import numpy as np
import pyproj
import pytest
from shapely.geometry import LineString, Point

from spatialint.publish.gcj02 import gcj02_geometries, gcj02_to_wgs84, out_of_china, wgs84_to_gcj02

GEOD = pyproj.Geod(ellps="WGS84")


def test_reference_value_of_the_published_algorithm():
    # Reference pair of the coordtransform library (Beijing, WGS-84 -> GCJ-02).
    lon, lat = wgs84_to_gcj02(116.404, 39.915)
    assert lon == pytest.approx(116.41024449916938, abs=1e-9)
    assert lat == pytest.approx(39.91640428150164, abs=1e-9)


@pytest.mark.parametrize(
    ("lon", "lat"), [(116.404, 39.915), (112.94, 28.23), (104.07, 30.67), (121.47, 31.23)]
)
def test_shift_is_a_few_hundred_metres_in_china(lon, lat):
    glon, glat = wgs84_to_gcj02(lon, lat)
    _, _, dist_m = GEOD.inv(lon, lat, float(glon), float(glat))
    assert 100 < dist_m < 800


def test_outside_china_is_unchanged():
    lon = np.array([1.52, 7.42, 139.69])
    lat = np.array([42.5, 43.73, 35.68])
    assert out_of_china(lon, lat).all()
    glon, glat = wgs84_to_gcj02(lon, lat)
    np.testing.assert_array_equal(glon, lon)
    np.testing.assert_array_equal(glat, lat)


def test_inverse_returns_the_position_within_a_centimetre():
    lon = np.array([116.404, 112.94, 113.5])
    lat = np.array([39.915, 28.23, 22.3])
    back_lon, back_lat = gcj02_to_wgs84(*wgs84_to_gcj02(lon, lat))
    _, _, dist_m = GEOD.inv(lon, lat, back_lon, back_lat)
    assert (dist_m < 0.01).all()


def test_geometries_shift_every_vertex():
    line = LineString([(112.9, 28.2), (113.1, 28.25)])
    point = Point(112.9, 28.2)
    shifted = gcj02_geometries(np.array([line, point], dtype=object))
    expected = np.column_stack(wgs84_to_gcj02(*np.asarray(line.coords).T))
    np.testing.assert_allclose(np.asarray(shifted[0].coords), expected)
    assert shifted[1].x == pytest.approx(float(wgs84_to_gcj02(112.9, 28.2)[0]))
