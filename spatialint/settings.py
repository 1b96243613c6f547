"""Typed settings of a study, built once from its validated config.

The schema (``workflow/schemas/config.schema.yaml``) is the only place a default lives: a study
config is validated and default-filled by :mod:`spatialint.config`, and the classes here turn
the parts a stage reads into frozen, typed objects. None of them has a default of its own, and
no code reads the config with ``.get(key, default)``.

Each class reads a fixed set of config keys: its fields, found under its ``SECTION`` (a
top-level key of the study config, or ``""`` for the study's own top-level keys) unless a field
names another place with :func:`config_key`. :data:`PARAMS` names the classes; a Snakemake rule
passes each job only the parts it reads, under those names (``params: gaps=settings_param(
"gaps")`` in ``workflow/rules/common.smk``), so editing a value reruns only the jobs that read
it. A script turns the params back into objects with :func:`typed_params`; a notebook builds
everything at once with :func:`study_settings`.

Semantic checks that JSON Schema cannot express (bands strictly increasing, weights not all
zero) run in ``__post_init__``; :func:`spatialint.config.load_study` builds every class once, so
a bad value stops the run before anything starts.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Literal, Self

from spatialint.errors import ConfigError
from spatialint.osm.urban_tags import URBAN_LANDUSE
from spatialint.settings_base import Settings, Spec, config_key
from spatialint.settings_checks import check_border_levels, check_increasing, level_list

__all__ = ["Settings", "Spec", "check_increasing", "config_key"]


# --------------------------------------------------------------------------------------------
# the study itself


@dataclass(frozen=True)
class StudyInfo(Settings):
    """Name, title and language of a study: what every map, report and summary is labelled with."""

    SECTION: ClassVar[str] = ""
    name: str
    title: str
    synthetic: bool
    language: Literal["zh", "en"]


@dataclass(frozen=True)
class UnitRef(Spec):
    """An admin unit, by OSM relation id or by name and admin_level."""

    relation_id: int | None
    name: str | None
    admin_level: int | None


@dataclass(frozen=True)
class SourceSettings(Settings):
    """Where the OSM data comes from (``source``)."""

    SECTION: ClassVar[str] = "source"
    kind: Literal["demo", "pbf", "overpass"]
    #: one or several PBFs (merged before the clip); a single string is taken as one
    url: tuple[str, ...] | None
    md5_url: str | None
    retries: int
    backoff_s: float
    seed: int
    scale: float
    overpass_url: str
    timeout_s: int
    cache_dir: str

    def __post_init__(self) -> None:
        if isinstance(self.url, str):
            object.__setattr__(self, "url", (self.url,))
        if self.md5_url and self.url and len(self.url) > 1:
            raise ConfigError(
                f"source.md5_url is set but source.url names {len(self.url)} files; a checksum "
                "URL belongs to one file. Remove source.md5_url: each download is checked "
                "against its own <url>.md5 where the server publishes one."
            )


@dataclass(frozen=True)
class AreaSettings(Settings):
    """The study area (``area``); none of admin_units / polygon_file / bbox = the whole extract."""

    SECTION: ClassVar[str] = "area"
    admin_units: tuple[UnitRef, ...] | None
    polygon_file: str | None
    bbox: tuple[float, ...] | None
    buffer_km: float

    def __post_init__(self) -> None:
        if self.bbox is None:
            return
        west, south, east, north = self.bbox
        if not (-180 <= west < east <= 180 and -90 <= south < north <= 90):
            raise ConfigError(
                f"area.bbox is {list(self.bbox)}; give [west, south, east, north] in WGS-84 "
                "degrees with west < east and south < north, e.g. [112.6, 27.6, 113.4, 28.4]."
            )


@dataclass(frozen=True)
class AdminSettings(Settings):
    """Admin units used for borders and corridors (``admin``)."""

    SECTION: ClassVar[str] = "admin"
    levels: tuple[int, ...]
    #: ``admin.border_level``, one level or several, sorted coarse → fine
    border_levels: tuple[int, ...] = config_key("admin.border_level", level_list)
    file: str | None
    name_column: str

    def __post_init__(self) -> None:
        check_border_levels(self.border_levels, self.levels)

    @property
    def border_level(self) -> int:
        """The finest border level: the units every node, edge and finding is assigned to."""
        return self.border_levels[-1]


@dataclass(frozen=True)
class AdminLevelSettings(Settings):
    """The admin levels whose boundary relations the extract keeps (``admin.levels``).

    The retrieve step reads only this part of ``admin``, so editing ``admin.border_level`` or
    ``admin.file`` does not re-clip the source extract.
    """

    SECTION: ClassVar[str] = "admin"
    levels: tuple[int, ...]


# --------------------------------------------------------------------------------------------
# networks


@dataclass(frozen=True)
class RoadSettings(Settings):
    """Which roads are drivable and how fast (the road keys of ``network``)."""

    SECTION: ClassVar[str] = "network"
    highway_classes: tuple[str, ...]
    speeds_kph: dict[str, float]
    maxspeed_zones_kph: dict[str, float]


@dataclass(frozen=True)
class RailSettings(Settings):
    """The rail line-and-station model (the rail keys of ``network``): services, their speeds
    and how stations join lines."""

    SECTION: ClassVar[str] = "network"
    highspeed_min_kph: float
    intercity_name_patterns: tuple[str, ...]
    station_line_max_m: float
    station_merge_m: float
    rail_speeds_kph: dict[str, float]


@dataclass(frozen=True)
class CityFactors(Spec):
    """One ``speeds.city_factors`` entry: a unit's own factors, by area then class group."""

    unit: str
    factors: dict[str, dict[str, float]]


