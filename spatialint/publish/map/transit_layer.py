"""Map layers of the transit stage: the GTFS lines by service, each segment with its headway.

One layer per service (high-speed, intercity, conventional, metro, bus, other), in the rail
colours (bus and other in their own), drawn as stop-to-stop segments; hovering one shows the
route, its stops, the in-vehicle minutes, the headway in the analysis window and the mean wait.
"""

from __future__ import annotations

import geopandas as gpd

from spatialint.contracts.transit import TRANSIT_LINES
from spatialint.network.gtfs_services import SERVICES
from spatialint.publish.i18n import label
from spatialint.publish.map.display import Display
from spatialint.publish.map.model import Drawing, LegendEntry, MapLayer, Shapes, feature_collection
from spatialint.publish.style import TRANSIT_STYLE

SHOWN = ("route_name", "from_name", "to_name", "in_vehicle_min", "headway_min", "wait_min")
"""The columns a segment's tooltip shows, in order."""


def transit_layers(lines: gpd.GeoDataFrame | None, *, display: Display, language: str) -> Drawing:
    """The transit lines by service (an empty drawing without feeds)."""
    if lines is None or lines.empty:
        return Drawing((), ())
    shown = display.frame(lines)
    tooltip = tuple((c, TRANSIT_LINES.label(c, language)) for c in SHOWN)
    layers, legend = [], []
    for service in SERVICES:
        part = shown[shown["service"] == service]
        if part.empty:
            continue
        colour, weight, dash = TRANSIT_STYLE[service]
        name = label("transit_layer", language, service=label(f"transit_{service}", language))
        headways = sorted({round(float(h)) for h in part["headway_min"].dropna()})
        text = label("transit_headways", language, name=name,
                     headways="/".join(str(h) for h in headways))  # fmt: skip
        style = {"color": colour, "weight": weight, "opacity": 0.9, "dashArray": dash}
        features = feature_collection(part, SHOWN, TRANSIT_LINES, language)
        layers.append(
            MapLayer(name, True, (Shapes(f"transit_{service}", features, style, tooltip),))
        )
        legend.append(LegendEntry("line", text, (colour,), dash=dash is not None, width=weight))
    return Drawing(tuple(layers), tuple(legend))
