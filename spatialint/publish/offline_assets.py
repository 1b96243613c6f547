"""Leaflet's JavaScript and CSS, read from an installed package, for maps that work offline.

Government networks in China are often closed to the internet, so a map that pulls Leaflet
from a CDN shows a blank page there. spatialint inlines Leaflet into every map it writes,
taken at build time from the ``XStatic-Leaflet`` package (a pip dependency that ships Leaflet's
unmodified ``dist`` files, licence BSD-2-Clause like Leaflet itself): nothing is copied into
this repository and nothing is fetched at view time. The CSS's images (the layer-control icon,
the default marker) are inlined as ``data:`` URIs for the same reason.
"""

from __future__ import annotations

import base64
import functools
import re
from pathlib import Path

from spatialint.errors import DataError

try:  # the package is a declared dependency; a clear message if an install lacks it
    import xstatic.pkg.leaflet as _xstatic_leaflet
except ImportError:  # pragma: no cover - only in a broken install
    _xstatic_leaflet = None

_CSS_URL = re.compile(r"url\((['\"]?)(images/[^)'\"]+)\1\)")


def _leaflet_dir() -> Path:
    if _xstatic_leaflet is None:
        raise DataError(
            "The Python package XStatic-Leaflet is not installed, so Leaflet cannot be inlined "
            "into the offline map; install it with `pip install 'XStatic-Leaflet>=1.9.3'` "
            "(it is a dependency of spatialint)."
        )
    return Path(_xstatic_leaflet.BASE_DIR)


def leaflet_version() -> str:
    """Version of the inlined Leaflet (e.g. ``'1.9.3'``)."""
    _leaflet_dir()
    return str(_xstatic_leaflet.VERSION)


@functools.cache
def leaflet_js() -> str:
    """Leaflet's minified JavaScript, with its source-map comment removed."""
    text = (_leaflet_dir() / "leaflet.js").read_text(encoding="utf-8")
    return re.sub(r"//# sourceMappingURL=\S+\s*$", "", text)


@functools.cache
def leaflet_css() -> str:
    """Leaflet's CSS with every ``url(images/...)`` replaced by an inline ``data:`` URI."""
    base = _leaflet_dir()
    css = (base / "leaflet.css").read_text(encoding="utf-8")

    def inline(match: re.Match[str]) -> str:
        image = base / match.group(2)
        data = base64.b64encode(image.read_bytes()).decode("ascii")
        return f"url(data:image/png;base64,{data})"

    return _CSS_URL.sub(inline, css)


def inline_tags() -> str:
    """``<style>`` and ``<script>`` elements holding Leaflet, for a page's ``<head>``."""
    js = leaflet_js().replace("</script", "<\\/script")
    return f"<style>{leaflet_css()}</style>\n<script>{js}</script>"
