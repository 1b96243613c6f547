"""Origins of the travel-time circles: the study's ``access.origins`` found and snapped.

An origin in the config (:class:`spatialint.settings.OriginSpec`) names exactly one of

- ``place``: an OSM ``place=*`` node (``network/places.parquet``), matched on ``name`` or
  ``name_en``;
- ``unit``: an admin unit (``network/admin_units.gpkg``) whose seat (``centre_lon``,
  ``centre_lat``) is the origin;
- ``station``: a railway station (``network/rail_stations.parquet``);
- ``lon`` + ``lat``: an explicit point (WGS-84).

Each origin is snapped onto the nearest road edge of the road graph's main component
(:func:`spatialint.access.snapping.snap_to_edges`). An origin farther than ``snap_max_m`` from
every road is an error naming the origin and the distance: an origin in the sea is never
silently moved. A station origin keeps its station's road access node
(``rail_stations.road_node_id``), where its multimodal trips also start.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from os import PathLike

import geopandas as gpd
import numpy as np
import pandas as pd

from spatialint.access.snapping import Snap, road_access_nodes, snap_to_edges
from spatialint.contracts import ADMIN_UNITS, ORIGINS, PLACES, RAIL_STATIONS, ROAD_EDGES
from spatialint.contracts.io import read_table, write_table
from spatialint.errors import DataError
from spatialint.geo import WGS84
from spatialint.names import did_you_mean
from spatialint.network.graph import CSRGraph
from spatialint.settings import OriginSettings, OriginSpec

logger = logging.getLogger(__name__)

PathArg = str | PathLike[str]

PLACE_RANK = (
    "megacity",
    "city",
    "town",
    "borough",
    "suburb",
    "village",
    "quarter",
    "neighbourhood",
    "hamlet",
    "isolated_dwelling",
    "locality",
)
"""Importance of OSM place=* values, most important first; resolves places sharing a name."""
UNRANKED_PLACE = len(PLACE_RANK)
"""Rank of a place=* value missing from :data:`PLACE_RANK`: after all of them."""


@dataclass(frozen=True)
class LocatedOrigin:
    """An origin found in the data, before it is snapped onto the roads."""

    name: str
    kind: str
    matched: str
    """Name of the matched place, unit or station; empty for a lon/lat point."""
    lon: float
    lat: float
    station_node_id: int | None = None
    """OSM id of a station origin's station."""
    station_access_node: int | None = None
    """The road node where the multimodal graph attaches the station (a station origin's)."""


# ---------------------------------------------------------------------------- finding origins


def _name_matches(frame: pd.DataFrame, wanted: str) -> np.ndarray:
    """Rows whose ``name`` or ``name_en`` equals ``wanted`` (exactly, else ignoring case)."""
    values = [frame[c].astype("string").fillna("") for c in ("name", "name_en")]
    exact = np.logical_or.reduce([(v == wanted).to_numpy(dtype=bool) for v in values])
    if exact.any():
        return exact
    folded = wanted.strip().casefold()
    return np.logical_or.reduce(
        [(v.str.strip().str.casefold() == folded).to_numpy(dtype=bool) for v in values]
    )


class _UnknownNameError(DataError):
    """No feature of the origin's kind carries its name."""


def _named(frame: pd.DataFrame, origin: str, wanted: str, what: str, file: str) -> pd.DataFrame:
    """The rows of ``frame`` named ``wanted``; a DataError naming the origin, with the near
    names (:func:`spatialint.names.did_you_mean`), when none is."""
    match = frame[_name_matches(frame, wanted)]
    if match.empty:
        names = [*frame["name"].dropna(), *frame["name_en"].dropna()]
        raise _UnknownNameError(
            f"Origin {origin!r}: no {what} named {wanted!r} in {file} ({len(frame)} {what}s)."
            f"{did_you_mean(wanted, names)} Check the spelling, or give lon/lat instead."
        )
    return match


def _other_kinds(kind: str, wanted: str, layers: Mapping[str, gpd.GeoDataFrame | None]) -> str:
    """`` An admin unit is named 'x': give unit: x instead of place: x.`` for each other kind
    of feature carrying the name exactly; ``""`` when none does."""
    hints = [
        f" {_KIND_WORDS[other]} is named {wanted!r}: give {other}: {wanted} instead of "
        f"{kind}: {wanted}."
        for other, layer in layers.items()
        if other != kind and layer is not None and len(layer) and _name_matches(layer, wanted).any()
    ]
    return "".join(hints)


_KIND_WORDS = {"place": "A place", "unit": "An admin unit", "station": "A station"}


