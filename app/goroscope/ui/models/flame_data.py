"""Flame-graph (icicle) layout of a profile: flat numpy arrays, one row per node (pure data).

A node is a call path from the root: stacks are merged by *function name* from
the root frame down (as ``go tool pprof``'s flame graph and
:func:`goroscope.analysis.profiles.flame_graph` do). Children are laid out
left-heavy (largest value first, then by name), each inside its parent:
``x0[child] >= x0[parent]`` and the children's widths sum to at most the parent's.
Node 0 is the root ("all"), depth 0; its width is the profile's total.

Built in the job that aggregates the profile (one Python step per (stack, frame),
not per interval); the item draws from the arrays (:mod:`goroscope.ui.items.flame_graph`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

__all__ = ["FlameData", "build_flame"]


@dataclass(frozen=True, slots=True)
class FlameData:
    """Flat icicle layout.

    name : per node, the function ("all" for the root)
    file : per node, ``file:line`` of the first frame merged into it ("" for the root)
    parent : (n,) int32 — parent node (-1 for the root)
    depth : (n,) int32 — 0 for the root
    x0, width : (n,) float64 — in value units (``width`` = the node's value)
    value : (n,) int64 — total of the stacks through it; self_value : (n,) int64 — ending here
    stack_nodes : per input stack (same order as given), its leaf node (-1: value 0)
    """

    name: tuple[str, ...]
    file: tuple[str, ...]
    parent: NDArray[np.int32]
    depth: NDArray[np.int32]
    x0: NDArray[np.float64]
    width: NDArray[np.float64]
    value: NDArray[np.int64]
    self_value: NDArray[np.int64]
    stack_nodes: NDArray[np.int64]

    def __len__(self) -> int:
        return len(self.name)

    @property
    def total(self) -> int:
        return int(self.value[0]) if len(self.value) else 0

    @property
    def max_depth(self) -> int:
        return int(self.depth.max()) if len(self.depth) else 0

    def _under(self, node: int) -> NDArray[np.bool_]:
        # walk parents up to node's depth (vectorised over all nodes, depth steps)
        cur = np.arange(len(self.name))
        d = self.depth.copy()
        target = int(self.depth[node])
        while True:
            up = d > target
            if not up.any():
                break
            cur = np.where(up, self.parent[np.maximum(cur, 0)], cur)
            d = np.where(up, d - 1, d)
        return cur == node

    def stacks_under(self, node: int) -> NDArray[np.int64]:
        """Indices of the input stacks whose path passes through ``node``."""
        sub = self._under(node)
        leaf = self.stack_nodes
        ok = leaf >= 0
        return np.flatnonzero(ok & sub[np.maximum(leaf, 0)])

    def path(self, node: int) -> list[str]:
        """Function names from the root's child down to ``node``."""
        out = []
        while node > 0:
            out.append(self.name[node])
            node = int(self.parent[node])
        return out[::-1]


def build_flame(
    stacks: Sequence[Sequence[tuple[int, str, str, int]]], values: Sequence[int] | NDArray
) -> FlameData:
    """Icicle layout of ``stacks`` (each leaf first, ``(pc, func, file, line)``) weighted
    by ``values`` (same length; ≥ 0). Job thread for big profiles."""
    names = ["all"]
    files = [""]
    parent = [-1]
    children: list[dict[str, int]] = [{}]
    value = [0]
    self_v = [0]
    stack_nodes = np.full(len(stacks), -1, np.int64)
    for i, (frames, v) in enumerate(zip(stacks, np.asarray(values).tolist(), strict=True)):
        if v <= 0:
            continue
        node = 0
        value[0] += v
        for _pc, fn, file, line in reversed(frames):
            kids = children[node]
            nxt = kids.get(fn)
            if nxt is None:
                nxt = len(names)
                kids[fn] = nxt
                names.append(fn)
                files.append(f"{file}:{line}" if file else "")
                parent.append(node)
                children.append({})
                value.append(0)
                self_v.append(0)
            node = nxt
            value[node] += v
        self_v[node] += v
        stack_nodes[i] = node
    n = len(names)
    val = np.asarray(value, np.int64)
    x0 = np.zeros(n, np.float64)
    depth = np.zeros(n, np.int32)
    # pre-order walk, children left-heavy
    todo = [0]
    while todo:
        node = todo.pop()
        kids = sorted(children[node].values(), key=lambda c: (-value[c], names[c]))
        x = x0[node]
        for c in kids:
            x0[c] = x
            depth[c] = depth[node] + 1
            x += value[c]
        todo.extend(reversed(kids))
    return FlameData(
        tuple(names),
        tuple(files),
        np.asarray(parent, np.int32),
        depth,
        x0,
        val.astype(np.float64),
        val,
        np.asarray(self_v, np.int64),
        stack_nodes,
    )
