"""Publish: what planners open. The offline Folium map (:mod:`.map`, one function per layer),
the review report, workbook and GeoPackage (:mod:`.report`), both drawn from the stage outputs
read by their contracts (:mod:`.layers`) in one palette (:mod:`.style`), which also styles the
GeoPackage's layers for QGIS (:mod:`.qgis_styles`, written as QML/SLD by :mod:`.qgis_xml`); the
page words in Chinese and English (:mod:`.i18n`), the GCJ-02 shift for AMap tiles
(:mod:`.gcj02`) and the inlined Leaflet assets (:mod:`.offline_assets`)."""
