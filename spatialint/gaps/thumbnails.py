"""A small static picture of each 断头路 for the report: ``gaps/thumbnails/<gap_id>.png``.

Each thumbnail (240 × 240 px, matplotlib, no basemap) shows the spot in the network's metric
CRS, north up: the nearby roads (grey, main roads wider), the dead-end road (dark red) and the
facing road (dark blue), the proposed link (dashed red) with both ends, the unit border (green
dash-dot), waterways (blue) and planned ways (orange dashed), a scale bar and the gap's id,
length and confidence. A reviewer sees at a glance whether the link continues a road or joins a
cul-de-sac to a field.

The dead ends table names its picture in ``thumbnail`` (a path relative to the gaps folder),
so the report can show it beside the finding.
"""

from __future__ import annotations

import logging
import shutil
from dataclasses import dataclass
from os import PathLike
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from spatialint.gaps.network import BorderNetwork

logger = logging.getLogger(__name__)

#: Thumbnail folder name beside the gaps outputs, and its pictures' size.
THUMBNAIL_DIR = "thumbnails"
SIZE_IN, DPI = 3.0, 80
#: Half the side of the square shown: the gap × this, at least MIN_HALF_M.
HALF_FACTOR, MIN_HALF_M = 0.9, 250.0
#: Ends of the roads drawn highlighted: edges this close (metres) to an end of the link.
AT_END_M = 1.0
MAIN_CLASSES = frozenset(
    {"motorway", "trunk", "primary", "secondary", "motorway_link", "trunk_link", "primary_link"}
)
COLOURS = {
    "road": "#9a9a9a", "own": "#8b1a1a", "other": "#1f3f8f", "link": "#d62728",
    "border": "#2ca02c", "water": "#4a90d9", "planned": "#ff8c00",
}  # fmt: skip


def thumbnail_path(gap_id: str) -> str:
    """The ``thumbnail`` column's value: the picture's path relative to the gaps folder."""
    return f"{THUMBNAIL_DIR}/{gap_id}.png"


@dataclass(frozen=True)
class Surroundings:
    """What the thumbnails draw, cut to the squares around the dead ends (metric CRS): kept
    by :func:`spatialint.gaps.detect.detect_gaps` instead of the whole network."""

    crs: pyproj.CRS
    roads: np.ndarray  # drivable edges (LineStrings)
    main: np.ndarray  # bool: a main road, drawn wider
    borders: np.ndarray  # unit borders

    @classmethod
    def around(cls, net: BorderNetwork, links: np.ndarray) -> Surroundings:
        """The roads and borders within the squares shown around ``links`` (metric)."""
        squares = np.array([window(link)[0] for link in links], dtype=object)
        roads = np.unique(net.road_tree.query(squares)[1]) if len(squares) else np.zeros(0, int)
        borders = np.asarray(net.borders.geometry.values)
        near = np.unique(shapely.STRtree(borders).query(squares)[1]) if len(squares) else []
        main = net.edges["highway"].isin(list(MAIN_CLASSES)).to_numpy()
        return cls(net.crs, net.geoms[roads], main[roads], borders[near])


def window(link: shapely.LineString) -> tuple[shapely.Polygon, np.ndarray, float]:
    """The square shown around a link, its centre and half its side (metres)."""
    a, p = shapely.get_coordinates(link)[[0, -1]]
    centre = (a + p) / 2
    half = max(HALF_FACTOR * float(np.hypot(*(p - a))), MIN_HALF_M)
    return shapely.box(*(centre - half), *(centre + half)), centre, half


def write_thumbnails(
    folder: str | PathLike[str],
    dead: gpd.GeoDataFrame,
    surroundings: Surroundings,
    *,
    waterways: gpd.GeoDataFrame | None = None,
    planned: gpd.GeoDataFrame | None = None,
) -> int:
    """Write one PNG per located dead end into ``folder`` (replaced as a whole, atomically).

    Parameters
    ----------
    folder
        ``data/{study}/gaps/thumbnails``.
    dead
        The dead ends as written (WGS-84 link lines, ``gap_id``, ``gap_m``, ``confidence``).
    surroundings
        The roads and borders around them
        (:attr:`spatialint.gaps.detect.GapFindings.surroundings`).
    waterways, planned
        Waterway lines and planned ways (any CRS), or None.

    Returns
    -------
    int
        The number of pictures written.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg  # only where pictures are drawn
    from matplotlib.figure import Figure

    folder = Path(folder)
    tmp = folder.with_name(folder.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    located = dead[dead.geometry.notna() & ~dead.geometry.is_empty]
    links = np.asarray(located.geometry.to_crs(surroundings.crs).values)
    scene = _Scene.of(surroundings, _near(waterways, located), _near(planned, located))
    fig = Figure(figsize=(SIZE_IN, SIZE_IN), dpi=DPI)
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0, 0, 1, 1))
    for row, link in zip(located.itertuples(index=False), links, strict=True):
        ax.cla()
        scene.draw(ax, link, title=f"{row.gap_id}  {row.gap_m:.0f} m  {row.confidence}")
        fig.savefig(tmp / f"{row.gap_id}.png", dpi=DPI, metadata={"Software": None})
    shutil.rmtree(folder, ignore_errors=True)
    tmp.rename(folder)
    logger.info("wrote %d thumbnail(s) to %s", len(located), folder)
    return len(located)


def _near(frame: gpd.GeoDataFrame | None, dead: gpd.GeoDataFrame) -> gpd.GeoDataFrame | None:
    """The rows of ``frame`` within the dead ends' bounds (+ 0.05°, more than any square)."""
    if frame is None or frame.empty or dead.empty:
        return None
    w, s, e, n = dead.to_crs(frame.crs).total_bounds
    pad = 0.05 if frame.crs.is_geographic else 5_000.0
    return frame.cx[w - pad : e + pad, s - pad : n + pad]


