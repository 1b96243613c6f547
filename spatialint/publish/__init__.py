"""Publish: the offline Folium map (:mod:`.maps`), the review report, workbook and GeoPackage
(:mod:`.report`), labels in Chinese and English (:mod:`.i18n`), the GCJ-02 shift for AMap tiles
(:mod:`.gcj02`) and the inlined Leaflet assets (:mod:`.offline_assets`)."""
