"""Merging several OSM extracts into one sorted PBF before the clip (``source.url`` as a list).

Regional extracts (Geofabrik's provinces) each hold every way that crosses their boundary,
complete with its nodes, so neighbouring extracts share objects. The merge is a streaming
k-way merge by (type, id) over the inputs, which must each be sorted the usual way (nodes,
ways, relations, each by id; every Geofabrik / osmium extract is): one object per input is
held at a time, so memory does not grow with the extracts. An object in several inputs is
written once; when the inputs hold different versions of it the newest wins (higher
``version``, then later ``timestamp``) and one warning says how many objects conflicted and
which file won. The output is sorted like its inputs, with the union of their header boxes.
"""

from __future__ import annotations

import contextlib
import heapq
import logging
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import osmium

from spatialint.errors import DataError
from spatialint.fileio import atomic_path
from spatialint.osm.blocks import truncation_reason
from spatialint.osm.relations import osm_file_error
from spatialint.osm.writer import osm_writer

logger = logging.getLogger(__name__)

#: How many conflicting ids the warning quotes.
QUOTED_CONFLICTS = 5
_TYPE_RANK = {"n": 0, "w": 1, "r": 2}
_ENTITIES = osmium.osm.NODE | osmium.osm.WAY | osmium.osm.RELATION


@dataclass
class MergeStats:
    """What a merge did: objects written, objects found in several inputs, conflicts."""

    written: int = 0
    shared: int = 0
    #: (type letter + id) of each object whose inputs held different versions, in id order
    conflicts: list[str] = field(default_factory=list)
    #: file -> how many conflicts its version won
    winners: Counter[Path] = field(default_factory=Counter)


class _Input:
    """One sorted input file and its current object (``key`` None once it is exhausted)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.key: tuple[int, int] | None = None
        self.obj: osmium.osm.OSMObject | None = None
        self.relations = 0
        try:
            self._objects = iter(osmium.FileProcessor(str(path), _ENTITIES))
        except RuntimeError as err:
            raise osm_file_error(path, err) from err
        self.advance()

    def advance(self) -> None:
        """Move to the next object; refuse a file that is not sorted by type and id."""
        try:
            obj = next(self._objects, None)
        except RuntimeError as err:
            raise osm_file_error(self.path, err) from err
        if obj is None:
            self.key, self.obj = None, None
            return
        key = (_TYPE_RANK[obj.type_str()], obj.id)
        if self.key is not None and key <= self.key:
            raise DataError(
                f"The OSM file {self.path} is not sorted by type and id (or holds several "
                f"versions of {obj.type_str()}{obj.id}), so it cannot be merged with the other "
                "source.url files; sort it first (osmium sort), or give it alone."
            )
        self.key, self.obj = key, obj
        self.relations += key[0] == _TYPE_RANK["r"]

    def age(self) -> tuple[int, float]:
        """(version, timestamp) of the current object: the larger is the newer."""
        assert self.obj is not None
        return self.obj.version, self.obj.timestamp.timestamp()


def merge_extracts(paths: Sequence[Path], target: Path) -> MergeStats:
    """Write the objects of the sorted OSM files ``paths`` to ``target``, each once.

    Raises
    ------
    DataError
        An input cannot be read (the message names it) or is not sorted.
    WriteError
        ``target`` cannot be written (a full disk: one message, see ``osm_writer``).
    """
    inputs = [_Input(Path(p)) for p in paths]
    stats = MergeStats()
    heap = [(inp.key, i) for i, inp in enumerate(inputs) if inp.key is not None]
    heapq.heapify(heap)
    with atomic_path(target) as tmp, osm_writer(tmp, header=_header(paths)) as writer:
        while heap:
            key = heap[0][0]
            holders = [heapq.heappop(heap)[1]]
            while heap and heap[0][0] == key:
                holders.append(heapq.heappop(heap)[1])
            best = holders[0]
            if len(holders) > 1:
                best = max(holders, key=lambda i: inputs[i].age())  # ties: the first file
                _count_shared(stats, [inputs[i] for i in holders], inputs[best])
            writer.add(inputs[best].obj)
            stats.written += 1
            for i in holders:
                inputs[i].advance()
                if inputs[i].key is not None:
                    heapq.heappush(heap, (inputs[i].key, i))
        for inp in inputs:
            _check_not_truncated(inp)
    _log_merge(stats, len(inputs))
    return stats


def _check_not_truncated(inp: _Input) -> None:
    """Refuse a part cut on a block boundary before its relations (it reads without error, and
    the merged file would not look cut); warn when it looks cut among them."""
    reason = truncation_reason(inp.path)
    if reason is None:
        return
    if inp.relations == 0:
        raise DataError(
            f"The OSM file {inp.path} looks truncated: {reason}, and it holds no relations at "
            "all (a PBF lists them last). Re-download it (for a cached download, delete the "
            "file and run again: it is fetched anew)."
        )
    logger.warning(
        "The OSM file %s may be truncated: %s. If units or roads are missing from the results, "
        "re-download it.",
        inp.path,
        reason,
    )


def _count_shared(stats: MergeStats, holders: list[_Input], best: _Input) -> None:
    stats.shared += 1
    if len({inp.age() for inp in holders}) > 1:
        assert best.obj is not None
        stats.conflicts.append(f"{best.obj.type_str()}{best.obj.id}")
        stats.winners[best.path] += 1


def _header(paths: Sequence[Path]) -> osmium.io.Header:
    """A header whose box covers the inputs' boxes (the whole-extract study area uses it)."""
    header = osmium.io.Header()
    header.set("generator", "spatialint merge")
    for path in paths:
        with contextlib.suppress(RuntimeError):  # unreadable: the merge itself says so
            reader = osmium.io.Reader(str(path), osmium.osm.NOTHING)
            try:
                box = reader.header().box()
            finally:
                reader.close()
            if box.valid():
                header.add_box(box)
    return header


def _log_merge(stats: MergeStats, files: int) -> None:
    logger.info(
        "merged %d OSM files: %d objects, %d of them in several files",
        files,
        stats.written,
        stats.shared,
    )
    if stats.conflicts:
        won = ", ".join(f"{path.name} {count}" for path, count in stats.winners.most_common())
        logger.warning(
            "%d objects differ between the source files; the newest version of each was kept "
            "(won: %s); e.g. %s",
            len(stats.conflicts),
            won,
            ", ".join(stats.conflicts[:QUOTED_CONFLICTS]),
        )


@contextlib.contextmanager
def merged_source(paths: Sequence[Path], *, beside: Path) -> Iterator[Path]:
    """The one PBF to clip: the only path, or the merge of several written beside ``beside``
    (``<folder>/source_merged.osm.pbf``) and removed on leaving."""
    if len(paths) == 1:
        yield Path(paths[0])
        return
    merged = Path(beside).parent / "source_merged.osm.pbf"
    merged.parent.mkdir(parents=True, exist_ok=True)
    try:
        merge_extracts(paths, merged)
        yield merged
    finally:
        merged.unlink(missing_ok=True)
