"""PyYAML's safe loader with `safeload`'s bounds: a depth limit, and every alias
charged the size of what it expands to. A module of its own so that importing
`safeload` (JSON, bounded file reads) does not import PyYAML, whose import
alone costs a pre-commit hook more than scanning a file."""

from __future__ import annotations

from typing import Any

import yaml
from yaml.events import AliasEvent
from yaml.nodes import MappingNode, Node, SequenceNode


class BoundedLoader(yaml.SafeLoader):
    """Bounds and the error to raise are given by `safeload` (no import back)."""

    def __init__(
        self, stream: str | bytes, max_depth: int, max_nodes: int, error: type[Exception]
    ) -> None:
        super().__init__(stream)
        self._max_depth, self._max_nodes, self._error = max_depth, max_nodes, error
        self._depth = 0
        self._nodes = 0
        self._sizes: dict[int, int] = {}
        self._open: set[str | None] = set()

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        event: Any = self.peek_event()  # type: ignore[no-untyped-call]
        if isinstance(event, AliasEvent):
            if event.anchor in self._open:
                raise self._error("YAML alias inside the node it names (a recursive document)")
            node = super().compose_node(parent, index)
            self._charge(self._size(node) if node is not None else 1, True)
            return node
        self._depth += 1
        if self._depth > self._max_depth:
            raise self._error(f"YAML nested deeper than {self._max_depth} levels")
        anchor = getattr(event, "anchor", None)
        if anchor is not None:
            self._open.add(anchor)
        try:
            node = super().compose_node(parent, index)
        finally:
            self._depth -= 1
            self._open.discard(anchor)
        self._charge(1, False)
        return node

    def _charge(self, count: int, alias: bool) -> None:
        self._nodes += count
        if self._nodes > self._max_nodes:
            what = " through aliases" if alias else ""
            raise self._error(f"YAML expands to more than {self._max_nodes} nodes{what}")

    def _size(self, node: Node) -> int:
        """Nodes under `node` with aliases expanded (memoised: linear in distinct nodes)."""
        known = self._sizes.get(id(node))
        if known is not None:
            return known
        total = 1
        if isinstance(node, SequenceNode):
            total += sum(self._size(child) for child in node.value)
        elif isinstance(node, MappingNode):
            total += sum(self._size(k) + self._size(v) for k, v in node.value)
        self._sizes[id(node)] = min(total, self._max_nodes + 1)
        return self._sizes[id(node)]