def _pick_place(places: gpd.GeoDataFrame, origin: str, wanted: str) -> pd.Series:
    """The most important place named ``wanted`` (by place=* rank, then population)."""
    match = _named(places, origin, wanted, "place", "places.parquet")
    if len(match) == 1:
        return match.iloc[0]
    rank = {p: i for i, p in enumerate(PLACE_RANK)}
    key = pd.DataFrame(
        {
            "rank": match["place"].map(rank).fillna(UNRANKED_PLACE),
            "pop": -match["population"].fillna(0),
        },
        index=match.index,
    )
    best = key.sort_values(["rank", "pop"], kind="stable")
    top = best.iloc[0]
    ties = best[(best["rank"] == top["rank"]) & (best["pop"] == top["pop"])]
    if len(ties) > 1:
        where = "; ".join(
            f"{row.geometry.x:.5f},{row.geometry.y:.5f}"
            for row in match.loc[ties.index].itertuples()
        )
        raise DataError(
            f"Origin {origin!r}: {len(ties)} equally important places are named {wanted!r} "
            f"(at {where}); give lon/lat to say which one."
        )
    chosen = match.loc[best.index[0]]
    logger.info(
        "origin %r: %d places named %r, using the %s", origin, len(match), wanted, chosen["place"]
    )
    return chosen


def _only(match: pd.DataFrame, origin: str, wanted: str, what: str, file: str) -> pd.Series:
    """The one row of ``match``; a DataError when the name is ambiguous."""
    if len(match) > 1:
        raise DataError(
            f"Origin {origin!r}: {len(match)} {what}s are named {wanted!r} in {file}; "
            "give lon/lat to say which one."
        )
    return match.iloc[0]


def _locate_place(spec: OriginSpec, places: gpd.GeoDataFrame) -> LocatedOrigin:
    assert spec.place is not None
    row = _pick_place(places, spec.name, spec.place)
    return LocatedOrigin(spec.name, "place", row["name"], row.geometry.x, row.geometry.y)


def _locate_unit(spec: OriginSpec, units: gpd.GeoDataFrame) -> LocatedOrigin:
    """An admin unit's seat; of units sharing the name, the highest level (lowest number)."""
    assert spec.unit is not None
    match = _named(units, spec.name, spec.unit, "admin unit", "admin_units.gpkg")
    match = match[match["admin_level"] == match["admin_level"].min()]
    row = _only(match, spec.name, spec.unit, "admin unit", "admin_units.gpkg")
    if pd.isna(row["centre_lon"]) or pd.isna(row["centre_lat"]):
        raise DataError(
            f"Origin {spec.name!r}: admin unit {row['name']!r} has no seat (centre_lon/"
            "centre_lat are empty); give the origin's lon/lat instead."
        )
    return LocatedOrigin(spec.name, "unit", row["name"], row["centre_lon"], row["centre_lat"])


def _locate_station(spec: OriginSpec, stations: gpd.GeoDataFrame) -> LocatedOrigin:
    assert spec.station is not None
    match = _named(stations, spec.name, spec.station, "station", "rail_stations.parquet")
    row = _only(match, spec.name, spec.station, "station", "rail_stations.parquet")
    return LocatedOrigin(
        spec.name,
        "station",
        row["name"],
        row.geometry.x,
        row.geometry.y,
        station_node_id=int(row["node_id"]),
        station_access_node=int(row["road_node_id"]),
    )


def locate_origin(
    spec: OriginSpec,
    *,
    places: gpd.GeoDataFrame | None = None,
    units: gpd.GeoDataFrame | None = None,
    stations: gpd.GeoDataFrame | None = None,
) -> LocatedOrigin:
    """Find one origin in the network stage's tables (those of its kind must be given).

    Raises
    ------
    DataError
        If no feature, or several equally good ones, carry the name the origin gives.
    """
    layers = {"place": places, "unit": units, "station": stations}
    if spec.kind == "point":
        assert spec.lon is not None and spec.lat is not None
        return LocatedOrigin(spec.name, "point", "", spec.lon, spec.lat)
    layer = layers[spec.kind]
    if layer is None:
        raise DataError(f"Origin {spec.name!r} names a {spec.kind} but no {spec.kind}s were given.")
    locate = {"place": _locate_place, "unit": _locate_unit, "station": _locate_station}
    try:
        return locate[spec.kind](spec, layer)
    except _UnknownNameError as err:
        hint = _other_kinds(spec.kind, str(getattr(spec, spec.kind)), layers)
        raise DataError(f"{err}{hint}") from None


# ---------------------------------------------------------------------------- the origins table


