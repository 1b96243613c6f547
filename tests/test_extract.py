"""Clip + filter of real OSM extracts with pyosmium, and the errors a planner sees."""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from pathlib import Path

import geopandas as gpd
import numpy as np
import osmium
import pytest
import shapely
import shapely.affinity

from spatialint.config import load_study
from spatialint.errors import ConfigError, DataError
from spatialint.osm.area import area_km2
from spatialint.osm.blocks import data_blocks, truncation_reason
from spatialint.osm.extract import (
    clip_extract,
    points_in,
    wanted_node_tags,
    wanted_relation_tags,
    wanted_way_tags,
)
from spatialint.osm.relations import RelationInfo, assemble_relation
from spatialint.osm.retrieve import run_retrieve_stage
from spatialint.settings import AdminLevelSettings, AreaSettings, study_settings


def area(**values: object) -> AreaSettings:
    """The ``area`` settings of ``values`` (``buffer_km`` 0 unless given)."""
    return AreaSettings.from_config({"buffer_km": 0, **values}, where="area")


@dataclass
class Content:
    nodes: dict[int, tuple[float, float]] = field(default_factory=dict)
    tagged_nodes: dict[int, dict[str, str]] = field(default_factory=dict)
    ways: dict[int, tuple[list[int], dict[str, str]]] = field(default_factory=dict)
    relations: dict[int, dict[str, str]] = field(default_factory=dict)
    relation_ways: set[int] = field(default_factory=set)


def read(path: Path) -> Content:
    content = Content()
    for obj in osmium.FileProcessor(str(path)):
        if obj.is_node():
            content.nodes[obj.id] = (obj.location.lon, obj.location.lat)
            if len(obj.tags):
                content.tagged_nodes[obj.id] = dict(obj.tags)
        elif obj.is_way():
            content.ways[obj.id] = ([n.ref for n in obj.nodes], dict(obj.tags))
        else:
            content.relations[obj.id] = dict(obj.tags)
            content.relation_ways |= {m.ref for m in obj.members if m.type == "w"}
    return content


def assert_complete_and_filtered(content: Content, levels: list[int]) -> None:
    """Every way is complete and either wanted or a member of a kept relation."""
    for way_id, (refs, tags) in content.ways.items():
        assert set(refs) <= set(content.nodes), f"way {way_id} is not complete"
        assert wanted_way_tags(tags) or way_id in content.relation_ways, way_id
    for tags in content.relations.values():
        assert wanted_relation_tags(tags, levels)
    assert any(wanted_way_tags(tags) for _, tags in content.ways.values())


@pytest.mark.realdata
def test_whole_extract_keeps_every_wanted_object(andorra_pbf: Path, tmp_path: Path) -> None:
    out = tmp_path / "extract.osm.pbf"
    stats = clip_extract(andorra_pbf, out, area=area(buffer_km=5), levels=[7])
    source, content = read(andorra_pbf), read(out)
    assert_complete_and_filtered(content, [7])
    wanted_ways = {w for w, (_, tags) in source.ways.items() if wanted_way_tags(tags)}
    assert wanted_ways <= set(content.ways)
    # buildings and other unwanted ways are gone, except boundary members
    assert not any(tags.get("building") for _, tags in content.ways.values())
    places = {n for n, t in source.tagged_nodes.items() if wanted_node_tags(t)}
    assert places <= set(content.tagged_nodes)
    assert {
        r
        for r, t in source.relations.items()
        if t.get("admin_level") == "7" and t.get("boundary") == "administrative"
    } <= set(content.relations)
    assert 2805971 not in content.relations  # boundary=administrative_fraction
    assert "8" not in {t.get("admin_level") for t in content.relations.values()}
    assert stats.ways == len(content.ways) and stats.nodes == len(content.nodes)
    assert len(content.nodes) < len(source.nodes)


