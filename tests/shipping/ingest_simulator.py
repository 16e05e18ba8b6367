"""Run the project's ingest pipelines in Python for tests, without Elasticsearch.

Only the processors and options the shipped pipelines use are implemented: grok
(through `rca.testing.grok`), set (value with ``{{{field}}}`` templates or
copy_from), gsub, lowercase, remove, date, kv. Painless is not run: an ``if``
condition must have the form ``ctx.a?.b == null``, ``!= null`` or ``== 'text'``,
and a script processor raises `Unsupported` unless the caller skips it.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any

from rca.testing.grok import GrokProcessor

Document = dict[str, Any]

_CONDITION = re.compile(r"^ctx\.(?P<path>[\w?.]+?)\s*(?P<op>==|!=)\s*(?P<value>null|'[^']*')$")
_TEMPLATE = re.compile(r"\{\{\{([\w.@]+)\}\}\}")


class Unsupported(Exception):
    """The pipeline uses a processor or option this simulator does not run."""


class PipelineFailure(Exception):
    """A processor failed and its options do not ignore the failure."""


def get_field(document: Mapping[str, Any], path: str) -> Any:
    current: Any = document
    for part in path.split("."):
        if not isinstance(current, Mapping) or part not in current:
            return None
        current = current[part]
    return current


def set_field(document: Document, path: str, value: Any) -> None:
    parts = path.split(".")
    current = document
    for part in parts[:-1]:
        current = current.setdefault(part, {})
    current[parts[-1]] = value


def remove_field(document: Document, path: str) -> None:
    parts = path.split(".")
    parent = get_field(document, ".".join(parts[:-1])) if len(parts) > 1 else document
    if isinstance(parent, dict):
        parent.pop(parts[-1], None)


def condition_holds(condition: str, document: Document) -> bool:
    found = _CONDITION.match(condition.strip())
    if found is None:
        raise Unsupported(f"condition {condition!r}")
    value = get_field(document, found.group("path").replace("?", ""))
    expected = None if found.group("value") == "null" else found.group("value")[1:-1]
    equal = value == expected
    return equal if found.group("op") == "==" else not equal


def parse_date(text: str, formats: list[str], timezone: str | None) -> str:
    zone = dt.UTC if timezone in (None, "UTC") else None
    for name in formats:
        try:
            if name == "UNIX":
                moment = dt.datetime.fromtimestamp(float(text), tz=dt.UTC)
            elif name == "ISO8601":
                moment = dt.datetime.fromisoformat(text)
            else:
                python = (
                    name.replace("yyyy", "%Y")
                    .replace("MM", "%m")
                    .replace("dd", "%d")
                    .replace("HH", "%H")
                    .replace("mm", "%M")
                    .replace("ss", "%S")
                    .replace("SSS", "%f")
                )
                moment = dt.datetime.strptime(text, python)
        except ValueError:
            continue
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=zone)
        return moment.astimezone(dt.UTC).isoformat()
    raise PipelineFailure(f"date {text!r} matches none of {formats}")


def run_pipeline(
    pipeline: Mapping[str, Any], document: Document, *, skip: tuple[str, ...] = ()
) -> Document:
    """Apply the pipeline's processors to `document` in place and return it."""
    for item in pipeline["processors"]:
        ((kind, options),) = item.items()
        if kind in skip:
            continue
        if "if" in options and not condition_holds(options["if"], document):
            continue
        try:
            _run(kind, options, document)
        except PipelineFailure:
            if not options.get("ignore_failure", False):
                raise
    return document


def _run(kind: str, options: Mapping[str, Any], document: Document) -> None:
    field = options.get("field", "")
    value = get_field(document, field) if field else None
    if value is None and kind not in ("set", "remove"):
        if options.get("ignore_missing", False):
            return
        raise PipelineFailure(f"{kind}: field {field} is missing")

    if kind == "grok":
        captured = GrokProcessor.from_processor(options).match(str(value))
        if captured is None:
            raise PipelineFailure(f"grok: no pattern matches {value!r}")
        for name, capture in captured.items():
            set_field(document, name, capture)
    elif kind == "set":
        _set(options, document)
    elif kind == "gsub":
        replacement = re.sub(r"\$(\d)", r"\\\1", options["replacement"])
        set_field(
            document,
            options.get("target_field", field),
            re.sub(options["pattern"], replacement, str(value)),
        )
    elif kind == "lowercase":
        set_field(document, options.get("target_field", field), str(value).lower())
    elif kind == "remove":
        remove_field(document, field)
    elif kind == "date":
        parsed = parse_date(str(value), options["formats"], options.get("timezone"))
        set_field(document, options.get("target_field", "@timestamp"), parsed)
    elif kind == "kv":
        _kv(options, str(value), document)
    else:
        raise Unsupported(f"processor {kind}")


def _set(options: Mapping[str, Any], document: Document) -> None:
    target = options["field"]
    if not options.get("override", True) and get_field(document, target) is not None:
        return
    if "copy_from" in options:
        value = get_field(document, options["copy_from"])
    else:
        value = _TEMPLATE.sub(
            lambda found: str(get_field(document, found.group(1)) or ""), options["value"]
        )
    if value in (None, "") and options.get("ignore_empty_value", False):
        return
    set_field(document, target, value)


def _kv(options: Mapping[str, Any], text: str, document: Document) -> None:
    trim = options.get("trim_value", "")
    excluded = set(options.get("exclude_keys", []))
    target = options.get("target_field")
    for token in re.split(options["field_split"], text.strip()):
        key, separator, value = token.partition(options["value_split"])
        if not separator:
            raise PipelineFailure(f"kv: token {token!r} has no {options['value_split']!r}")
        if key in excluded:
            continue
        set_field(document, f"{target}.{key}" if target else key, value.strip(trim))
