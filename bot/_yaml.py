"""YAML loading that remembers line numbers, so problems can be reported as ``file:line``.

Mappings load as :class:`LineDict` and sequences as :class:`LineList`; both carry the
1-based line where they start, and ``LineDict.key_lines`` gives the line of each key.
Parsing into typed objects happens once, in the modules that own each file; raw
dicts never leave them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, SequenceNode


class LineDict(dict[str, Any]):
    line: int = 0
    key_lines: dict[str, int]


class LineList(list[Any]):
    line: int = 0


class _LineLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    pass


def _construct_mapping(loader: _LineLoader, node: MappingNode) -> LineDict:
    loader.flatten_mapping(node)
    result = LineDict()
    result.line = node.start_mark.line + 1
    result.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        result[str(key)] = loader.construct_object(value_node, deep=True)
        result.key_lines[str(key)] = key_node.start_mark.line + 1
    return result


def _construct_sequence(loader: _LineLoader, node: SequenceNode) -> LineList:
    result = LineList(loader.construct_object(child, deep=True) for child in node.value)
    result.line = node.start_mark.line + 1
    return result


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)


class YamlProblem(Exception):
    """A file that is not valid YAML; ``str()`` is ``file:line: problem``."""


def load_yaml(path: Path) -> Any:
    """Load ``path`` keeping line numbers; raise :class:`YamlProblem` on a syntax error."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise YamlProblem(f"{path}:1: cannot read file: {exc.strerror}") from exc
    try:
        return yaml.load(text, Loader=_LineLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        raise YamlProblem(f"{path}:{line}: YAML syntax error: {exc.problem}") from exc
    except yaml.YAMLError as exc:
        raise YamlProblem(f"{path}:1: YAML error: {exc}") from exc


def line_of(value: Any, key: str | None = None) -> int:
    """The line where ``value`` (or its ``key``) starts, or 1 when unknown."""
    if isinstance(value, LineDict) and key is not None and key in value.key_lines:
        return value.key_lines[key]
    return int(getattr(value, "line", 1) or 1)


class Problems:
    """Collects ``file:line: problem`` messages while a file is parsed."""

    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, path: Path, line: int, message: str) -> None:
        self.items.append(f"{path}:{line}: {message}")

    def __bool__(self) -> bool:
        return bool(self.items)