@pytest.mark.realdata
def test_clip_to_admin_unit_by_name(andorra_pbf: Path, tmp_path: Path) -> None:
    out = tmp_path / "extract.osm.pbf"
    unit = area(admin_units=[{"name": "Andorra la Vella", "admin_level": 7}], buffer_km=0.5)
    stats = clip_extract(andorra_pbf, out, area=unit, levels=[7])
    content = read(out)
    assert_complete_and_filtered(content, [7])
    # the parish is ~30 km² in OSM; the 0.5 km buffer adds ~10 km²
    assert 30 < stats.area_km2 < 45
    whole = read(andorra_pbf)
    roads = {w for w, (_, t) in content.ways.items() if "highway" in t}
    all_roads = {w for w, (_, t) in whole.ways.items() if "highway" in t}
    assert 0 < len(roads) < len(all_roads) / 2
    # every kept road has at least one node near Andorra la Vella (42.51 N, 1.52 E)
    for way_id in roads:
        xy = np.array([content.nodes[n] for n in content.ways[way_id][0]])
        assert (np.abs(xy[:, 0] - 1.52) < 0.06).any() and (np.abs(xy[:, 1] - 42.5) < 0.05).any()
    # the parish relation is kept with all its members, and its neighbours touching the area
    assert 2804753 in content.relations
    assert any(
        t.get("place") == "town" and t.get("name") == "Andorra la Vella"
        for t in content.tagged_nodes.values()
    )


@pytest.mark.realdata
def test_clip_to_bbox_and_polygon_file_agree(monaco_pbf: Path, tmp_path: Path) -> None:
    bbox = [7.405, 43.72, 7.425, 43.735]
    by_bbox = tmp_path / "bbox.osm.pbf"
    clip_extract(monaco_pbf, by_bbox, area=area(bbox=bbox), levels=[8])
    # the same box saved in Web Mercator: read with its CRS and reprojected
    frame = gpd.GeoDataFrame(geometry=[shapely.box(*bbox)], crs="EPSG:4326").to_crs(3857)
    frame.to_file(tmp_path / "area.geojson", driver="GeoJSON")
    by_file = tmp_path / "file.osm.pbf"
    clip_extract(
        monaco_pbf,
        by_file,
        area=area(polygon_file="area.geojson"),
        levels=[8],
        base_dir=tmp_path,
    )
    a, b = read(by_bbox), read(by_file)
    assert set(a.ways) == set(b.ways) and len(a.ways) > 50
    assert_complete_and_filtered(a, [8])
    # a station of the Monaco railway is in the box
    assert any(t.get("railway") == "station" for t in a.tagged_nodes.values())


@pytest.mark.realdata
def test_buffer_grows_the_clip(monaco_pbf: Path, tmp_path: Path) -> None:
    box = [7.415, 43.725, 7.42, 43.73]
    small = clip_extract(monaco_pbf, tmp_path / "a.osm.pbf", area=area(bbox=box), levels=[8])
    large = clip_extract(
        monaco_pbf, tmp_path / "b.osm.pbf", area=area(bbox=box, buffer_km=1), levels=[8]
    )
    assert large.area_km2 > small.area_km2 + 3
    assert large.ways > small.ways


@pytest.mark.filterwarnings("ignore:'crs' was not provided")
@pytest.mark.realdata
def test_polygon_file_without_crs_is_an_error(monaco_pbf: Path, tmp_path: Path) -> None:
    frame = gpd.GeoDataFrame(geometry=[shapely.box(7.4, 43.7, 7.45, 43.75)])  # no CRS
    frame.to_file(tmp_path / "area.shp")
    with pytest.raises(ConfigError, match=r"area.shp has no coordinate reference system"):
        clip_extract(
            monaco_pbf,
            tmp_path / "x.osm.pbf",
            area=area(polygon_file=str(tmp_path / "area.shp")),
            levels=[8],
        )


@pytest.mark.realdata
def test_unknown_unit_lists_similar_names(andorra_pbf: Path, tmp_path: Path) -> None:
    misspelt = area(admin_units=[{"name": "Andora la Vela", "admin_level": 7}])
    with pytest.raises(
        ConfigError,
        match=r"no boundary relation named 'Andora la Vela'.*"
        r"similar names: 'Andorra la Vella'",
    ):
        clip_extract(andorra_pbf, tmp_path / "x.osm.pbf", area=misspelt, levels=[7])
    with pytest.raises(ConfigError, match=r"relation 1 is not a boundary=administrative"):
        clip_extract(
            andorra_pbf,
            tmp_path / "x.osm.pbf",
            area=area(admin_units=[{"relation_id": 1}]),
            levels=[7],
        )
    assert not (tmp_path / "x.osm.pbf").exists()


