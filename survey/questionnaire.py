"""Questionnaires as data: parse, validate and fingerprint questionnaire files.

Pure: no Flask, no database. A file is parsed with PyYAML's safe loader, checked against the
schema (the dataclasses below, validated by pydantic) and against the rules that a schema
cannot express (unique ids, references, a swapped item per dimension, ordered bands). Every
problem is reported as ``file:line: message``; a valid file becomes a frozen ``Questionnaire``
that scoring, forms and reports all share.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from dataclasses import asdict, field
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import ConfigDict, Field, TypeAdapter, ValidationError
from pydantic.dataclasses import dataclass

MAX_FILE_BYTES = 1_000_000
HORIZONS = ("quick-win", "medium", "long-term")
DEFAULT_BANDS = (
    {"label": "NPM-led", "below": 33.333},
    {"label": "In transition", "below": 66.667},
    {"label": "Relational"},
)

_CONFIG = ConfigDict(extra="ignore", str_strip_whitespace=True)
Text = Annotated[str, Field(min_length=1)]
Identifier = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=64)]


@dataclass(frozen=True, config=_CONFIG)
class Poles:
    npm: Text = "New Public Management"
    relational: Text = "Relational"


@dataclass(frozen=True, config=_CONFIG)
class Scale:
    points: Annotated[int, Field(ge=3, le=11)] = 7


@dataclass(frozen=True, config=_CONFIG)
class Band:
    label: Text
    below: float | None = None


@dataclass(frozen=True, config=_CONFIG)
class Dimension:
    id: Identifier
    title: Text
    weight: Annotated[float, Field(gt=0, le=100)] = 1.0
    description: str = ""


@dataclass(frozen=True, config=_CONFIG)
class Item:
    id: Identifier
    dimension: Identifier
    npm: Text
    relational: Text
    swapped: bool = False

    def statements(self) -> tuple[str, str]:
        """The (left, right) statements as the respondent sees them."""
        if self.swapped:
            return self.relational, self.npm
        return self.npm, self.relational

    def to_paradigm(self, position: int, points: int) -> int:
        """Turn a scale position (1 = left) into paradigm orientation (1 = fully NPM)."""
        return points + 1 - position if self.swapped else position

    def to_position(self, value: int, points: int) -> int:
        """Turn a stored paradigm value back into the scale position shown on screen."""
        return points + 1 - value if self.swapped else value


@dataclass(frozen=True, config=_CONFIG)
class Suggestion:
    id: Identifier
    dimension: Identifier
    min: Annotated[float, Field(ge=0, le=100)]
    max: Annotated[float, Field(ge=0, le=100)]
    horizon: Literal["quick-win", "medium", "long-term"]
    title: Text
    body: Text
    evidence: str = ""

    def applies_to(self, mean: float) -> bool:
        return self.min <= mean <= self.max


@dataclass(frozen=True, config=_CONFIG)
class Questionnaire:
    id: Identifier
    version: Annotated[int, Field(ge=1)]
    title: Text
    dimensions: Annotated[tuple[Dimension, ...], Field(min_length=1)]
    items: Annotated[tuple[Item, ...], Field(min_length=1)]
    poles: Poles = field(default_factory=Poles)
    scale: Scale = field(default_factory=Scale)
    bands: Annotated[tuple[Band, ...], Field(min_length=1)] = tuple(
        Band(**band) for band in DEFAULT_BANDS
    )
    suggestions: tuple[Suggestion, ...] = ()
    description: str = ""
    minutes: Annotated[int, Field(ge=1, le=120)] = 10

    def __hash__(self) -> int:
        # Equal questionnaires share their id and version; hashing those alone spares the
        # respondent's pages (which key caches on the questionnaire) a walk over every item.
        return hash((self.id, self.version))

    @property
    def points(self) -> int:
        return self.scale.points

    def dimension(self, dimension_id: str) -> Dimension:
        return next(d for d in self.dimensions if d.id == dimension_id)

    def item(self, item_id: str) -> Item:
        return next(i for i in self.items if i.id == item_id)

    def items_in(self, dimension_id: str) -> tuple[Item, ...]:
        return tuple(i for i in self.items if i.dimension == dimension_id)

    def band_for(self, score: float) -> str:
        """DESIGN.md section 3 rule 5: the first band whose ``below`` exceeds the score."""
        for band in self.bands:
            if band.below is None or score < band.below:
                return band.label
        return self.bands[-1].label

    def to_data(self) -> dict[str, Any]:
        return asdict(self)

    def content_hash(self) -> str:
        """A fingerprint of the content (not of its layout or comments in the file)."""
        canonical = json.dumps(self.to_data(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()


_ADAPTER = TypeAdapter(Questionnaire)


class QuestionnaireError(Exception):
    """A questionnaire file that cannot be used; ``problems`` holds every ``file:line: message``."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


