# Access: origins, travel times by mode, 1/2/3-hour isochrones and the hexagon surface.


rule origins:
    input:
        places="data/{study}/network/places.parquet",
        units="data/{study}/network/admin_units.gpkg",
        stations="data/{study}/network/rail_stations.parquet",
        road_graph="data/{study}/network/road_graph.npz",
        road_edges="data/{study}/network/road_edges.parquet",
    output:
        origins="data/{study}/access/origins.gpkg",
    log:
        "logs/{study}/origins.log",
    benchmark:
        "benchmarks/results/{study}/origins.tsv"
    conda:
        "../envs/spatialint.yaml"
    threads: 1
    resources:
        mem_mb=8000,
    params:
        origins=settings_param("origins"),
    script:
        "../scripts/origins.py"


rule travel_times:
    input:
        graph="data/{study}/network/{mode}_graph.npz",
        origins="data/{study}/access/origins.gpkg",
    output:
        times="data/{study}/access/travel_times_{mode}.npz",
    log:
        "logs/{study}/travel_times_{mode}.log",
    benchmark:
        "benchmarks/results/{study}/travel_times_{mode}.tsv"
    wildcard_constraints:
        study=studies_pattern(chunked=False),
    conda:
        "../envs/spatialint.yaml"
    threads: 2
    resources:
        mem_mb=8000,
    params:
        travel_times=settings_param("travel_times"),
    script:
        "../scripts/travel_times.py"


# Studies with execution.origin_chunk_size > 0 (and more origins than that) route their origins
# in chunks, side by side, and gather them into the same travel_times_{mode}.npz.
rule travel_times_chunk:
    input:
        graph="data/{study}/network/{mode}_graph.npz",
        origins="data/{study}/access/origins.gpkg",
    output:
        times="data/{study}/access/chunks/travel_times_{mode}_{chunk}.npz",
    log:
        "logs/{study}/travel_times_{mode}_{chunk}.log",
    benchmark:
        "benchmarks/results/{study}/travel_times_{mode}_{chunk}.tsv"
    wildcard_constraints:
        study=studies_pattern(chunked=True),
        chunk=r"\d+",
    conda:
        "../envs/spatialint.yaml"
    threads: 2
    resources:
        mem_mb=8000,
    params:
        travel_times=settings_param("travel_times"),
        origins=settings_param("origins"),
        execution=settings_param("execution"),
    script:
        "../scripts/travel_times_chunk.py"


rule gather_travel_times:
    input:
        chunks=travel_time_chunks,
    output:
        times="data/{study}/access/travel_times_{mode}.npz",
    log:
        "logs/{study}/gather_travel_times_{mode}.log",
    benchmark:
        "benchmarks/results/{study}/gather_travel_times_{mode}.tsv"
    wildcard_constraints:
        study=studies_pattern(chunked=True),
    conda:
        "../envs/spatialint.yaml"
    threads: 1
    resources:
        mem_mb=8000,
    script:
        "../scripts/gather_travel_times.py"


rule isochrones:
    input:
        unpack(population_inputs),
        origins="data/{study}/access/origins.gpkg",
        road_edges="data/{study}/network/road_edges.parquet",
        road_graph="data/{study}/network/road_graph.npz",
        times_road="data/{study}/access/travel_times_road.npz",
        times_multimodal="data/{study}/access/travel_times_multimodal.npz",
    output:
        isochrones="data/{study}/access/isochrones.gpkg",
    log:
        "logs/{study}/isochrones.log",
    benchmark:
        "benchmarks/results/{study}/isochrones.tsv"
    conda:
        "../envs/spatialint.yaml"
    threads: 2
    resources:
        mem_mb=8000,
    params:
        isochrones=settings_param("isochrones"),
        population=settings_param("population"),
    script:
        "../scripts/isochrones.py"
