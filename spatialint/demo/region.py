"""The region under construction: a road raster on a 100 m lattice plus free-form OSM objects.

The feature modules (:mod:`.rural`, :mod:`.settlements`, :mod:`.intercity`, ...) build the demo
in two phases on one :class:`Region`:

1. *Painting*: roads that follow the lattice are painted as style codes on its edges
   (:meth:`Region.paint_h`, :meth:`Region.paint_v`, :meth:`Region.paint_box`); a later paint
   overwrites an earlier one, so the order of the steps is part of the design. Nodes that
   free-form ways will attach to are kept (:meth:`Region.keep`).
2. :meth:`Region.finish_lattice` chooses the lattice nodes (junctions, ends, every 3rd node of a
   straight stretch), numbers them, jitters them and cuts the painted runs into ways. After it,
   free-form nodes, ways and relations are appended (:meth:`Region.add_nodes`,
   :meth:`Region.add_way`, :meth:`Region.add_relation`) and lattice nodes are found by position
   (:meth:`Region.lattice_node`).

Ids are consecutive from 1 in the order objects are added, and the one random generator is
drawn from in a fixed order, so the same seed gives the same region, id for id.
"""

from __future__ import annotations

import numpy as np

from spatialint.demo.frame import LATTICE_STEP_KM, REGION_KM

JITTER_M = 15.0
RURAL_NODE_EVERY = 3  # keep every 3rd straight-through lattice node on rural lines (300 m)
MAX_WAY_NODES = 1900  # OSM API limit is 2000 nodes per way