def json_schema() -> dict[str, Any]:
    """The JSON Schema of a questionnaire file (written to questionnaires/schema.json)."""
    return _ADAPTER.json_schema()


def from_data(data: dict[str, Any]) -> Questionnaire:
    """Rebuild a questionnaire from already-validated data (as stored when it was frozen)."""
    return _ADAPTER.validate_python(data)


def load_file(path: str | Path) -> Questionnaire:
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise QuestionnaireError([f"{path}:0: cannot read the file ({error.strerror})"]) from None
    return parse(raw, str(path))


def parse(raw: bytes | str, filename: str = "<questionnaire>") -> Questionnaire:
    """Parse and validate a questionnaire file, or raise QuestionnaireError listing every problem."""
    if isinstance(raw, bytes):
        if len(raw) > MAX_FILE_BYTES:
            raise QuestionnaireError([f"{filename}:0: the file is larger than {MAX_FILE_BYTES} bytes"])
        try:
            raw = raw.decode("utf-8")
        except UnicodeDecodeError as error:
            raise QuestionnaireError([f"{filename}:0: the file is not UTF-8 text ({error.reason})"]) from None
    document, lines = _read_yaml(raw, filename)
    if not isinstance(document, dict):
        raise QuestionnaireError([f"{filename}:1: the file must be a mapping with id, version, title, ..."])
    problems = [(_line_of(lines, loc), message) for loc, message in _rule_problems(document)]
    try:
        questionnaire = _ADAPTER.validate_python(document)
    except ValidationError as error:
        problems += [(_line_of(lines, e["loc"]), _describe(e)) for e in error.errors()]
    if problems:
        raise QuestionnaireError(_format(filename, problems))
    return questionnaire


def _format(filename: str, problems: list[tuple[int, str]]) -> list[str]:
    unique = dict.fromkeys((line, message) for line, message in problems)
    return [f"{filename}:{line}: {message}" for line, message in sorted(unique)]


def _describe(error: dict[str, Any]) -> str:
    where = ".".join(str(part) for part in error["loc"] if not str(part).startswith("function-"))
    message = error["msg"]
    if error["type"] == "missing":
        message = "this field is required"
    elif error["type"] == "literal_error":
        message = f"must be one of {', '.join(HORIZONS)}"
    return f"{where}: {message}" if where else message


class _NoAliasLoader(yaml.SafeLoader):
    """The safe loader, refusing anchors and aliases (no billion-laughs expansion)."""

    def compose_node(self, parent, index):  # type: ignore[no-untyped-def]
        if self.check_event(yaml.AliasEvent):
            mark = self.peek_event().start_mark
            raise yaml.MarkedYAMLError("", None, "aliases (*name) are not allowed", mark)
        return super().compose_node(parent, index)


