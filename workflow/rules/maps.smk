# Maps and report: the Folium map, the one-page review report and the result tables.


rule map:
    input:
        unpack(map_inputs),
        pbf="data/{study}/osm/extract.osm.pbf",
        units="data/{study}/network/admin_units.gpkg",
        road_edges="data/{study}/network/road_edges.parquet",
        rail_edges="data/{study}/network/rail_edges.parquet",
        stations="data/{study}/network/rail_stations.parquet",
        origins="data/{study}/access/origins.gpkg",
        isochrones="data/{study}/access/isochrones.gpkg",
        gaps="data/{study}/gaps/gaps.gpkg",
        corridors="data/{study}/integration/corridors.gpkg",
        speed_fit="data/{study}/network/speed_fit.csv",
    output:
        html="maps/{study}/index.html",
    log:
        "logs/{study}/map.log",
    benchmark:
        "benchmarks/results/{study}/map.tsv"
    conda:
        "../envs/spatialint.yaml"
    threads: 1
    resources:
        mem_mb=8000,
    params:
        map=settings_param("map"),
        study=settings_param("study"),
        speeds=settings_param("speeds"),
    script:
        "../scripts/map.py"


rule report:
    input:
        pbf="data/{study}/osm/extract.osm.pbf",
        units="data/{study}/network/admin_units.gpkg",
        road_edges="data/{study}/network/road_edges.parquet",
        rail_edges="data/{study}/network/rail_edges.parquet",
        stations="data/{study}/network/rail_stations.parquet",
        origins="data/{study}/access/origins.gpkg",
        isochrones="data/{study}/access/isochrones.gpkg",
        gaps="data/{study}/gaps/gaps.gpkg",
        thumbnails="data/{study}/gaps/thumbnails",
        corridors="data/{study}/integration/corridors.gpkg",
        speed_fit="data/{study}/network/speed_fit.csv",
        speed_samples="data/{study}/network/speed_samples.csv",
    output:
        html="maps/{study}/report.html",
        xlsx="data/{study}/results/report.xlsx",
        gpkg="data/{study}/results/spatialint.gpkg",
    log:
        "logs/{study}/report.log",
    benchmark:
        "benchmarks/results/{study}/report.tsv"
    conda:
        "../envs/spatialint.yaml"
    threads: 1
    resources:
        mem_mb=8000,
    params:
        report=settings_param("report"),
        study=settings_param("study"),
        speeds=settings_param("speeds"),
    script:
        "../scripts/report.py"