@dataclass(frozen=True)
class SpeedSettings(Settings):
    """Which speeds the road times use (``speeds``): free flow, peak factors or calibrated."""

    SECTION: ClassVar[str] = "speeds"
    profile: Literal["free_flow", "peak", "calibrated"]
    peak_factors: dict[str, dict[str, float]]
    city_factors: tuple[CityFactors, ...]
    urban_areas_file: str | None
    urban_landuse: tuple[str, ...]
    observed_trips: str | None
    observed_crs: Literal["wgs84", "gcj02"]
    factor_bounds: tuple[float, ...]
    min_trips_per_group: int
    trip_snap_max_m: float
    trip_hours: tuple[float, ...] | None

    def __post_init__(self) -> None:
        if self.profile == "calibrated" and not self.observed_trips:
            raise ConfigError(
                "speeds.profile is calibrated but speeds.observed_trips is not set; give the "
                "CSV or GeoPackage of observed trips, or choose profile peak."
            )
        low, high = self.factor_bounds
        if not 0 < low < high:
            raise ConfigError(
                f"speeds.factor_bounds is {list(self.factor_bounds)}; give [lowest, highest] "
                "with 0 < lowest < highest, e.g. [0.2, 1.2]."
            )
        if self.trip_hours is not None and self.trip_hours[0] == self.trip_hours[1]:
            raise ConfigError(
                f"speeds.trip_hours is {list(self.trip_hours)}: an empty window; give [start, "
                "end) hours, e.g. [7, 9] for the morning peak."
            )
        unknown = sorted(set(self.urban_landuse) - URBAN_LANDUSE)
        if unknown:
            raise ConfigError(
                f"speeds.urban_landuse names {unknown}, which the extract does not keep; "
                f"choose among {sorted(URBAN_LANDUSE)}."
            )


@dataclass(frozen=True)
class MultimodalSettings(Settings):
    """What a rail trip costs besides riding (the station keys of ``network``): boarding,
    dwell, transfer and station access. Only the multimodal graph reads them, so editing one
    does not rebuild the rail network."""

    SECTION: ClassVar[str] = "network"
    boarding_penalty_min: dict[str, float]
    dwell_min: float
    transfer_penalty_min: float
    station_access_min: float
    station_walk_kph: float


WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def clock_s(text: str) -> int:
    """Seconds after the service day's midnight of ``HH:MM`` or ``HH:MM:SS`` (GTFS time: hours
    past 24 are the next morning's small hours)."""
    parts = [int(p) for p in text.split(":")]
    return parts[0] * 3600 + parts[1] * 60 + (parts[2] if len(parts) > 2 else 0)