def resolve_origins(
    settings: OriginSettings,
    *,
    graph: CSRGraph,
    edges: gpd.GeoDataFrame,
    places: gpd.GeoDataFrame | None = None,
    units: gpd.GeoDataFrame | None = None,
    stations: gpd.GeoDataFrame | None = None,
) -> gpd.GeoDataFrame:
    """Resolve the study's origins to located origins snapped onto the road graph.

    Parameters
    ----------
    settings
        The origins (``access.origins``) and the largest snap distance (``access.snap_max_m``).
    graph
        The road graph; origins snap to edges of its main strongly connected component.
    edges
        Its road edges (:data:`spatialint.contracts.ROAD_EDGES`; ``u``, ``v`` and the
        LineStrings are used).
    places, units, stations
        The tables :data:`~spatialint.contracts.PLACES`, :data:`~spatialint.contracts.ADMIN_UNITS`
        and :data:`~spatialint.contracts.RAIL_STATIONS`; needed only by origins of that kind.

    Returns
    -------
    geopandas.GeoDataFrame
        The :data:`~spatialint.contracts.ORIGINS` table: one row per origin in config order,
        ``origin_id`` 1, 2, ...

    Raises
    ------
    DataError
        An origin cannot be found in the data, or lies farther than ``snap_max_m`` from the road
        network.
    """
    if graph.n_nodes == 0:
        raise DataError("The road graph has no nodes; no origin can be placed on it.")
    located = [
        locate_origin(spec, places=places, units=units, stations=stations)
        for spec in settings.origins
    ]
    if not located:
        return ORIGINS.conform(_origin_frame(graph, [], _no_snap()))
    snap = snap_to_edges(
        graph, edges, np.array([o.lon for o in located]), np.array([o.lat for o in located])
    )
    _check_snap_distance(located, snap, snap_max_m=settings.snap_max_m)
    origins = ORIGINS.conform(_origin_frame(graph, located, snap))
    for r in origins.itertuples():
        logger.info(
            "origin %d %r (%s %r) -> %.0f m from road edge %d-%d, nearest node %d",
            r.origin_id, r.name, r.kind, r.matched, r.snap_m, r.edge_u, r.edge_v, r.node_id,
        )  # fmt: skip
    return origins


def _check_snap_distance(
    located: Sequence[LocatedOrigin], snap: Snap, *, snap_max_m: float
) -> None:
    """Refuse an origin farther than ``snap_max_m`` from every road (never move it silently)."""
    far = np.flatnonzero(~(snap.snap_m <= snap_max_m))
    if far.size:
        origin = located[int(far[0])]
        raise DataError(
            f"Origin {origin.name!r} ({origin.kind} at {origin.lon:.5f}, {origin.lat:.5f}) is "
            f"{snap.snap_m[far[0]]:,.0f} m from the nearest road of the network "
            f"(access.snap_max_m = {snap_max_m:,.0f} m). It is outside the road network (in the "
            "sea, or outside the study area?): fix its location, or raise snap_max_m if the "
            "distance is right."
        )


def _no_snap() -> Snap:
    empty_ids, empty = np.zeros(0, dtype=np.int64), np.zeros(0, dtype=float)
    return Snap(empty_ids, empty, empty_ids, empty_ids, empty)


def _origin_frame(
    graph: CSRGraph, located: Sequence[LocatedOrigin], snap: Snap
) -> gpd.GeoDataFrame:
    """The origins table of located and snapped origins (rounded as written)."""
    names = pd.Series([o.name for o in located], dtype="str")
    access = pd.array([o.station_access_node for o in located], dtype="Int64")
    return gpd.GeoDataFrame(
        {
            "origin_id": np.arange(1, len(located) + 1, dtype=np.int64),
            "name": names,
            "kind": pd.Series([o.kind for o in located], dtype="str"),
            "matched": pd.Series([str(o.matched) for o in located], dtype="str"),
            "node_id": np.asarray(snap.node_id, dtype=np.int64),
            "snap_m": np.round(snap.snap_m, 1),
            "edge_u": np.asarray(snap.edge_u, dtype=np.int64),
            "edge_v": np.asarray(snap.edge_v, dtype=np.int64),
            "edge_fraction": np.round(snap.edge_fraction, 6),
            "station_node_id": pd.array([o.station_node_id for o in located], dtype="Int64"),
            "station_road_node_id": road_access_nodes(graph, pd.Series(access), names),
        },
        geometry=gpd.points_from_xy([o.lon for o in located], [o.lat for o in located]),
        crs=WGS84,
    )


# ---------------------------------------------------------------------------- files and stage


def write_origins(origins: gpd.GeoDataFrame, path: PathArg) -> None:
    """Write ``access/origins.gpkg`` (layer ``origins``) through its contract, atomically."""
    write_table(origins, ORIGINS, path)


def read_origins(path: PathArg) -> gpd.GeoDataFrame:
    """Read ``access/origins.gpkg`` through its contract, in ``origin_id`` order.

    Raises
    ------
    DataError
        If the file is missing or breaks the contract (naming the origins step to re-run).
    """
    return read_table(path, ORIGINS).sort_values("origin_id", ignore_index=True)


def run_origins_stage(
    inputs: Mapping[str, PathArg],
    outputs: Mapping[str, PathArg],
    *,
    origins: OriginSettings,
) -> gpd.GeoDataFrame:
    """Resolve a study's origins onto its road network and write them.

    Parameters
    ----------
    inputs
        Paths by the ``origins`` rule's input names: ``places``, ``units``, ``stations``,
        ``road_graph``, ``road_edges``.
    outputs
        Paths by the rule's output names: ``origins`` (:func:`write_origins`).
    origins
        The study's origins and snap distance.

    Returns
    -------
    geopandas.GeoDataFrame
        The origins that were written.
    """
    table = resolve_origins(
        origins,
        graph=CSRGraph.load(inputs["road_graph"]),
        edges=read_table(inputs["road_edges"], ROAD_EDGES),
        places=read_table(inputs["places"], PLACES),
        units=read_table(inputs["units"], ADMIN_UNITS),
        stations=read_table(inputs["stations"], RAIL_STATIONS),
    )
    write_origins(table, outputs["origins"])
    return table
