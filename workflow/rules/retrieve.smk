# Retrieve: OSM data for each study, as one filtered PBF extract.


rule generate_demo:
    output:
        pbf="data/{study}/demo/demo.osm.pbf",
        truth="data/{study}/demo/truth.json",
        trips="data/{study}/demo/observed_trips.csv",
        population="data/{study}/demo/population.tif",
        gtfs="data/{study}/demo/gtfs.zip",
    log:
        "logs/{study}/generate_demo.log",
    benchmark:
        "benchmarks/results/{study}/generate_demo.tsv"
    conda:
        "../envs/spatialint.yaml"
    threads: 1
    resources:
        mem_mb=2000,
    params:
        source=settings_param("source"),
    script:
        "../scripts/generate_demo.py"


rule retrieve_osm:
    input:
        unpack(retrieve_inputs),
    output:
        pbf="data/{study}/osm/extract.osm.pbf",
        area="data/{study}/osm/study_area.gpkg",
    log:
        "logs/{study}/retrieve_osm.log",
    benchmark:
        "benchmarks/results/{study}/retrieve_osm.tsv"
    conda:
        "../envs/spatialint.yaml"
    threads: 1
    resources:
        mem_mb=8000,
    params:
        source=settings_param("source"),
        area=settings_param("area"),
        admin_levels=settings_param("admin_levels"),
    script:
        "../scripts/retrieve_osm.py"
