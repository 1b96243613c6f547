# Retrieve: OSM data for each study, as one filtered PBF extract.
from spatialint.admin import admin_inputs
from spatialint.sources import retrieve_inputs


rule generate_demo:
    output:
        pbf="data/{study}/demo/demo.osm.pbf",
        truth="data/{study}/demo/truth.json",
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
        source=study_section("source"),
    script:
        "../scripts/generate_demo.py"


rule retrieve_osm:
    input:
        unpack(lambda w: retrieve_inputs(STUDIES[w.study], name=w.study)),
    output:
        pbf="data/{study}/osm/extract.osm.pbf",
    log:
        "logs/{study}/retrieve_osm.log",
    benchmark:
        "benchmarks/results/{study}/retrieve_osm.tsv"
    conda:
        "../envs/spatialint.yaml"
    threads: 1
    resources:
        mem_mb=4000,
    params:
        study=study_config,
    script:
        "../scripts/retrieve_osm.py"
