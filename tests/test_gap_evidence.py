"""The evidence behind each 断头路 and its confidence, exact data edges, and the reviewer's links
and thumbnails, on the hand-made region of :mod:`tests.gaps_region`.

The region's planted gaps are two pairs of residential stubs facing each other across the
border (y = 2000, 400 m, bridged by a planned way; y = -2000, 600 m); the tests add a tertiary
road ending 450 m short of a road of the other county (a plain medium gap) where they need one.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import osmium
import pandas as pd
import pytest
import shapely
from PIL import Image

from spatialint.errors import ConfigError
from spatialint.gaps.confidence import LEVELS, assess_dead_ends, rank_by_confidence
from spatialint.gaps.data_edges import DataExtent
from spatialint.gaps.links import class_drop_links, dead_end_links
from spatialint.gaps.osm_context import cut_nodes, read_osm_context
from spatialint.gaps.review import stable_gap_id
from spatialint.gaps.stage import rank_dead_ends
from spatialint.gaps.thumbnails import write_thumbnails
from spatialint.osm.study_area import source_bbox
from spatialint.osm.ways import write_osm
from spatialint.settings import GapSettings
from tests.gaps_region import (
    ROADS,
    UTM,
    X0,
    Y0,
    build_region,
    detect,
    gap_settings,
    node_ids,
    region_study,
    stage_settings,
)

#: A tertiary road of West ending 150 m short of the border, pointing at a road of East 450 m
#: away (a stub itself, but not at the facing point): a plain "medium" gap.
EXTRA = [
    (150, "tertiary", "西三路", [(-5000, -2000), (-3000, -1000), (-150, -1000)]),
    (151, "tertiary", "东三路", [(300, -2000), (300, -500)]),
]
ROADS_EXTRA = ROADS + EXTRA


def node(xy: tuple[float, float], roads=ROADS_EXTRA) -> int:
    return node_ids(roads)[xy]


def findings(roads=ROADS_EXTRA, **options):
    region = build_region(roads=roads)
    return region, detect(region, **options)


def ranked(roads=ROADS_EXTRA, **kwargs) -> pd.DataFrame:
    """Dead ends ranked as the stage ranks them (benefit, confidence, links)."""
    region, found = findings(roads, **kwargs)
    settings = stage_settings(**{k: v for k, v in kwargs.items() if k in GAP_FIELDS})
    return rank_dead_ends(
        found, region.graph, gaps=settings["gaps"], roads=settings["roads"], people=None,
        edges=region.edges,
    )  # fmt: skip


GAP_FIELDS = {f.name for f in dataclasses.fields(GapSettings)}


def row_of(dead: pd.DataFrame, xy: tuple[float, float]) -> pd.Series:
    n = node(xy)
    return dead[(dead["node_id"] == n) | (dead["other_node_id"] == n)].iloc[0]


# ------------------------------------------------------------------------------- evidence


def test_facing_stubs_and_their_angles():
    _, found = findings()
    north = row_of(found.dead_ends, (-200, 2000))
    assert north["facing_stubs"]
    assert north["approach_deg"] == pytest.approx(0, abs=0.5)
    assert north["other_approach_deg"] == pytest.approx(0, abs=0.5)
    assert north["plausible_gap_m"] == 300  # residential on both sides
    plain = row_of(found.dead_ends, (-150, -1000))
    assert not plain["facing_stubs"] and np.isnan(plain["other_approach_deg"])
    assert plain["approach_deg"] == pytest.approx(0, abs=0.5)
    assert plain["plausible_gap_m"] == 1000  # tertiary: gap_max_m
    assert plain["gap_m"] == pytest.approx(450, abs=1)


def test_a_dead_end_faces_the_stub_facing_it_rather_than_a_nearer_road():
    """A road of East passing 100 m from West's stub does not steal its facing partner."""
    extra = [(152, "residential", "", [(5000, 2000), (5000, 2300), (150, 2300)])]
    _, found = findings(ROADS + extra)
    west = found.dead_ends[found.dead_ends["node_id"] == node((-200, 2000), ROADS + extra)]
    east = found.dead_ends[found.dead_ends["other_node_id"] == node((-200, 2000), ROADS + extra)]
    row = (west if len(west) else east).iloc[0]
    pair = {row["node_id"], row["other_node_id"]}
    assert pair == {node((-200, 2000), ROADS + extra), node((200, 2000), ROADS + extra)}
    assert row["facing_stubs"]