@dataclass(frozen=True)
class TransitSettings(Settings):
    """Timetabled transit from GTFS feeds (``transit``): which feeds, the analysis day and
    window, and what walking, boarding and changing cost."""

    SECTION: ClassVar[str] = "transit"
    feeds: tuple[str, ...]
    date: str | None
    weekday: Literal[WEEKDAYS]  # type: ignore[valid-type]
    window: tuple[str, ...]
    transfer_penalty_min: float
    platform_min: float
    max_walk_m: float
    walk_kph: float
    boarding_min: dict[str, float]
    cover_m: float

    def __post_init__(self) -> None:
        start, end = (clock_s(t) for t in self.window)
        if end <= start:
            raise ConfigError(
                f"transit.window is {list(self.window)}: it must end after it starts; give "
                "[start, end] as HH:MM, e.g. ['07:00', '09:00'] (after midnight: '25:00')."
            )
        if self.transfer_penalty_min > 2 * self.platform_min:
            raise ConfigError(
                f"transit.transfer_penalty_min ({self.transfer_penalty_min:g}) is more than twice "
                f"transit.platform_min ({self.platform_min:g}): riders would leave the station "
                "and walk back in rather than change inside it. Raise platform_min to at least "
                "half the transfer penalty."
            )
        if self.date is not None:
            try:
                datetime.date.fromisoformat(self.date)
            except ValueError:
                raise ConfigError(
                    f"transit.date is {self.date!r}, not a date; give YYYY-MM-DD, e.g. "
                    "2025-06-03, or leave it out to use transit.weekday."
                ) from None

    @property
    def window_s(self) -> tuple[int, int]:
        """The window's start and end, seconds of GTFS service time."""
        start, end = (clock_s(t) for t in self.window)
        return start, end


# --------------------------------------------------------------------------------------------
# access


OriginKind = Literal["place", "unit", "station", "point"]


@dataclass(frozen=True)
class OriginSpec(Spec):
    """One origin: exactly one of place, unit, station or lon + lat (checked here, once)."""

    name: str
    place: str | None
    station: str | None
    unit: str | None
    lon: float | None
    lat: float | None

    def __post_init__(self) -> None:
        if (self.lon is None) != (self.lat is None):
            given = "lon" if self.lat is None else "lat"
            raise ConfigError(f"Origin {self.name!r} gives only {given}; give both lon and lat.")
        ways = [k for k in ("place", "unit", "station") if getattr(self, k) is not None]
        if self.lon is not None:
            ways.append("point")
        if len(ways) != 1:
            raise ConfigError(
                f"Origin {self.name!r} must give exactly one of place, unit, station or lon+lat "
                f"(found: {', '.join(ways) or 'none'})."
            )

    @property
    def kind(self) -> OriginKind:
        """How the origin is found: ``place``, ``unit``, ``station`` or ``point`` (lon/lat)."""
        if self.place is not None:
            return "place"
        if self.unit is not None:
            return "unit"
        if self.station is not None:
            return "station"
        return "point"


@dataclass(frozen=True)
class OriginSettings(Settings):
    """The origins and how far they may be snapped (``access.origins``, ``access.snap_max_m``)."""

    SECTION: ClassVar[str] = "access"
    origins: tuple[OriginSpec, ...]
    snap_max_m: float

    def __post_init__(self) -> None:
        if not self.origins:
            raise ConfigError(
                "access.origins is empty; name at least one origin (a place, an admin unit's "
                "seat, a station or lon/lat), e.g. - {name: 长沙, place: 长沙市}."
            )
        names = [o.name for o in self.origins]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise ConfigError(
                f"Origin name {twice[0]!r} is used twice in access.origins; make names unique."
            )


@dataclass(frozen=True)
class IsochroneSettings(Settings):
    """The 1/2/3-hour circles and the hexagon surface (``access``)."""

    SECTION: ClassVar[str] = "access"
    bands_min: tuple[float, ...]
    access_buffer_m: float
    hex_resolution: int
    min_hole_km2: float
    isochrone_method: Literal["auto", "vector", "grid"]
    grid_cell_m: float

    def __post_init__(self) -> None:
        check_increasing(self.bands_min, key="access.bands_min", example="[60, 120, 180]")


@dataclass(frozen=True)
class TravelTimeSettings(Settings):
    """How far routing goes: the largest band (``access.bands_min``).

    Only the largest band is a param of the travel-time jobs, so editing a smaller band reruns
    the isochrones, not the routing.
    """

    SECTION: ClassVar[str] = "access"
    cutoff_min: float

    @classmethod
    def select(cls, study: Mapping[str, Any]) -> dict[str, Any]:
        # The bands are checked once, by IsochroneSettings; the largest one is the cut-off.
        return {"cutoff_min": float(max(study["access"]["bands_min"]))}