class Region:
    """Accumulates the lattice road raster, free-form nodes/ways and relations of the region."""

    def __init__(self, seed: int) -> None:
        self.rng = np.random.default_rng(seed)
        w, s, e, n = REGION_KM
        self.i0 = round(-w / LATTICE_STEP_KM)
        self.j0 = round(-s / LATTICE_STEP_KM)
        self.ni = round((e - w) / LATTICE_STEP_KM) + 1
        self.nj = round((n - s) / LATTICE_STEP_KM) + 1
        # Road class code of each lattice edge: H[j, i] joins (i, j)-(i+1, j); V[j, i] joins
        # (i, j)-(i, j+1).  0 = no road.
        self.h = np.zeros((self.nj, self.ni - 1), np.int16)
        self.v = np.zeros((self.nj - 1, self.ni), np.int16)
        self.force = np.zeros((self.nj, self.ni), bool)
        self.thin = np.zeros((self.nj, self.ni), bool)
        self.styles: list[dict[str, str]] = [{}]
        self._style_code: dict[tuple[tuple[str, str], ...], int] = {}
        self.oneway_reverse: set[int] = set()
        self.id_grid: np.ndarray | None = None
        # free-form nodes (after the lattice nodes)
        self.node_x: list[np.ndarray] = []
        self.node_y: list[np.ndarray] = []
        self.n_nodes = 0
        self.node_tags: dict[int, dict[str, str]] = {}
        self.ways: list[tuple[int, list[int], dict[str, str]]] = []
        self.relations: list[tuple[int, list[tuple[str, int, str]], dict[str, str]]] = []

    # ---- lattice ----
    def ij(self, x: float, y: float) -> tuple[int, int]:
        """Lattice column and row of the point (x, y) km."""
        return round(x / LATTICE_STEP_KM) + self.i0, round(y / LATTICE_STEP_KM) + self.j0

    def style(self, *, reverse: bool = False, **tags: str) -> int:
        """Integer code of a road style (its OSM tags); ``reverse`` = one-way against the
        lattice direction (west/south-bound)."""
        key = (*sorted(tags.items()), ("__reverse", str(reverse)))
        if key not in self._style_code:
            self._style_code[key] = len(self.styles)
            self.styles.append(dict(tags))
            if reverse:
                self.oneway_reverse.add(len(self.styles) - 1)
        return self._style_code[key]

    def paint_h(self, y: float, x0: float, x1: float, code: int) -> None:
        (ia, j), (ib, _) = self.ij(min(x0, x1), y), self.ij(max(x0, x1), y)
        self.h[j, ia:ib] = code

    def paint_v(self, x: float, y0: float, y1: float, code: int) -> None:
        (i, ja), (_, jb) = self.ij(x, min(y0, y1)), self.ij(x, max(y0, y1))
        self.v[ja:jb, i] = code

    def paint_box(self, x0: float, x1: float, y0: float, y1: float, code: int) -> None:
        """Every lattice street inside the box (a full 100 m grid)."""
        (ia, ja), (ib, jb) = self.ij(x0, y0), self.ij(x1, y1)
        self.h[ja : jb + 1, ia:ib] = code
        self.v[ja:jb, ia : ib + 1] = code

    def thin_h(self, y: float, x0: float, x1: float) -> None:
        """Keep no straight-through node on this stretch of row ``y`` (unless forced)."""
        (ia, j), (ib, _) = self.ij(x0, y), self.ij(x1, y)
        self.thin[j, ia : ib + 1] = True

    def thin_v(self, x: float, y0: float, y1: float) -> None:
        """Keep no straight-through node on this stretch of column ``x`` (unless forced)."""
        (i, ja), (_, jb) = self.ij(x, y0), self.ij(x, y1)
        self.thin[ja : jb + 1, i] = True

    def keep(self, x: float, y: float) -> None:
        """Keep the lattice node at (x, y) km whatever its degree (a free-form way attaches)."""
        i, j = self.ij(x, y)
        self.force[j, i] = True

    def lattice_node(self, x: float, y: float) -> int:
        """OSM id of the lattice node at (x, y) km (after :meth:`finish_lattice`)."""
        assert self.id_grid is not None
        i, j = self.ij(x, y)
        node = int(self.id_grid[j, i])
        if node == 0:
            raise AssertionError(f"no lattice node kept at ({x}, {y})")
        return node

    def finish_lattice(self) -> None:
        """Choose the lattice nodes to keep, give them ids and jittered positions, build ways."""
        h, v = self.h > 0, self.v > 0
        left = np.zeros((self.nj, self.ni), np.int16)
        right = np.zeros_like(left)
        down = np.zeros_like(left)
        up = np.zeros_like(left)
        left[:, 1:] = self.h
        right[:, :-1] = self.h
        down[1:, :] = self.v
        up[:-1, :] = self.v
        deg = (left > 0).astype(np.int8) + (right > 0) + (down > 0) + (up > 0)
        del h, v
        ii = np.arange(self.ni)[None, :]
        jj = np.arange(self.nj)[:, None]
        straight_h = (deg == 2) & (left > 0) & (left == right)
        straight_v = (deg == 2) & (down > 0) & (down == up)
        drop = (straight_h & ((ii % RURAL_NODE_EVERY != 0) | self.thin)) | (
            straight_v & ((jj % RURAL_NODE_EVERY != 0) | self.thin)
        )
        kept = (deg > 0) & ~(drop & ~self.force)
        n = int(kept.sum())
        ids = np.zeros((self.nj, self.ni), np.int64)
        ids[kept] = np.arange(1, n + 1)
        self.id_grid = ids
        jk, ik = np.nonzero(kept)  # row-major = id order
        jitter = self.rng.uniform(-JITTER_M, JITTER_M, size=(2, n)) / 1000.0
        self.node_x.append((ik - self.i0) * LATTICE_STEP_KM + jitter[0])
        self.node_y.append((jk - self.j0) * LATTICE_STEP_KM + jitter[1])
        self.n_nodes = n
        self.n_lattice_nodes = n
        self._lattice_ways(self.h, ids, horizontal=True)
        self._lattice_ways(self.v.T, ids.T, horizontal=False)

    def _lattice_ways(self, codes: np.ndarray, ids: np.ndarray, *, horizontal: bool) -> None:
        """One way per run of equal style along each lattice row (or column)."""
        rows, width = codes.shape
        padded = np.zeros((rows, width + 1), np.int16)
        padded[:, :width] = codes
        flat = padded.ravel()
        prev = np.concatenate([[0], flat[:-1]])
        starts = np.nonzero((flat != 0) & (flat != prev))[0]
        nxt = np.concatenate([flat[1:], [0]])
        ends = np.nonzero((flat != 0) & (flat != nxt))[0]
        for s, e in zip(starts.tolist(), ends.tolist(), strict=True):
            row, c0 = divmod(s, width + 1)
            c1 = e - row * (width + 1) + 1
            code = int(flat[s])
            nodes = ids[row, c0 : c1 + 1]
            nodes = nodes[nodes > 0].tolist()
            if code in self.oneway_reverse:
                nodes.reverse()
            self.add_way(nodes, self.styles[code])

    # ---- free-form objects ----
    def add_nodes(
        self, x: np.ndarray, y: np.ndarray, tags: list[dict[str, str] | None] | None = None
    ) -> list[int]:
        """Append free-form nodes at (x, y) km (with optional tags each); returns their ids."""
        x = np.atleast_1d(np.asarray(x, float))
        y = np.atleast_1d(np.asarray(y, float))
        first = self.n_nodes + 1
        self.node_x.append(x)
        self.node_y.append(y)
        self.n_nodes += len(x)
        ids = list(range(first, first + len(x)))
        if tags is not None:
            for nid, t in zip(ids, tags, strict=True):
                if t:
                    self.node_tags[nid] = t
        return ids

    def add_node(self, x: float, y: float, tags: dict[str, str] | None = None) -> int:
        """Append one free-form node; returns its id."""
        return self.add_nodes(np.array([x]), np.array([y]), [tags])[0]

    def add_way(self, nodes: list[int], tags: dict[str, str]) -> int:
        """Add a way (split into pieces of at most MAX_WAY_NODES); returns the first way id."""
        first = len(self.ways) + 1
        start = 0
        while True:
            piece = nodes[start : start + MAX_WAY_NODES]
            self.ways.append((len(self.ways) + 1, piece, dict(tags)))
            start += MAX_WAY_NODES - 1
            if start >= len(nodes) - 1:
                break
        return first

    def add_relation(self, members: list[tuple[str, int, str]], tags: dict[str, str]) -> int:
        """Append a relation of ``(type, ref, role)`` members; returns its id."""
        rid = len(self.relations) + 1
        self.relations.append((rid, members, dict(tags)))
        return rid

    def coords(self) -> tuple[np.ndarray, np.ndarray]:
        """x and y (km) of every node so far, in id order (id = position + 1)."""
        return np.concatenate(self.node_x), np.concatenate(self.node_y)

    def ways_with_nodes(self, wanted: set[int]) -> dict[int, list[int]]:
        """Ids of the ways through each wanted node, in ascending way id (one pass)."""
        found: dict[int, list[int]] = {n: [] for n in wanted}
        for wid, nodes, _ in self.ways:
            for n in wanted.intersection(nodes):
                found[n].append(wid)
        return found

    def road_node_count(self) -> int:
        """Distinct nodes of the ways tagged ``highway=*`` (any value)."""
        road_nodes: set[int] = set()
        for _wid, nodes, tags in self.ways:
            if "highway" in tags:
                road_nodes.update(nodes)
        return len(road_nodes)
