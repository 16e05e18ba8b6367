"""Run Elasticsearch grok patterns in Python, for tests of the shipped ingest pipelines.

Grok writes a regular expression with named sub-patterns: ``%{NAME}`` inserts a
library pattern, ``%{NAME:field}`` also captures it into `field`, and
``%{NAME:field:int}`` converts the capture. This module expands the library
patterns the project's pipelines use into a Python `re` pattern, so a test can
check that a pipeline parses real lines without an Elasticsearch node::

    >>> grok = compile_grok(r"^%{TIMESTAMP_ISO8601:ts} %{LOGLEVEL:log.level} %{GREEDYDATA:rest}")
    >>> grok.match("2026-12-03T01:04:35.164Z ERROR txn=run-0101 msg=boom")["log.level"]
    'ERROR'

The library entries are copied from the `grok-patterns` file of logstash-patterns-core,
which Elasticsearch's grok processor bundles. Only the entries listed in
`BUILTIN_PATTERNS` are known; any other name raises `GrokError`.

NOTE: Elasticsearch runs grok on the Joni engine (Oniguruma syntax). The translation
covers the syntax the pipelines use (named groups ``(?<name>...)``, atomic groups,
lookbehind); Joni-only syntax such as ``\\h`` or ``(?m)`` as dot-all is not translated.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

__all__ = [
    "BUILTIN_PATTERNS",
    "GrokError",
    "GrokPattern",
    "GrokProcessor",
    "compile_grok",
    "processors_of",
]

BUILTIN_PATTERNS: dict[str, str] = {
    "INT": r"(?:[+-]?(?:[0-9]+))",
    "BASE10NUM": r"(?<![0-9.+-])(?>[+-]?(?:(?:[0-9]+(?:\.[0-9]+)?)|(?:\.[0-9]+)))",
    "NUMBER": r"(?:%{BASE10NUM})",
    "WORD": r"\b\w+\b",
    "NOTSPACE": r"\S+",
    "SPACE": r"\s*",
    "DATA": r".*?",
    "GREEDYDATA": r".*",
    "MONTHNUM": r"(?:0?[1-9]|1[0-2])",
    "MONTHDAY": r"(?:(?:0[1-9])|(?:[12][0-9])|(?:3[01])|[1-9])",
    "YEAR": r"(?>\d\d){1,2}",
    "HOUR": r"(?:2[0123]|[01]?[0-9])",
    "MINUTE": r"(?:[0-5][0-9])",
    "SECOND": r"(?:(?:[0-5]?[0-9]|60)(?:[:.,][0-9]+)?)",
    "ISO8601_TIMEZONE": r"(?:Z|[+-]%{HOUR}(?::?%{MINUTE}))",
    "TIMESTAMP_ISO8601": (
        r"%{YEAR}-%{MONTHNUM}-%{MONTHDAY}[T ]%{HOUR}:?%{MINUTE}(?::?%{SECOND})?%{ISO8601_TIMEZONE}?"
    ),
    "LOGLEVEL": (
        r"([Aa]lert|ALERT|[Tt]race|TRACE|[Dd]ebug|DEBUG|[Nn]otice|NOTICE|[Ii]nfo?(?:rmation)?|"
        r"INFO?(?:RMATION)?|[Ww]arn?(?:ing)?|WARN?(?:ING)?|[Ee]rr?(?:or)?|ERR?(?:OR)?|"
        r"[Cc]rit?(?:ical)?|CRIT?(?:ICAL)?|[Ff]atal|FATAL|[Ss]evere|SEVERE|EMERG(?:ENCY)?|"
        r"[Ee]merg(?:ency)?)"
    ),
}

_REFERENCE = re.compile(
    r"%\{(?P<name>\w+)(?::(?P<field>[^:}]+))?(?::(?P<type>int|long|float|double))?\}"
)
_NAMED_GROUP = re.compile(r"\(\?<(?P<field>[A-Za-z_][\w.@\[\]]*)>")
_MAX_DEPTH = 20


class GrokError(ValueError):
    """A grok pattern uses an unknown library name, recurses, or is not a valid regex."""


@dataclass(frozen=True)
class GrokPattern:
    """One compiled grok pattern and the fields its groups capture."""

    source: str
    regex: re.Pattern[str]
    fields: dict[str, tuple[str, str | None]]

    def match(self, text: str) -> dict[str, object] | None:
        """Search `text` as the grok processor does and return the captured fields, or None.

        Groups that did not take part in the match are left out, as in Elasticsearch.
        """
        found = self.regex.search(text)
        if found is None:
            return None
        captured: dict[str, object] = {}
        for group, value in found.groupdict().items():
            if value is None:
                continue
            field, kind = self.fields[group]
            captured[field] = _convert(value, kind)
        return captured


@dataclass(frozen=True)
class GrokProcessor:
    """The patterns of one grok processor, tried in order as Elasticsearch does."""

    patterns: tuple[GrokPattern, ...]

    @classmethod
    def from_processor(cls, processor: Mapping[str, object]) -> GrokProcessor:
        """Build from the body of a ``{"grok": {...}}`` processor of an ingest pipeline."""
        patterns = processor.get("patterns")
        if not isinstance(patterns, list) or not all(isinstance(item, str) for item in patterns):
            raise GrokError("grok processor has no list of string patterns")
        definitions = processor.get("pattern_definitions", {})
        if not isinstance(definitions, dict):
            raise GrokError("grok pattern_definitions must be an object")
        return cls(tuple(compile_grok(pattern, definitions) for pattern in patterns))

    def match(self, text: str) -> dict[str, object] | None:
        """Return the fields of the first pattern that matches `text`, or None."""
        for pattern in self.patterns:
            captured = pattern.match(text)
            if captured is not None:
                return captured
        return None


def compile_grok(pattern: str, definitions: Mapping[str, str] | None = None) -> GrokPattern:
    """Expand `pattern` with the built-in library plus `definitions` and compile it."""
    library = {**BUILTIN_PATTERNS, **(definitions or {})}
    fields: dict[str, tuple[str, str | None]] = {}
    expanded = _expand(pattern, library, fields, depth=0)
    expanded = _NAMED_GROUP.sub(lambda found: _name_group(found.group("field"), fields), expanded)
    try:
        regex = re.compile(expanded)
    except re.error as error:
        raise GrokError(
            f"grok pattern {pattern!r} is not a valid regex after expansion: {error}"
        ) from error
    return GrokPattern(pattern, regex, fields)


def _expand(
    pattern: str, library: Mapping[str, str], fields: dict[str, tuple[str, str | None]], depth: int
) -> str:
    if depth > _MAX_DEPTH:
        raise GrokError(f"grok pattern nests deeper than {_MAX_DEPTH} levels: {pattern!r}")

    def replace(found: re.Match[str]) -> str:
        name = found.group("name")
        if name not in library:
            raise GrokError(f"unknown grok pattern %{{{name}}}; add it to pattern_definitions")
        body = _expand(library[name], library, fields, depth + 1)
        field = found.group("field")
        if field is None:
            return f"(?:{body})"
        group = f"g{len(fields)}"
        fields[group] = (field, found.group("type"))
        return f"(?P<{group}>{body})"

    return _REFERENCE.sub(replace, pattern)


def _name_group(field: str, fields: dict[str, tuple[str, str | None]]) -> str:
    """Turn an Oniguruma ``(?<field>`` group into a Python group with a safe name."""
    group = f"g{len(fields)}"
    fields[group] = (field, None)
    return f"(?P<{group}>"


def _convert(value: str, kind: str | None) -> object:
    if kind in ("int", "long"):
        return int(value)
    if kind in ("float", "double"):
        return float(value)
    return value


def processors_of(pipeline: Mapping[str, object], kind: str) -> Sequence[Mapping[str, object]]:
    """Return the bodies of the processors of one kind (``grok``, ``date``...) in order."""
    processors = pipeline.get("processors", [])
    if not isinstance(processors, list):
        raise GrokError("pipeline processors must be a list")
    return [item[kind] for item in processors if isinstance(item, dict) and kind in item]