@dataclass(frozen=True)
class PopulationSettings(Settings):
    """The optional source of people: ``access.population_file`` (points or areas with a
    ``population_column``) or ``access.population_raster`` (a GeoTIFF of people per cell)."""

    SECTION: ClassVar[str] = "access"
    population_file: str | None
    population_column: str
    population_raster: str | None

    def __post_init__(self) -> None:
        if self.population_file and self.population_raster:
            raise ConfigError("access.population_file and population_raster are both set; "
                              "keep one (every stage counts the same people).")  # fmt: skip
        if str(self.population_file).lower().endswith((".tif", ".tiff")):
            raise ConfigError(f"access.population_file {self.population_file!r} is a raster; "
                              "give it as access.population_raster.")  # fmt: skip


# --------------------------------------------------------------------------------------------
# gaps


@dataclass(frozen=True)
class GapSettings(Settings):
    """Detection, ranking and review of cross-border gaps (``gaps``)."""

    SECTION: ClassVar[str] = "gaps"
    border_distance_m: float
    gap_max_m: float
    ignore_highway: tuple[str, ...]
    min_detour_ratio: float
    detour_cutoff_min: float
    suppress_study_edge: bool
    study_edge_m: float
    suppress_across_water: bool
    waterways_file: str | None
    cross_border_only: bool
    planned_snap_m: float
    facing_angle_deg: float
    away_angle_deg: float
    plausible_gap_m: dict[str, float]
    intentional_end_tags: tuple[str, ...]
    min_minutes_saved: float
    class_ladder: dict[str, int]
    class_drop_steps: int
    class_drop_distance_m: float
    missing_crossing_min_km: float
    benefit_radius_m: float
    benefit_samples_per_side: int
    benefit_cutoff_min: float
    benefit_seed: int
    review_file: str
    #: the words of the ``border`` column (省界 / provincial border)
    language: Literal["zh", "en"] = config_key("language")

    def __post_init__(self) -> None:
        if self.facing_angle_deg > self.away_angle_deg:
            raise ConfigError(
                f"gaps.facing_angle_deg ({self.facing_angle_deg:g}) is larger than "
                f"gaps.away_angle_deg ({self.away_angle_deg:g}); a road cannot point at the "
                "other road and away from it at once: keep facing_angle_deg ≤ away_angle_deg "
                "(defaults 45 and 90)."
            )
        for tag in self.intentional_end_tags:
            key, _, value = tag.partition("=")
            if not key.strip() or not value.strip() or tag != tag.strip():
                raise ConfigError(
                    f"gaps.intentional_end_tags has {tag!r}; write each as key=value "
                    "(value * for any value), e.g. noexit=yes or barrier=*."
                )

    def end_tag_pairs(self) -> tuple[tuple[str, str], ...]:
        """``intentional_end_tags`` as (key, value) pairs; value ``*`` means any value."""
        return tuple(
            (key, value) for key, _, value in (t.partition("=") for t in self.intentional_end_tags)
        )

    @classmethod
    def select(cls, study: Mapping[str, Any]) -> dict[str, Any]:
        values = super().select(study)  # the review file's path, for this study
        template = str(values["review_file"])
        try:
            values["review_file"] = template.format(study=study["name"])
        except (KeyError, IndexError, ValueError) as err:
            raise ConfigError(
                f"gaps.review_file {template!r} is not a valid path template ({err!r}); the "
                "only placeholder is {study}, e.g. reviews/{study}/gaps_review.csv."
            ) from err
        return values


# --------------------------------------------------------------------------------------------
# integration


@dataclass(frozen=True)
class CorridorSpec(Spec):
    """A named corridor between two origins (``integration.corridors``)."""

    from_: str
    to: str
    name: str | None

    @classmethod
    def from_config(cls, values: Mapping[str, Any], *, where: str = "") -> Self:
        # ``from`` is a Python keyword: the field is ``from_``
        return cls(
            from_=str(values["from"]),
            to=str(values["to"]),
            name=None if values.get("name") is None else str(values["name"]),
        )


@dataclass(frozen=True)
class BorderPenaltySettings(Spec):
    """Sampling of the border penalty (``integration.border_penalty``)."""

    seed: int
    zone_km: float
    sources_per_side: int
    targets_per_side: int
    bands_km: tuple[float, ...]
    min_pairs_per_band: int

    def __post_init__(self) -> None:
        check_increasing(
            self.bands_km,
            key="integration.border_penalty.bands_km",
            example="[0.5, 1, 2, 4, 8, 16, 32, 64, 128]",
        )