def test_end_tags_from_the_extract(tmp_path):
    coords = node_ids()
    lonlat = {n: (112.0 + i * 1e-3, 28.0) for i, n in enumerate(coords.values())}
    end, gate, crossing = node((-200, 2000)), node((-300, -2000)), node((0, 0))
    tags = {end: {"noexit": "yes"}, gate: {"barrier": "gate", "access": "private"},
            crossing: {"highway": "crossing"}}  # fmt: skip
    nodes = [(n, *lonlat[n], tags.get(n, {})) for n in coords.values()]
    ways = [(w, [coords[p] for p in pts], {"highway": h}) for w, h, _, pts in ROADS]
    pbf = write_osm(tmp_path / "x.osm.pbf", nodes=nodes, ways=ways)
    context = read_osm_context(
        pbf, drivable_classes=["residential", "primary", "tertiary"],
        end_tags=gap_settings().end_tag_pairs(),
    )  # fmt: skip
    assert context.end_tags.to_dict() == {
        end: "noexit=yes", gate: "barrier=gate; access=private"
    }  # fmt: skip
    assert len(cut_nodes(context.roads)) == 0


def test_nodes_missing_from_the_extract_mark_where_the_data_stops(tmp_path):
    nodes = [(1, 112.0, 28.0, {}), (2, 112.001, 28.0, {}), (3, 112.002, 28.0, {})]
    ways = [(10, [1, 2, 3, 4, 5], {"highway": "residential"}), (11, [3, 6], {"highway": "service"})]
    pbf = write_osm(tmp_path / "cut.osm.pbf", nodes=nodes, ways=ways)
    context = read_osm_context(pbf, drivable_classes=["residential"])
    assert list(cut_nodes(context.roads)) == [3]


# ------------------------------------------------------------------------------ confidence


def test_confidence_rules():
    dead = ranked()
    north = row_of(dead, (-200, 2000))  # facing stubs, planned: high even at 400 m
    assert north["confidence"] == "high" and north["planned"]
    assert north["reasons_en"].startswith("high: two dead ends face each other")
    assert north["reasons_zh"].startswith("可信度高：两端断头路相向")
    south = row_of(dead, (-300, -2000))  # a 600 m residential link: too long for its class
    assert south["confidence"] == "low"
    assert "600 m gap, too long for residential (≤ 300 m)" in south["reasons_en"]
    plain = row_of(dead, (-150, -1000))
    assert plain["confidence"] == "medium", plain["reasons_en"]
    assert list(dead["rank"]) == list(range(1, len(dead) + 1))
    order = dead["confidence"].map(LEVELS.index)
    assert order.is_monotonic_increasing  # high, then medium, then low


def test_planned_link_outweighs_class_and_tags_but_not_a_missing_benefit():
    tags = pd.Series({node((-200, 2000)): "barrier=gate"})
    north = row_of(ranked(end_tags=tags), (-200, 2000))
    assert north["confidence"] == "high" and north["end_tags"] == "barrier=gate"
    unplanned = row_of(ranked(end_tags=tags, with_planned=False), (-200, 2000))
    assert unplanned["confidence"] == "low"
    assert "mapped as an intended end (barrier=gate)" in unplanned["reasons_en"]
    assert "末端标注为有意终止（barrier=gate）" in unplanned["reasons_zh"]
    too_little = row_of(ranked(min_minutes_saved=1e6), (-200, 2000))
    assert too_little["confidence"] == "low" and "connected nearby" in too_little["reasons_en"]


def test_an_intended_end_makes_a_medium_gap_low():
    plain = row_of(ranked(end_tags=pd.Series({node((-150, -1000)): "noexit=yes"})), (-150, -1000))
    assert plain["confidence"] == "low" and plain["end_tags"] == "noexit=yes"


def test_road_turning_away_is_low():
    bent = [(150, "tertiary", "西三路", [(-5000, -2000), (-150, -1000), (-400, -1200)]), EXTRA[1]]
    dead = ranked(ROADS + bent)
    n = node((-400, -1200), ROADS + bent)
    row = dead[dead["node_id"] == n].iloc[0]
    assert row["approach_deg"] > 90 and row["confidence"] == "low"
    assert "turns away" in row["reasons_en"]


def test_rank_by_confidence_keeps_benefit_order_within_a_level():
    dead = pd.DataFrame({"rank": [1, 2, 3, 4], "confidence": ["low", "medium", "high", "medium"]})
    out = rank_by_confidence(dead)
    assert list(out["confidence"]) == ["high", "medium", "medium", "low"]
    assert list(out["rank"]) == [1, 2, 3, 4]
    assert list(dead.loc[[2, 1, 3, 0], "rank"]) == [3, 2, 4, 1]


def test_assess_an_empty_table():
    dead = ranked().iloc[0:0]
    assert assess_dead_ends(dead, gap_settings()).empty


def test_settings_refuse_inconsistent_angles_and_bad_tags():
    with pytest.raises(ConfigError, match="facing_angle_deg.*away_angle_deg"):
        GapSettings.from_study(region_study(gaps={"facing_angle_deg": 100}))
    with pytest.raises(ConfigError, match="intentional_end_tags has 'noexit'"):
        GapSettings.from_study(region_study(gaps={"intentional_end_tags": ["noexit"]}))


# ------------------------------------------------------------------------------ data edges


