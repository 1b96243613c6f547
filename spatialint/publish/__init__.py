"""Publish: what planners open. The offline Folium map (:mod:`.map`, one function per layer),
the review report, workbook and GeoPackage (:mod:`.report`), both drawn from the stage outputs
read by their contracts (:mod:`.layers`) in shared colours (:mod:`.style`); the page words in
Chinese and English (:mod:`.i18n`), the GCJ-02 shift for AMap tiles (:mod:`.gcj02`) and the
inlined Leaflet assets (:mod:`.offline_assets`)."""