@dataclass(frozen=True)
class RedundancySettings(Spec):
    """Materially different routes (``integration.redundancy``)."""

    max_time_ratio: float
    max_overlap: float
    penalty_factor: float
    max_iterations: int


@dataclass(frozen=True)
class IndexSettings(Spec):
    """Weights and targets of the 0-100 integration index (``integration.index``)."""

    weights: dict[str, float]
    target_weighted_crossings_per_10km: float
    target_speed_kph: float
    target_routes: float

    def __post_init__(self) -> None:
        if not any(w > 0 for w in self.weights.values()):
            raise ConfigError(
                "integration.index.weights are all 0; give at least one component a weight."
            )


@dataclass(frozen=True)
class IntegrationSettings(Settings):
    """Corridor measures (``integration``) and the keys of other sections they depend on."""

    SECTION: ClassVar[str] = "integration"
    corridors: tuple[CorridorSpec, ...]
    border_tolerance_m: float
    crossing_weights: dict[str, float]
    reach_band_min: float
    reach_cell_m: float
    border_penalty: BorderPenaltySettings
    redundancy: RedundancySettings
    index: IndexSettings
    border_levels: tuple[int, ...] = config_key("admin.border_level", level_list)
    access_buffer_m: float = config_key("access.access_buffer_m")
    snap_max_m: float = config_key("access.snap_max_m")
    language: Literal["zh", "en"] = config_key("language")


# --------------------------------------------------------------------------------------------
# publishing and execution


@dataclass(frozen=True)
class MapSettings(Settings):
    """The Folium map (the map keys of ``maps``)."""

    SECTION: ClassVar[str] = "maps"
    basemap: Literal["osm", "tianditu", "amap", "none"]
    tianditu_token: str | None
    simplify_m: float
    road_classes: tuple[str, ...]
    gap_confidence: tuple[str, ...]


@dataclass(frozen=True)
class ReportSettings(Settings):
    """The review report and result files (the report keys of ``maps``)."""

    SECTION: ClassVar[str] = "maps"
    top_gaps: int
    gap_confidence: tuple[str, ...]
    cgcs2000: bool


@dataclass(frozen=True)
class ExecutionSettings(Settings):
    """How the study's jobs are split (``execution``); results do not depend on it."""

    SECTION: ClassVar[str] = "execution"
    origin_chunk_size: int


PARAMS: dict[str, type[Settings]] = {
    "study": StudyInfo,
    "source": SourceSettings,
    "area": AreaSettings,
    "admin": AdminSettings,
    "admin_levels": AdminLevelSettings,
    "roads": RoadSettings,
    "speeds": SpeedSettings,
    "rail": RailSettings,
    "multimodal": MultimodalSettings,
    "transit": TransitSettings,
    "origins": OriginSettings,
    "travel_times": TravelTimeSettings,
    "isochrones": IsochroneSettings,
    "population": PopulationSettings,
    "gaps": GapSettings,
    "integration": IntegrationSettings,
    "map": MapSettings,
    "report": ReportSettings,
    "execution": ExecutionSettings,
}
"""Settings by the name a rule's ``params`` gives them; the stage functions take the same names."""


def typed_params(params: Mapping[str, Any]) -> dict[str, Settings]:
    """A rule's params (plain values by :data:`PARAMS` name) as typed settings."""
    unknown = sorted(set(params) - set(PARAMS))
    if unknown:
        raise ConfigError(f"params {unknown} name no settings; known: {sorted(PARAMS)}")
    return {name: PARAMS[name].from_config(values, where=PARAMS[name].SECTION)
            for name, values in params.items()}  # fmt: skip


@dataclass(frozen=True)
class StudySettings:
    """Every settings object of one study, e.g. for a notebook or the command line."""

    study: StudyInfo
    source: SourceSettings
    area: AreaSettings
    admin: AdminSettings
    admin_levels: AdminLevelSettings
    roads: RoadSettings
    speeds: SpeedSettings
    rail: RailSettings
    multimodal: MultimodalSettings
    transit: TransitSettings
    origins: OriginSettings
    travel_times: TravelTimeSettings
    isochrones: IsochroneSettings
    population: PopulationSettings
    gaps: GapSettings
    integration: IntegrationSettings
    map: MapSettings
    report: ReportSettings
    execution: ExecutionSettings


def study_settings(study: Mapping[str, Any]) -> StudySettings:
    """All settings of a validated, default-filled study config, each checked once."""
    return StudySettings(**{name: cls.from_study(study) for name, cls in PARAMS.items()})
