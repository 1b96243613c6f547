"""Read OSM ways (with node locations) and tagged nodes from a PBF into flat numpy arrays.

The road, rail and station builders all start from the same shape of data: the ways that pass a
tag test, each with the ids and WGS-84 coordinates of its nodes, and a few tag columns.  This
module reads that with pyosmium in one pass (tag pre-filtering happens in C++ through
``osmium.filter.KeyFilter``; node locations come from pyosmium's location cache) and returns it
as a :class:`WayTable`: one pandas row of tags per way plus concatenated node arrays indexed by
``offsets`` — so everything downstream is vectorised numpy, never a Python loop per node.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import osmium
import pandas as pd
import shapely

from spatialint.errors import DataError

logger = logging.getLogger(__name__)

#: Tag test: receives the object's tags (an osmium TagList, a Mapping) and says whether to keep it.
TagTest = Callable[[Mapping[str, str]], bool]


@dataclass(frozen=True)
class WayTable:
    """Ways as flat arrays.

    Attributes
    ----------
    tags
        One row per way: ``osmid`` (int64 way id) and one column per requested tag key
        (``None`` where the way lacks the tag).
    offsets
        int64, ``len(tags) + 1`` values; the nodes of way ``i`` are ``offsets[i]:offsets[i+1]``.
    node_ids
        int64 OSM node id of every way node, ways concatenated.
    lon, lat
        float64 WGS-84 coordinates of every way node; NaN where the PBF lacks the node (a way
        cut by the extract boundary).
    """

    tags: pd.DataFrame
    offsets: np.ndarray
    node_ids: np.ndarray
    lon: np.ndarray
    lat: np.ndarray

    @property
    def n_ways(self) -> int:
        return len(self.tags)

    def way_index(self) -> np.ndarray:
        """The way position (0..n_ways-1) of every node entry."""
        return np.repeat(np.arange(self.n_ways, dtype=np.int64), np.diff(self.offsets))

    def subset(self, mask: np.ndarray) -> WayTable:
        """A new table with only the ways where ``mask`` is true (order kept)."""
        mask = np.asarray(mask, dtype=bool)
        counts = np.diff(self.offsets)[mask]
        keep_nodes = np.repeat(mask, np.diff(self.offsets))
        offsets = np.zeros(len(counts) + 1, dtype=np.int64)
        np.cumsum(counts, out=offsets[1:])
        return WayTable(
            tags=self.tags.loc[mask].reset_index(drop=True),
            offsets=offsets,
            node_ids=self.node_ids[keep_nodes],
            lon=self.lon[keep_nodes],
            lat=self.lat[keep_nodes],
        )

    def segments(self) -> tuple[np.ndarray, np.ndarray]:
        """Node-entry positions ``(a, b)`` of every segment between consecutive nodes of a way
        where both nodes are located and distinct."""
        way_of = self.way_index()
        a_idx = np.flatnonzero(way_of[1:] == way_of[:-1])
        b_idx = a_idx + 1
        located = np.isfinite(self.lon) & np.isfinite(self.lat)
        ok = located[a_idx] & located[b_idx] & (self.node_ids[a_idx] != self.node_ids[b_idx])
        return a_idx[ok], b_idx[ok]

    def linestrings(self) -> np.ndarray:
        """One shapely LineString per way from its located nodes (None if fewer than two)."""
        valid = np.isfinite(self.lon) & np.isfinite(self.lat)
        way = self.way_index()[valid]
        counts = np.bincount(way, minlength=self.n_ways)
        ok_way = counts >= 2
        keep = ok_way[way]
        out = np.full(self.n_ways, None, dtype=object)
        if keep.any():
            coords = np.column_stack([self.lon[valid][keep], self.lat[valid][keep]])
            lines = shapely.linestrings(coords, indices=way[keep])
            out[np.flatnonzero(ok_way)] = lines
        return out


@dataclass(frozen=True)
class OsmSelection:
    """What :func:`read_osm` returns: the selected ways and the selected tagged nodes."""

    ways: WayTable
    nodes: pd.DataFrame  # node_id, lon, lat and the requested node tag columns


class _Collector:
    """Gathers the selected ways and nodes while pyosmium streams the file."""

    def __init__(self, way_keys: Sequence[str], node_keys: Sequence[str]) -> None:
        self.way_keys = list(way_keys)
        self.node_keys = list(node_keys)
        self.way_ids: list[int] = []
        self.way_tags: list[tuple[str | None, ...]] = []
        self.counts: list[int] = []
        self.refs: list[int] = []
        self.lons: list[float] = []
        self.lats: list[float] = []
        self.node_rows: list[tuple] = []

    def add_way(self, way: osmium.osm.Way) -> None:
        tags = way.tags
        self.way_ids.append(way.id)
        self.way_tags.append(tuple(tags.get(k) for k in self.way_keys))
        nodes = way.nodes
        self.counts.append(len(nodes))
        refs, lons, lats = self.refs, self.lons, self.lats
        for n in nodes:
            refs.append(n.ref)
            loc = n.location
            if loc.valid():
                lons.append(loc.lon)
                lats.append(loc.lat)
            else:
                lons.append(np.nan)
                lats.append(np.nan)

    def add_node(self, node: osmium.osm.Node) -> None:
        loc = node.location
        if loc.valid():
            tags = node.tags
            self.node_rows.append(
                (node.id, loc.lon, loc.lat, *(tags.get(k) for k in self.node_keys))
            )

    def way_table(self) -> WayTable:
        if not self.way_ids:
            return _empty_ways(self.way_keys)
        tag_frame = pd.DataFrame.from_records(self.way_tags, columns=self.way_keys)
        tag_frame = tag_frame.astype(object).where(tag_frame.notna(), None)
        tag_frame.insert(0, "osmid", np.asarray(self.way_ids, dtype=np.int64))
        offsets = np.zeros(len(self.counts) + 1, dtype=np.int64)
        np.cumsum(np.asarray(self.counts, dtype=np.int64), out=offsets[1:])
        return WayTable(
            tags=tag_frame,
            offsets=offsets,
            node_ids=np.asarray(self.refs, dtype=np.int64),
            lon=np.asarray(self.lons, dtype=np.float64),
            lat=np.asarray(self.lats, dtype=np.float64),
        )

    def node_frame(self) -> pd.DataFrame:
        frame = pd.DataFrame.from_records(
            self.node_rows, columns=["node_id", "lon", "lat", *self.node_keys]
        ).astype({"node_id": "int64", "lon": "float64", "lat": "float64"})
        for key in self.node_keys:
            frame[key] = frame[key].astype(object)
        return frame


def _empty_ways(way_keys: Sequence[str]) -> WayTable:
    tags = pd.DataFrame({"osmid": pd.Series([], dtype="int64")})
    for key in way_keys:
        tags[key] = pd.Series([], dtype=object)
    empty_f = np.zeros(0, dtype=np.float64)
    return WayTable(
        tags=tags,
        offsets=np.zeros(1, dtype=np.int64),
        node_ids=np.zeros(0, dtype=np.int64),
        lon=empty_f,
        lat=empty_f.copy(),
    )


def read_osm(
    path: str | Path,
    *,
    filter_keys: Sequence[str],
    way_test: TagTest,
    way_keys: Sequence[str],
    node_test: TagTest | None = None,
    node_keys: Sequence[str] = (),
) -> OsmSelection:
    """Read the ways (and optionally tagged nodes) of an OSM file that pass a tag test.

    Parameters
    ----------
    path
        OSM file (``.osm.pbf``; any format pyosmium reads).
    filter_keys
        Only objects carrying at least one of these tag keys reach Python (C++ pre-filter).
    way_test
        Keep a way when ``way_test(tags)`` is true.
    way_keys
        Tag keys copied into :attr:`WayTable.tags`.
    node_test, node_keys
        Same for nodes; without ``node_test`` no nodes are returned.

    Raises
    ------
    DataError
        The file does not exist or is not a readable OSM file.
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(
            f"OSM file {path} does not exist; run the retrieve step (snakemake "
            f"data/<study>/osm/extract.osm.pbf) or fix the path."
        )
    entities = osmium.osm.WAY | osmium.osm.NODE if node_test is not None else osmium.osm.WAY
    processor = (
        osmium.FileProcessor(str(path), osmium.osm.NODE | osmium.osm.WAY)
        .with_locations()
        .with_filter(osmium.filter.EntityFilter(entities))
        .with_filter(osmium.filter.KeyFilter(*filter_keys))
    )
    collector = _Collector(way_keys, node_keys)
    try:
        for obj in processor:
            if obj.is_way():
                if way_test(obj.tags):
                    collector.add_way(obj)
            elif node_test is not None and obj.is_node() and node_test(obj.tags):
                collector.add_node(obj)
    except (RuntimeError, ValueError, osmium.InvalidLocationError) as err:
        raise DataError(
            f"{path} is not a readable OSM file ({err}); the download may be truncated or "
            "corrupt: delete it and run the retrieve step again."
        ) from err
    selection = OsmSelection(ways=collector.way_table(), nodes=collector.node_frame())
    logger.info(
        "read %s: %d ways (%d node refs, %d without location), %d tagged nodes",
        path.name,
        selection.ways.n_ways,
        len(selection.ways.node_ids),
        int(np.isnan(selection.ways.lon).sum()),
        len(selection.nodes),
    )
    return selection