def _read_yaml(text: str, filename: str) -> tuple[Any, dict[tuple, int]]:
    """Return the document and a map from each path (keys and indexes) to its line number."""
    try:
        node = yaml.compose(text, Loader=_NoAliasLoader)
        document = yaml.load(text, Loader=_NoAliasLoader)  # noqa: S506 - a safe loader
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark else 0
        reason = error.problem or error.context or "invalid YAML"
        raise QuestionnaireError([f"{filename}:{line}: invalid YAML: {reason}"]) from None
    except yaml.YAMLError as error:
        raise QuestionnaireError([f"{filename}:0: invalid YAML: {error}"]) from None
    lines: dict[tuple, int] = {}
    if node is not None:
        _map_lines(node, (), lines)
    return document, lines


def _map_lines(node: yaml.Node, path: tuple, lines: dict[tuple, int]) -> None:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key_path = (*path, key_node.value)
            _map_lines(value_node, key_path, lines)
            lines[key_path] = key_node.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for index, child in enumerate(node.value):
            _map_lines(child, (*path, index), lines)


def _line_of(lines: dict[tuple, int], loc: tuple) -> int:
    """The line of the deepest part of ``loc`` that the file has (a missing field: its parent)."""
    path = tuple(part for part in loc if not str(part).startswith("function-"))
    while path and path not in lines:
        path = path[:-1]
    return lines.get(path, 1)


def _duplicates(values: list[str]) -> set[str]:
    return {value for value, count in Counter(values).items() if count > 1}


def _entries(document: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    entries = document.get(kind)
    if not isinstance(entries, list):
        return []
    return [entry if isinstance(entry, dict) else {} for entry in entries]


def _rule_problems(document: dict[str, Any]) -> list[tuple[tuple, str]]:
    """The rules a schema cannot express, checked on the raw document so that they are reported
    together with any schema problems (each check skips what is malformed)."""
    problems: list[tuple[tuple, str]] = []
    for kind in ("dimensions", "items", "suggestions"):
        entries = _entries(document, kind)
        repeated = _duplicates([str(entry.get("id")) for entry in entries if "id" in entry])
        for index, entry in enumerate(entries):
            if "id" in entry and str(entry["id"]) in repeated:
                problems.append(((kind, index, "id"), f"duplicate id {entry['id']!r} in {kind}"))
    dimension_ids = [entry.get("id") for entry in _entries(document, "dimensions")]
    for kind in ("items", "suggestions"):
        for index, entry in enumerate(_entries(document, kind)):
            if "dimension" in entry and entry["dimension"] not in dimension_ids:
                problems.append(((kind, index, "dimension"), f"unknown dimension {entry['dimension']!r}"))
    items = _entries(document, "items")
    for index, dimension_id in enumerate(dimension_ids):
        own = [item for item in items if item.get("dimension") == dimension_id]
        if not own:
            problems.append((("dimensions", index), f"dimension {dimension_id!r} has no items"))
        elif not any(item.get("swapped") is True for item in own):
            problems.append(
                (("dimensions", index), f"dimension {dimension_id!r} needs at least one item with swapped: true")
            )
    for index, entry in enumerate(_entries(document, "suggestions")):
        low, high = entry.get("min"), entry.get("max")
        if _is_number(low) and _is_number(high) and low > high:
            problems.append((("suggestions", index, "min"), "min must not be greater than max"))
    return problems + _band_problems(_entries(document, "bands"))


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _band_problems(bands: list[dict[str, Any]]) -> list[tuple[tuple, str]]:
    if not bands:
        return []
    problems = []
    if bands[-1].get("below") is not None:
        problems.append((("bands", len(bands) - 1), "the last band must have no 'below'"))
    limits = [band.get("below") for band in bands[:-1]]
    for index, below in enumerate(limits):
        if not _is_number(below):
            problems.append((("bands", index), "every band but the last needs a number 'below'"))
        elif index and _is_number(limits[index - 1]) and below <= limits[index - 1]:
            problems.append((("bands", index, "below"), "bands must be in increasing order of 'below'"))
    return problems
