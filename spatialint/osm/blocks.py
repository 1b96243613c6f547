"""Whether an OSM PBF file looks cut short, from its block structure.

A PBF file is a sequence of blocks (``BlobHeader`` + ``Blob``); writers fill each data block
with a fixed number of objects (8,000 for osmium and osmosis) and only the last one is
part-filled. A download cut mid-block is refused by pyosmium itself ("truncated or
corrupt"); a file cut exactly *on a block boundary* reads without error, just with fewer
objects, and in a type-sorted file (nodes, then ways, then relations) the relations go first.
So a file whose last data block is as full as the one before it was most likely cut: the
chance that a complete file ends on a full block is about one in the block size.

Only the headers of the blocks and the last two data blocks are read (zlib or uncompressed),
so the check costs milliseconds even on a province extract.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass
from pathlib import Path

#: Protocol Buffers field numbers of the messages read here (OSM PBF format, fileformat.proto
#: and osmformat.proto).
_BLOBHEADER_TYPE, _BLOBHEADER_DATASIZE = 1, 3
_BLOB_RAW, _BLOB_ZLIB = 1, 3
_BLOCK_GROUP = 2
_GROUP_NODES, _GROUP_DENSE, _GROUP_WAYS, _GROUP_RELATIONS = 1, 2, 3, 4
_DENSE_IDS = 1


@dataclass(frozen=True)
class BlockCount:
    """Objects in one data block, by kind."""

    nodes: int = 0
    ways: int = 0
    relations: int = 0

    @property
    def total(self) -> int:
        return self.nodes + self.ways + self.relations


def _varint(data: bytes | memoryview, pos: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return value, pos


def _fields(data: bytes | memoryview):
    """(field number, value) of a message: ints for varints, memoryviews for bytes."""
    view, pos = memoryview(data), 0
    while pos < len(view):
        key, pos = _varint(view, pos)
        field, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = _varint(view, pos)
        elif wire == 2:
            size, pos = _varint(view, pos)
            value, pos = view[pos : pos + size], pos + size
        elif wire in (1, 5):
            size = 8 if wire == 1 else 4
            value, pos = view[pos : pos + size], pos + size
        else:
            raise ValueError(f"unsupported wire type {wire}")
        yield field, value


def data_blocks(path: Path) -> list[tuple[int, int]]:
    """(offset, size) of every ``OSMData`` blob; a ValueError when the file ends mid-block."""
    blocks = []
    with open(path, "rb") as handle:
        size = handle.seek(0, 2)
        pos = 0
        while pos < size:
            handle.seek(pos)
            (header_size,) = struct.unpack(">I", handle.read(4))
            header = dict(_fields(handle.read(header_size)))
            data_size = int(header.get(_BLOBHEADER_DATASIZE, 0))
            start = pos + 4 + header_size
            if start + data_size > size:
                raise ValueError("the file ends inside a block")
            if bytes(header.get(_BLOBHEADER_TYPE, b"")) == b"OSMData":
                blocks.append((start, data_size))
            pos = start + data_size
    return blocks


def count_block(path: Path, offset: int, size: int) -> BlockCount | None:
    """The objects of the data blob at ``offset``; ``None`` for a compression not read here."""
    with open(path, "rb") as handle:
        handle.seek(offset)
        blob = dict(_fields(handle.read(size)))
    if _BLOB_RAW in blob:
        block = bytes(blob[_BLOB_RAW])
    elif _BLOB_ZLIB in blob:
        block = zlib.decompress(blob[_BLOB_ZLIB])
    else:  # lzma, lz4, zstd: rare in OSM extracts
        return None
    nodes = ways = relations = 0
    for field, group in _fields(block):
        if field != _BLOCK_GROUP:
            continue
        for kind, value in _fields(group):
            if kind == _GROUP_NODES:
                nodes += 1
            elif kind == _GROUP_DENSE:
                ids = next((v for f, v in _fields(value) if f == _DENSE_IDS), b"")
                nodes += sum(1 for byte in bytes(ids) if byte < 0x80)  # packed varints
            elif kind == _GROUP_WAYS:
                ways += 1
            elif kind == _GROUP_RELATIONS:
                relations += 1
    return BlockCount(nodes, ways, relations)


def truncation_reason(path: Path) -> str | None:
    """Why ``path`` looks cut short on a block boundary, or ``None`` when it does not.

    The file looks cut when it has at least two data blocks and the last holds as many
    objects as the one before it (both full).
    """
    try:
        blocks = data_blocks(path)
        if len(blocks) < 2:
            return None
        last, before = count_block(path, *blocks[-1]), count_block(path, *blocks[-2])
    except (OSError, ValueError, struct.error, zlib.error, IndexError):
        return None  # not a PBF this reads: pyosmium's own check speaks for it
    if last is None or before is None or last.total != before.total:
        return None
    ends_with = "relations" if last.relations else "ways" if last.ways else "nodes"
    return (
        f"its last data block is as full as the one before it ({last.total:,} objects, "
        f"ending with {ends_with}), where a complete file ends with a part-filled block"
    )