@pytest.mark.realdata
def test_incomplete_area_unit_is_an_error(andorra_pbf: Path, tmp_path: Path) -> None:
    # Canillo's boundary reaches beyond the Andorra extract (2 of 7 ways missing)
    canillo = area(admin_units=[{"name": "Canillo", "admin_level": 7}])
    with pytest.raises(DataError, match=r"Canillo .* is incomplete .* 2 of 7 member ways"):
        clip_extract(andorra_pbf, tmp_path / "x.osm.pbf", area=canillo, levels=[7])


@pytest.mark.realdata
def test_empty_clip_is_an_error(monaco_pbf: Path, tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"left no roads, railways or places"):
        clip_extract(
            monaco_pbf,
            tmp_path / "x.osm.pbf",
            area=area(bbox=[112.9, 28.1, 113.1, 28.3], buffer_km=1),
            levels=[8],
        )
    assert not (tmp_path / "x.osm.pbf").exists()


@pytest.mark.realdata
def test_bad_area_config(monaco_pbf: Path, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"\[west, south, east, north\]"):
        clip_extract(
            monaco_pbf, tmp_path / "x.osm.pbf", area=area(bbox=[7.45, 43.7, 7.4, 43.75]), levels=[8]
        )
    with pytest.raises(ConfigError, match=r"only one of admin_units, polygon_file, bbox"):
        clip_extract(
            monaco_pbf,
            tmp_path / "x.osm.pbf",
            area=area(bbox=[7.4, 43.7, 7.45, 43.75], polygon_file="a.geojson"),
            levels=[8],
        )


