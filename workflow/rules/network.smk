# Network: admin units, places, road, rail and multimodal graphs from the study's extract.


rule admin_units:
    input:
        unpack(admin_inputs),
        pbf="data/{study}/osm/extract.osm.pbf",
    output:
        units="data/{study}/network/admin_units.gpkg",
        places="data/{study}/network/places.parquet",
        report="data/{study}/network/admin_report.txt",
    log:
        "logs/{study}/admin_units.log",
    benchmark:
        "benchmarks/results/{study}/admin_units.tsv"
    conda:
        "../envs/spatialint.yaml"
    threads: 1
    resources:
        mem_mb=8000,
    params:
        admin=settings_param("admin"),
    script:
        "../scripts/admin_units.py"


rule road_network:
    input:
        unpack(road_inputs),
        pbf="data/{study}/osm/extract.osm.pbf",
        units="data/{study}/network/admin_units.gpkg",
        places="data/{study}/network/places.parquet",
    output:
        nodes="data/{study}/network/road_nodes.parquet",
        edges="data/{study}/network/road_edges.parquet",
        planned="data/{study}/network/planned_ways.parquet",
        graph="data/{study}/network/road_graph.npz",
        speed_fit="data/{study}/network/speed_fit.csv",
        speed_samples="data/{study}/network/speed_samples.csv",
    log:
        "logs/{study}/road_network.log",
    benchmark:
        "benchmarks/results/{study}/road_network.tsv"
    conda:
        "../envs/spatialint.yaml"
    threads: 1
    resources:
        mem_mb=8000,
    params:
        roads=settings_param("roads"),
        admin=settings_param("admin"),
        speeds=settings_param("speeds"),
    script:
        "../scripts/road_network.py"


rule rail_network:
    input:
        pbf="data/{study}/osm/extract.osm.pbf",
        units="data/{study}/network/admin_units.gpkg",
        road_nodes="data/{study}/network/road_nodes.parquet",
    output:
        edges="data/{study}/network/rail_edges.parquet",
        stations="data/{study}/network/rail_stations.parquet",
    log:
        "logs/{study}/rail_network.log",
    benchmark:
        "benchmarks/results/{study}/rail_network.tsv"
    conda:
        "../envs/spatialint.yaml"
    threads: 1
    resources:
        mem_mb=8000,
    params:
        rail=settings_param("rail"),
        admin=settings_param("admin"),
    script:
        "../scripts/rail_network.py"


rule transit_network:
    input:
        feeds=transit_feeds,
        road_graph="data/{study}/network/road_graph.npz",
        road_edges="data/{study}/network/road_edges.parquet",
        rail_edges="data/{study}/network/rail_edges.parquet",
        stations="data/{study}/network/rail_stations.parquet",
    output:
        lines="data/{study}/network/transit_lines.parquet",
        stops="data/{study}/network/transit_stops.parquet",
        graph="data/{study}/network/transit_graph.npz",
    log:
        "logs/{study}/transit_network.log",
    benchmark:
        "benchmarks/results/{study}/transit_network.tsv"
    conda:
        "../envs/spatialint.yaml"
    threads: 1
    resources:
        mem_mb=4000,
    params:
        transit=settings_param("transit"),
    script:
        "../scripts/transit_network.py"


rule multimodal_network:
    input:
        unpack(multimodal_inputs),
        road_nodes="data/{study}/network/road_nodes.parquet",
        road_graph="data/{study}/network/road_graph.npz",
        rail_edges="data/{study}/network/rail_edges.parquet",
        stations="data/{study}/network/rail_stations.parquet",
    output:
        graph="data/{study}/network/multimodal_graph.npz",
    log:
        "logs/{study}/multimodal_network.log",
    benchmark:
        "benchmarks/results/{study}/multimodal_network.tsv"
    conda:
        "../envs/spatialint.yaml"
    threads: 1
    resources:
        mem_mb=8000,
    params:
        multimodal=settings_param("multimodal"),
    script:
        "../scripts/multimodal_network.py"
