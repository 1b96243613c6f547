"""Benchmark: clip + filter of an OSM PBF, ours against the common pyosmium approach.

    nice python benchmarks/clip_extract.py                 # 16 tiled copies of Andorra
    nice python benchmarks/clip_extract.py --copies 4
    nice python benchmarks/clip_extract.py --pbf x.osm.pbf --bbox W S E N

Input: the real Andorra extract tiled ``--copies`` times side by side (ids and longitudes
shifted per copy, written once to a temporary PBF), so the file is large enough to time;
the clip area is a bbox over the middle half of the copies.

``ours``
    :func:`spatialint.osm.extract.clip_extract`: relations pass; nodes+ways pass with pyosmium's
    C++ location index (only tagged nodes reach Python), per-way float32 coordinates tested
    against the area in vectorised shapely 2 calls; ``IdTracker`` completion; id-filtered copy.
``common``
    The usual pyosmium script: a ``SimpleHandler`` storing every node location in a Python dict,
    each wanted way tested node by node with ``shapely`` point-in-polygon (prepared geometry),
    then a second pass writing the kept ways and their nodes (relations are not handled, so it
    does less work than ours).

Each measurement runs in its own child process so its peak memory (``ru_maxrss``) is its own.
Prints objects/s for both and the ratio.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

#: Largest ids in today's planet, by type (nodes ~1.3e10, ways ~1.4e9, relations ~2e7).
MAX_ID = {"n": 12_000_000_000, "w": 1_300_000_000, "r": 18_000_000}
LON_SHIFT_DEG = 1.5


def tile(source: Path, target: Path, copies: int) -> int:
    """Write ``copies`` shifted copies of ``source`` to ``target``; return the object count.

    Ids are renumbered so that each type's ids spread evenly over ``[1, MAX_ID[type]]`` like
    those of a real province extract (objects mapped since 2005 span the whole id range):
    pyosmium's id sets and location index then work as hard as on real data of this size.
    """
    import osmium

    ranks: dict[str, dict[int, int]] = {"n": {}, "w": {}, "r": {}}
    for obj in osmium.FileProcessor(str(source)):
        table = ranks[obj.type_str()]
        table[obj.id] = len(table)
    spacing = {t: max(1, MAX_ID[t] // (copies * max(1, len(r)))) for t, r in ranks.items()}

    def new_id(kind: str, old: int, k: int) -> int | None:
        rank = ranks[kind].get(old)
        if rank is None:  # reference to an object outside the source file
            return None
        return (rank * copies + k) * spacing[kind] + 1

    count = 0
    with osmium.SimpleWriter(str(target)) as writer:
        for entity in (osmium.osm.NODE, osmium.osm.WAY, osmium.osm.RELATION):
            # ids grow with (rank, copy): writing copies inline keeps the output sorted
            for obj in osmium.FileProcessor(str(source), entity):
                for k in range(copies):
                    if obj.is_node():
                        loc = obj.location
                        writer.add_node(
                            obj.replace(
                                id=new_id("n", obj.id, k),
                                location=(loc.lon + k * LON_SHIFT_DEG, loc.lat),
                            )
                        )
                    elif obj.is_way():
                        refs = [new_id("n", n.ref, k) for n in obj.nodes]
                        writer.add_way(
                            obj.replace(id=new_id("w", obj.id, k), nodes=[r for r in refs if r])
                        )
                    else:
                        members = [(m.type, new_id(m.type, m.ref, k), m.role) for m in obj.members]
                        writer.add_relation(
                            obj.replace(
                                id=new_id("r", obj.id, k),
                                members=[m for m in members if m[1] is not None],
                            )
                        )
                    count += 1
    return count


def run_ours(pbf: str, out: str, bbox: list[float]) -> dict:
    from spatialint.osm.extract import clip_extract
    from spatialint.settings import AreaSettings

    area = AreaSettings(admin_units=None, polygon_file=None, bbox=tuple(bbox), buffer_km=0.0)
    stats = clip_extract(Path(pbf), Path(out), area=area, levels=[7])
    return {"nodes": stats.nodes, "ways": stats.ways, "relations": stats.relations}


def run_common(pbf: str, out: str, bbox: list[float]) -> dict:
    import osmium
    import shapely
    from shapely.geometry import Point
    from shapely.prepared import prep

    from spatialint.osm.extract import wanted_node_tags, wanted_way_tags

    area = prep(shapely.box(*bbox))

    class Collect(osmium.SimpleHandler):
        def __init__(self) -> None:
            super().__init__()
            self.locations: dict[int, tuple[float, float]] = {}
            self.ways: set[int] = set()
            self.nodes: set[int] = set()

        def node(self, n) -> None:  # noqa: ANN001
            self.locations[n.id] = (n.location.lon, n.location.lat)
            if wanted_node_tags(n.tags) and area.contains(Point(n.location.lon, n.location.lat)):
                self.nodes.add(n.id)

        def way(self, w) -> None:  # noqa: ANN001
            if not wanted_way_tags(w.tags):
                return
            refs = [n.ref for n in w.nodes]
            if any(area.contains(Point(self.locations[r])) for r in refs if r in self.locations):
                self.ways.add(w.id)
                self.nodes.update(refs)

    collect = Collect()
    collect.apply_file(pbf)
    kept = {"nodes": 0, "ways": 0, "relations": 0}
    with osmium.SimpleWriter(out) as writer:
        for obj in osmium.FileProcessor(pbf, osmium.osm.NODE | osmium.osm.WAY):
            if obj.is_node() and obj.id in collect.nodes:
                writer.add_node(obj)
                kept["nodes"] += 1
            elif obj.is_way() and obj.id in collect.ways:
                writer.add_way(obj)
                kept["ways"] += 1
    return kept


def child(kind: str, pbf: str, out: str, bbox: list[float]) -> None:
    started = time.perf_counter()
    kept = (run_ours if kind == "ours" else run_common)(pbf, out, bbox)
    seconds = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "peak_mb": peak_mb, **kept}))


def measure(kind: str, pbf: Path, out: Path, bbox: list[float]) -> dict:
    result = subprocess.run(
        [
            sys.executable,
            __file__,
            "--child",
            kind,
            "--pbf",
            str(pbf),
            "--out",
            str(out),
            "--bbox",
            *map(str, bbox),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pbf", type=Path, help="an extract to clip (default: tiled Andorra)")
    parser.add_argument("--bbox", type=float, nargs=4, help="W S E N of the clip")
    parser.add_argument("--copies", type=int, default=16)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--child", choices=["ours", "common"])
    args = parser.parse_args()
    if args.child:
        child(args.child, str(args.pbf), str(args.out), args.bbox)
        return
    import osmium

    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        if args.pbf is None:
            source = REPO.parent / "shared" / "data" / "osm" / "andorra.osm.pbf"
            pbf = tmp / "tiled.osm.pbf"
            total = tile(source, pbf, args.copies)
            q = args.copies * LON_SHIFT_DEG / 4
            bbox = args.bbox or [1.0 + q, 42.3, 1.0 + 3 * q, 42.8]
        else:
            pbf = args.pbf
            total = sum(1 for _ in osmium.FileProcessor(str(pbf)))
            bbox = args.bbox
        size_mb = pbf.stat().st_size / 1e6
        print(f"input {pbf.name}: {total:,} objects, {size_mb:.1f} MB; clip bbox {bbox}")
        results = {}
        for kind in ("ours", "common"):
            r = measure(kind, pbf, tmp / f"{kind}.osm.pbf", bbox)
            results[kind] = r
            print(
                f"{kind:7s} {r['seconds']:7.2f} s  {total / r['seconds']:>10,.0f} objects/s  "
                f"peak {r['peak_mb']:6.0f} MB  kept {r['nodes']:,} nodes, {r['ways']:,} ways, "
                f"{r['relations']:,} relations"
            )
        ratio = results["common"]["seconds"] / results["ours"]["seconds"]
        mem = results["ours"]["peak_mb"] / results["common"]["peak_mb"]
        print(f"time ratio common/ours: {ratio:.1f}x; peak memory ratio ours/common: {mem:.1f}x")


if __name__ == "__main__":
    main()