@pytest.mark.parametrize("damage", ["truncated", "garbage"])
@pytest.mark.realdata
def test_corrupt_pbf_names_the_file(monaco_pbf: Path, tmp_path: Path, damage: str) -> None:
    data = monaco_pbf.read_bytes()
    broken = tmp_path / f"{damage}.osm.pbf"
    broken.write_bytes(
        data[: len(data) // 2] if damage == "truncated" else b"not a pbf at all " * 300
    )
    with pytest.raises(DataError, match=rf"{broken.name} is truncated or corrupt.*delete it"):
        clip_extract(broken, tmp_path / "x.osm.pbf", area=area(), levels=[8])
    assert not (tmp_path / "x.osm.pbf").exists()


def test_missing_source_file(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="does not exist"):
        clip_extract(tmp_path / "nope.osm.pbf", tmp_path / "x.osm.pbf", area=area(), levels=[8])


def test_points_in_is_vectorised_and_inclusive() -> None:
    square = shapely.box(0, 0, 1, 1)
    xy = np.array([[0.5, 0.5], [1.0, 0.5], [2, 2], [-0.1, 0.5]], dtype=np.float32)
    assert points_in(square, xy).tolist() == [True, True, False, False]
    assert points_in(None, xy).all()


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    """The synthetic demo region (spatialint.demo.generator) as the retrieve stage gets it."""
    demo_module = pytest.importorskip("spatialint.demo.generator")
    out = tmp_path_factory.mktemp("demo")
    demo_module.write_demo(out / "demo.osm.pbf", out / "truth.json", seed=42, scale=1.0)
    return out / "demo.osm.pbf", json.loads((out / "truth.json").read_text(encoding="utf-8"))


def test_demo_whole_extract_keeps_the_region(demo: tuple[Path, dict], tmp_path: Path) -> None:
    pbf, truth = demo
    out = tmp_path / "extract.osm.pbf"
    clip_extract(pbf, out, area=area(buffer_km=5), levels=[5, 6])
    content = read(out)
    assert_complete_and_filtered(content, [5, 6])
    road_nodes = {n for refs, tags in content.ways.values() if "highway" in tags for n in refs}
    assert len(road_nodes) == truth["n_road_nodes"]
    assert set(content.relations) == {u["relation_id"] for u in truth["units"]}
    assert {p["node_id"] for p in truth["places"]} <= set(content.tagged_nodes)
    assert {s["node_id"] for s in truth["stations"]} <= set(content.tagged_nodes)
    planned = {c["planned_way_id"] for c in truth["border_dead_ends"]} - {None}
    assert planned and planned <= set(content.ways)  # highway=construction is kept


def test_demo_clip_to_one_city(demo: tuple[Path, dict], tmp_path: Path) -> None:
    pbf, truth = demo
    out = tmp_path / "extract.osm.pbf"
    west_city = area(admin_units=[{"name": "西城市", "admin_level": 5}], buffer_km=2)
    stats = clip_extract(pbf, out, area=west_city, levels=[5, 6])
    content = read(out)
    assert_complete_and_filtered(content, [5, 6])
    # 西城市 is x < 0 km of a region centred on 113.5°E: kept roads reach no further east
    # than the 2 km buffer past the border, except whole ways that start inside
    west_edge = truth["bbox"][0]
    assert 0.3 * 110 * 80 < stats.area_km2 < 1.2 * 112 * 84  # ~110 km x 80 km plus buffer
    places = {t["name"] for t in content.tagged_nodes.values() if "place" in t}
    assert {"西城", "西湖镇"} <= places
    # places east of the buffer are dropped, except the admin_centre nodes of kept relations
    east = {p["name"] for p in truth["places"] if p["lon"] > 113.53}
    assert east & places == {"东城", "河东镇"}  # seats of 东城市 and 河东区, which touch it
    assert all(
        min(content.nodes[n][0] for n in refs) < 113.53
        for refs, tags in content.ways.values()
        if "highway" in tags
    )
    assert min(lon for lon, _ in content.nodes.values()) >= west_edge - 1e-9
    # both cities' relations are kept: 东城市 touches the area along the border
    assert {1, 2} <= set(content.relations)


def test_assemble_relation_nodes_crossing_ways_and_rejects_open_rings() -> None:
    # a square split into two ways whose ends overlap by a segment: pyosmium would reject it
    a = shapely.LineString([(0, 0), (1, 0), (1, 1), (0.5, 1)])
    b = shapely.LineString([(0.6, 1), (0, 1), (0, 0)])  # overlaps a on (0.5..0.6, 1)
    hole = shapely.LineString([(0.2, 0.2), (0.4, 0.2), (0.4, 0.4), (0.2, 0.4), (0.2, 0.2)])
    info = RelationInfo(
        id=9, tags={"name": "Test", "admin_level": "6"}, outer_ways=[1, 2], inner_ways=[3]
    )
    geom = assemble_relation(info, {1: a, 2: b, 3: hole}, source=Path("x.pbf"))
    assert abs(geom.area - (1 - 0.04)) < 1e-9
    open_info = RelationInfo(id=9, tags={"name": "Test", "admin_level": "6"}, outer_ways=[1])
    with pytest.raises(DataError, match=r"Test \(admin_level 6, relation 9\).*do not close"):
        assemble_relation(open_info, {1: a}, source=Path("x.pbf"))
    with pytest.raises(DataError, match=r"incomplete in x.pbf: 1 of 3 member ways are missing"):
        assemble_relation(info, {1: a, 3: hole}, source=Path("x.pbf"))


@pytest.mark.realdata
def test_retrieve_stage_clips_a_local_pbf(monaco_pbf: Path, tmp_path: Path) -> None:
    """The stage function with the monaco study's typed settings, as a notebook would call it."""
    settings = study_settings(load_study("monaco"))
    source = replace(settings.source, url=str(monaco_pbf))
    target = tmp_path / "osm" / "extract.osm.pbf"
    run_retrieve_stage(
        {},
        {"pbf": target},
        source=source,
        area=area(bbox=[7.405, 43.72, 7.425, 43.735]),
        admin_levels=settings.admin_levels,
        base_dir=tmp_path,
    )
    content = read(target)
    assert_complete_and_filtered(content, [8, 10])
    assert any(t.get("railway") == "station" for t in content.tagged_nodes.values())


def test_retrieve_stage_needs_the_generated_demo(tmp_path: Path) -> None:
    settings = study_settings(load_study("demo"))
    target = tmp_path / "extract.osm.pbf"
    with pytest.raises(DataError, match="run the generate_demo rule first"):
        run_retrieve_stage(
            {"demo_pbf": tmp_path / "none.osm.pbf"},
            {"pbf": target},
            source=settings.source,
            area=settings.area,
            admin_levels=AdminLevelSettings(levels=(5, 6)),
            base_dir=tmp_path,
        )
    assert not target.exists()


# --- a planner's polygon file: repaired or refused, never silently half used (issue 12) ----


def _polygon_file(path: Path, geom: shapely.Geometry, crs: str | None = "EPSG:4326") -> str:
    gpd.GeoDataFrame(geometry=[geom], crs=crs).to_file(path)
    return str(path)


def test_bow_tie_polygon_file_is_repaired_with_a_warning(
    demo: tuple[Path, dict], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    pbf, _ = demo
    # an outline drawn corner to corner: it crosses itself at (113.3, 27.9), off centre
    bow = shapely.Polygon([(112.9, 27.7), (113.9, 28.1), (113.9, 27.7), (112.9, 28.1)])
    lobes = shapely.MultiPolygon(
        [shapely.Polygon([(112.9, 27.7), (113.4, 27.9), (112.9, 28.1)]),
         shapely.Polygon([(113.9, 27.7), (113.4, 27.9), (113.9, 28.1)])]
    )  # fmt: skip
    path = _polygon_file(tmp_path / "bow.geojson", bow)
    with caplog.at_level("WARNING", logger="spatialint"):
        stats = clip_extract(pbf, tmp_path / "x.osm.pbf", area=area(polygon_file=path), levels=[5])
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert len(warnings) == 1, warnings
    lobes_km2 = area_km2(lobes)
    assert "bow.geojson: feature 1 is not a valid polygon (Self-intersection" in warnings[0]
    assert f"→ {lobes_km2:,.2f} km² repaired, in 2 part(s)" in warnings[0]
    assert stats.area_km2 == pytest.approx(lobes_km2, rel=1e-6)  # both lobes, nothing dropped
    kept = read(tmp_path / "x.osm.pbf")
    lons = [lon for lon, _ in kept.nodes.values()]
    assert min(lons) < 113.3 < max(lons)  # roads of both lobes


def test_self_overlapping_outline_is_refused(demo: tuple[Path, dict], tmp_path: Path) -> None:
    pbf, _ = demo
    # the outline runs into itself and back out: its loop is inside or a hole, by reading
    loop = shapely.affinity.affine_transform(
        shapely.Polygon([(0, 0), (10, 0), (10, 10), (4, 10), (4, 4), (6, 4), (6, 12), (0, 12)]),
        [0.05, 0, 0, 0.03, 113.0, 27.7],
    )
    path = _polygon_file(tmp_path / "loop.gpkg", loop)
    with pytest.raises(ConfigError, match=r"loop.gpkg: feature 1 .*cannot be repaired safely"):
        clip_extract(pbf, tmp_path / "x.osm.pbf", area=area(polygon_file=path), levels=[5])
    assert not (tmp_path / "x.osm.pbf").exists()


@pytest.mark.filterwarnings("ignore:'crs' was not provided")
def test_polygon_file_in_metres_is_refused_naming_the_file(
    demo: tuple[Path, dict], tmp_path: Path
) -> None:
    pbf, _ = demo
    metres = gpd.GeoSeries([shapely.box(112.9, 27.7, 113.9, 28.1)], crs=4326).to_crs(32649)
    geojson = tmp_path / "area.geojson"  # GDAL reads any GeoJSON as WGS-84 degrees
    geojson.write_text(
        json.dumps(
            {"type": "Feature", "properties": {}, "geometry": metres.iloc[0].__geo_interface__}
        ),
        encoding="utf-8",
    )
    with pytest.raises(
        ConfigError,
        match=r"area.geojson is read as WGS 84 \(degrees\), but its "
        r"coordinates reach x 6.* look like metres .* reproject it to EPSG:4326",
    ):
        clip_extract(pbf, tmp_path / "x.osm.pbf", area=area(polygon_file=str(geojson)), levels=[5])
    shapefile = _polygon_file(tmp_path / "area.shp", metres.iloc[0], crs=None)  # no .prj
    with pytest.raises(
        ConfigError,
        match=r"area.shp has no coordinate reference system \(a "
        r"Shapefile keeps it in the .prj.*look like metres",
    ):
        clip_extract(pbf, tmp_path / "x.osm.pbf", area=area(polygon_file=shapefile), levels=[5])
    assert not (tmp_path / "x.osm.pbf").exists()


def test_a_polygon_file_elsewhere_names_both_places(
    demo: tuple[Path, dict], tmp_path: Path
) -> None:
    pbf, _ = demo
    path = _polygon_file(tmp_path / "area.gpkg", shapely.box(100.0, 10.0, 100.1, 10.1))
    with pytest.raises(
        DataError,
        match=r"does not overlap the extract \(the study area spans "
        r"100.0000–100.1000°E.*extract's roads and places span 112",
    ):
        clip_extract(pbf, tmp_path / "x.osm.pbf", area=area(polygon_file=path), levels=[5])


def test_a_ten_metre_bbox_is_too_small(demo: tuple[Path, dict], tmp_path: Path) -> None:
    pbf, _ = demo
    tiny = area(bbox=[113.5, 27.9, 113.5001, 27.9001])  # ~10 m × 11 m, between roads
    with pytest.raises(
        DataError,
        match=r"the area is too small to hold any \(1.. m² incl. the "
        r"buffer; the nearest road or place is [\d,]+ m outside it\).*buffer_km",
    ):
        clip_extract(pbf, tmp_path / "x.osm.pbf", area=tiny, levels=[5])
    assert not (tmp_path / "x.osm.pbf").exists()


def cut_on_a_block_boundary(source: Path, target: Path, *, blocks_kept: int) -> Path:
    """``source`` cut after its header and ``blocks_kept`` data blocks: a valid PBF, cut short."""
    offset, size = data_blocks(source)[blocks_kept - 1]
    target.write_bytes(source.read_bytes()[: offset + size])
    return target


@pytest.mark.realdata
def test_pbf_cut_on_a_block_boundary_says_truncated(
    andorra_pbf: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    cut = cut_on_a_block_boundary(andorra_pbf, tmp_path / "andorra.osm.pbf", blocks_kept=9)
    assert sum(1 for _ in osmium.FileProcessor(str(cut))) == 9 * 8000  # reads without error
    with pytest.raises(
        DataError,
        match=r"andorra.osm.pbf looks truncated: its last data block "
        r"is as full as the one before it \(8,000 objects.*no relations at all.*"
        r"Re-download it",
    ):
        clip_extract(cut, tmp_path / "x.osm.pbf", area=area(), levels=[7])
    assert not (tmp_path / "x.osm.pbf").exists()
    # a complete file does not look cut, and an area unit missing from a cut file says why
    assert truncation_reason(andorra_pbf) is None
    encamp = area(admin_units=[{"name": "Encamp", "admin_level": 7}])
    with pytest.raises(DataError, match="looks truncated"):
        clip_extract(cut, tmp_path / "x.osm.pbf", area=encamp, levels=[7])


@pytest.mark.realdata
def test_unknown_unit_names_the_level_it_is_at(andorra_pbf: Path, tmp_path: Path) -> None:
    with pytest.raises(
        ConfigError,
        match=r"named 'Escaldes-Engordany' at admin_level 8.*"
        r"'Escaldes-Engordany' is at admin_level 7",
    ):
        clip_extract(
            andorra_pbf,
            tmp_path / "x.osm.pbf",
            area=area(admin_units=[{"name": "Escaldes-Engordany", "admin_level": 8}]),
            levels=[7],
        )
    with pytest.raises(ConfigError, match=r"similar names: 'Escaldes-Engordany'"):
        clip_extract(
            andorra_pbf,
            tmp_path / "x.osm.pbf",
            area=area(admin_units=[{"name": "Escaldes", "admin_level": 7}]),
            levels=[7],
        )