def as_text(frame: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """A copy with ``columns`` as pandas string columns (missing = NA), so every file written
    has a string type even where a column happens to be all empty."""
    return frame.astype({c: "str" for c in columns})


def take_text(values: pd.Series | np.ndarray, index: np.ndarray) -> pd.Series:
    """``values[index]`` as a pandas string column, -1 giving NA; done in Arrow (no Python
    string objects per row), which matters at millions of edges."""
    text = pd.Series(values).astype("str").array
    return pd.Series(text.take(np.asarray(index, dtype=np.int64), allow_fill=True))


def haversine_m(
    lon1: np.ndarray, lat1: np.ndarray, lon2: np.ndarray, lat2: np.ndarray
) -> np.ndarray:
    """Great-circle distance in metres (radius 6,371,009 m, as osmnx uses)."""
    lon1, lat1, lon2, lat2 = (
        np.radians(np.asarray(a, dtype=np.float64)) for a in (lon1, lat1, lon2, lat2)
    )
    a = (
        np.sin((lat2 - lat1) / 2) ** 2
        + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * 6_371_009.0 * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def write_osm(
    path: str | Path,
    *,
    nodes: Sequence[tuple[int, float, float, Mapping[str, str]]],
    ways: Sequence[tuple[int, Sequence[int], Mapping[str, str]]],
) -> Path:
    """Write nodes ``(id, lon, lat, tags)`` and ways ``(id, node ids, tags)`` as an OSM file.

    The format follows the suffix (``.osm.pbf``, ``.osm``).  Used to make small test fixtures
    that go through the same pyosmium reading path as real extracts.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        path.unlink()
    writer = osmium.SimpleWriter(str(path))
    try:
        for node_id, lon, lat, tags in sorted(nodes, key=lambda n: n[0]):
            writer.add_node(
                osmium.osm.mutable.Node(
                    id=node_id, location=osmium.osm.Location(lon, lat), tags=dict(tags), version=1
                )
            )
        for way_id, refs, tags in sorted(ways, key=lambda w: w[0]):
            writer.add_way(
                osmium.osm.mutable.Way(id=way_id, nodes=list(refs), tags=dict(tags), version=1)
            )
    finally:
        writer.close()
    return path