def _box(y_max: float) -> shapely.Polygon:
    import geopandas as gpd

    box = shapely.box(X0 - 10_000, Y0 - 5_000, X0 + 10_000, Y0 + y_max)
    return gpd.GeoSeries([box], crs=UTM).to_crs(4326).iloc[0]


def test_data_edges_are_exact_when_the_data_can_tell():
    """The pair at y = 4900, 100 m from the hull: a candidate inside the study area (the hull
    no longer suppresses it), dropped outside it or on a way cut by the extract."""
    edge_pair = {node((-100, 4900)), node((100, 4900))}

    def flagged(extent):
        dead = findings(extent=extent)[1].dead_ends
        return edge_pair & (set(dead["node_id"]) | set(dead["other_node_id"]))

    assert not flagged(None)  # the data cannot tell: the hull fallback
    assert flagged(DataExtent(area=_box(5000), basis="area")) == edge_pair
    assert not flagged(DataExtent(area=_box(4800), basis="area"))
    cut = DataExtent(cut_nodes=np.array(sorted(edge_pair)))
    assert not flagged(cut)
    assert flagged(DataExtent(area=_box(5000), basis="area", cut_nodes=np.array([1]))) == edge_pair


def test_source_bbox_is_read_from_the_pbf_header(tmp_path):
    boxed = tmp_path / "boxed.osm.pbf"
    header = osmium.io.Header()
    header.add_box(osmium.osm.Box(osmium.osm.Location(1.4, 42.4), osmium.osm.Location(1.8, 42.7)))
    writer = osmium.SimpleWriter(str(boxed), header=header)
    writer.add_node(osmium.osm.mutable.Node(id=1, location=(1.5, 42.5)))
    writer.close()
    assert source_bbox(boxed).bounds == pytest.approx((1.4, 42.4, 1.8, 42.7))
    plain = write_osm(tmp_path / "plain.osm.pbf", nodes=[(1, 1.5, 42.5, {})], ways=[])
    assert source_bbox(plain) is None


# ----------------------------------------------------------------------- reviewer evidence


def test_gap_ids_keep_their_scheme():
    """Ids are built from the OSM ids of both ends as before this change, so a review file
    written before it still matches (the demo's six ids are pinned in the golden file)."""
    _, found = findings()
    row = row_of(found.dead_ends, (-200, 2000))
    expected = stable_gap_id(
        (row["node_id"], row["other_node_id"]), (row["way_id"], row["other_way_id"])
    )
    assert row["gap_id"] == expected
    assert stable_gap_id((26229, 26230), (494, 737)) == "G5f200bbc3a"  # the demo's G1


def test_editor_links():
    dead = pd.DataFrame(
        {"node_id": [11], "way_id": [21], "other_node_id": [12], "other_way_id": [22],
         "lon": [113.0], "lat": [28.0], "other_lon": [113.004], "other_lat": [28.001],
         "gap_m": [420.0]}
    )  # fmt: skip
    edit, josm = dead_end_links(dead)
    assert (
        edit[0]
        == "https://www.openstreetmap.org/edit?editor=id&node=11#map=17/28.000500/113.002000"
    )
    assert josm[0].startswith("http://127.0.0.1:8111/load_and_zoom?left=112.99")
    assert josm[0].endswith("&select=way21,node11,way22,node12")
    drops = pd.DataFrame(
        {"node_id": [5], "way_id_high": [6], "way_id_low": [7], "lon": [113.0], "lat": [28.0]}
    )
    edit, josm = class_drop_links(drops)
    assert "node=5#map=17/28.000000/113.000000" in edit[0]
    assert josm[0].endswith("select=way6,way7,node5")


def test_a_thumbnail_per_located_dead_end(tmp_path):
    region, found = findings()
    dead = ranked()
    folder = tmp_path / "gaps" / "thumbnails"
    folder.mkdir(parents=True)
    (folder / "stale.png").write_bytes(b"old")
    written = write_thumbnails(folder, dead, found.surroundings, planned=region.planned)
    assert written == len(dead)
    assert sorted(p.name for p in folder.iterdir()) == sorted(f"{g}.png" for g in dead["gap_id"])
    with Image.open(folder / f"{dead['gap_id'].iloc[0]}.png") as picture:
        assert picture.size == (240, 240)
        colours = np.unique(np.asarray(picture.convert("RGB")).reshape(-1, 3), axis=0)
        assert len(colours) > 5  # roads, link, border drawn
    assert not Path(str(folder) + ".tmp").exists()


def test_a_link_that_jumps_a_road_is_low():
    """A road of West runs between the stub and the border: the stub already lies beside a
    road, the link would cross it."""
    between = [(160, "residential", "", [(-50, -1600), (-50, -400)])]
    dead = ranked(ROADS_EXTRA + between)
    row = dead[dead["node_id"] == node((-150, -1000), ROADS_EXTRA + between)].iloc[0]
    assert row["crosses_road"] and row["confidence"] == "low"
    assert "the link would cross a road on its way" in row["reasons_en"]
    assert not row_of(ranked(), (-150, -1000))["crosses_road"]