class _Scene:
    """What every thumbnail draws from, in metres, with spatial indexes."""

    def __init__(self, main: np.ndarray, layers: dict[str, np.ndarray]) -> None:
        self.main = main
        self.layers = layers
        self.trees = {name: shapely.STRtree(geoms) for name, geoms in layers.items()}

    @classmethod
    def of(
        cls,
        surroundings: Surroundings,
        waterways: gpd.GeoDataFrame | None,
        planned: gpd.GeoDataFrame | None,
    ) -> _Scene:
        layers = {"road": surroundings.roads, "border": surroundings.borders}
        for name, frame in (("water", waterways), ("planned", planned)):
            if frame is not None and not frame.empty:
                layers[name] = np.asarray(frame.to_crs(surroundings.crs).geometry.values)
        return cls(surroundings.main, layers)

    def draw(self, ax: object, link: shapely.LineString, *, title: str) -> None:
        a, p = shapely.get_coordinates(link)[[0, -1]]
        square, centre, half = window(link)
        roads = self.trees["road"].query(square)
        widths = np.where(self.main[roads], 2.2, 1.0)
        self._lines(ax, self.layers["road"][roads], COLOURS["road"], widths)
        for name, style in (("water", "-"), ("border", "-."), ("planned", "--")):
            if name in self.trees:
                hit = self.trees[name].query(square)
                self._lines(ax, self.layers[name][hit], COLOURS[name], 1.6, style)
        for point, colour in ((a, COLOURS["own"]), (p, COLOURS["other"])):
            near = self.trees["road"].query(shapely.Point(point), "dwithin", distance=AT_END_M)
            self._lines(ax, self.layers["road"][near], colour, 2.6)
        ax.plot(*np.stack([a, p]).T, color=COLOURS["link"], lw=2.0, ls="--")
        ax.plot(*a, "o", color=COLOURS["own"], ms=6)
        ax.plot(*p, "o", color=COLOURS["other"], ms=6)
        self._frame(ax, centre, half, title)

    @staticmethod
    def _lines(
        ax: object, geoms: np.ndarray, colour: str, width: float | np.ndarray, style: str = "-"
    ) -> None:
        parts, owner = shapely.get_parts(geoms, return_index=True)
        keep = ~shapely.is_empty(parts)
        parts, owner = parts[keep], owner[keep]
        if len(parts) == 0:
            return
        coords, index = shapely.get_coordinates(parts, return_index=True)
        segments = np.split(coords, np.flatnonzero(np.diff(index)) + 1)
        from matplotlib.collections import LineCollection

        widths = width[owner] if isinstance(width, np.ndarray) else width
        ax.add_collection(  # type: ignore[attr-defined]
            LineCollection(segments, colors=colour, linewidths=widths, linestyles=style)
        )

    @staticmethod
    def _frame(ax: object, centre: np.ndarray, half: float, title: str) -> None:
        ax.set_xlim(centre[0] - half, centre[0] + half)
        ax.set_ylim(centre[1] - half, centre[1] + half)
        ax.set_aspect("equal")
        ax.set_axis_off()
        bar = _scale_bar_m(half)
        x0, y0 = centre[0] - 0.9 * half, centre[1] - 0.9 * half
        ax.plot([x0, x0 + bar], [y0, y0], color="black", lw=2)
        ax.text(x0, y0 + 0.04 * half, f"{bar:.0f} m", fontsize=7)
        ax.text(centre[0] - 0.95 * half, centre[1] + 0.86 * half, title, fontsize=7,
                bbox={"facecolor": "white", "alpha": 0.8, "lw": 0})  # fmt: skip


def _scale_bar_m(half: float) -> float:
    """A round length about a fifth of the picture's width."""
    target = 0.4 * half
    step = 10 ** np.floor(np.log10(target))
    return float(max(s for s in (step, 2 * step, 5 * step) if s <= target))


def thumbnail_column(dead: pd.DataFrame) -> pd.Series:
    """``thumbnail`` of every dead end that has a picture (located), else missing."""
    located = dead.geometry.notna() & ~dead.geometry.is_empty
    paths = dead["gap_id"].map(thumbnail_path).where(located, None)
    return paths.astype(object)
