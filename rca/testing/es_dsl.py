"""Query DSL evaluation for the loopback Elasticsearch in `rca.testing.es_server`.

Documents are held in memory as `StoredDocument`s. This module evaluates over
them the parts of the Elasticsearch search API that the analyzer and its tests
send. Queries: ``bool``, ``term``, ``terms``, ``range``, ``exists``,
``match_all``, ``match_none``, ``match_phrase``, ``wildcard`` and ``regexp``
(with ``case_insensitive``). Hits: ``sort`` with ``missing`` and
``unmapped_type``, ``search_after``, ``collapse`` with ``inner_hits``, and
``_source`` filtering. Aggregations: ``composite``, ``terms``, ``top_hits``,
``cardinality``, ``min``, ``max`` and ``filter``.

It differs from a real cluster in ways the tests do not depend on:

* String fields behave as ``keyword`` fields (values compared exactly), except
  the `Dsl.text_fields`, which are analyzed by `analyze`, an approximation of
  the ``standard`` analyzer. Term-level queries on a text field test each word.
* A ``regexp`` value is read in Lucene syntax. The optional operators
  (``&``, ``~``, ``@``, ``#``, ``<n-m>``) and ``\\d``-style classes, which
  Lucene versions read differently, raise `DslError`.
  ``case_insensitive`` folds ASCII letters only, as Lucene's
  ``ASCII_CASE_INSENSITIVE`` does; ``wildcard`` folds all letters.
* A field counts as mapped when some document of the searched indices has it.
* Date fields are the names given to the server (``@timestamp`` by default).
  Their values are stored as epoch milliseconds, as Elasticsearch does.
* Scores are constant, and ``cardinality`` is exact where Elasticsearch
  gives an estimate.

Anything else in a request raises `DslError` with the status and error type
that Elasticsearch returns for an unknown query or aggregation, so a request the
fake does not understand fails loudly instead of matching the wrong documents.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import functools
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NoReturn

LONG_MAX = 2**63 - 1
LONG_MIN = -(2**63)

Predicate = Callable[["StoredDocument"], bool]


class DslError(Exception):
    """A request that Elasticsearch would reject, with its HTTP status and error type."""

    def __init__(self, status: int, error_type: str, reason: str) -> None:
        super().__init__(f"{error_type}: {reason}")
        self.status = status
        self.error_type = error_type
        self.reason = reason


@dataclass(slots=True)
class StoredDocument:
    """One indexed document with its leaf values by dotted field name.

    `seq` increases with every write to the server, so it orders documents by
    indexing time and serves as the ``_doc`` and ``_shard_doc`` sort value.
    """

    index: str
    id: str
    source: dict[str, Any]
    values: dict[str, list[Any]]
    shard: int
    seq: int
    words: dict[str, list[list[str]]] = field(default_factory=dict)
    """Analyzed words of text fields, per value, filled on first use."""


def flatten(source: Mapping[str, Any], date_fields: frozenset[str]) -> dict[str, list[Any]]:
    """Collect the leaf values of `source` by dotted field name.

    Nested objects and dotted keys give the same names (``{"log": {"level": x}}``
    and ``{"log.level": x}`` both give ``log.level``). Arrays add one value per
    element, and nulls are left out, as Elasticsearch indexes them. Values of
    date fields become epoch milliseconds.

    Raises:
        DslError: a date field contains a value that is not a date.
    """
    values: dict[str, list[Any]] = {}
    _collect(source, "", values)
    for name in date_fields & values.keys():
        try:
            values[name] = [parse_date_millis(value) for value in values[name]]
        except DslError as error:
            raise DslError(400, "document_parsing_exception",
                           f"failed to parse field [{name}] of type [date]: {error.reason}"
                           ) from error
    return values


def _collect(value: Any, prefix: str, into: dict[str, list[Any]]) -> None:
    # Documents come from JSON, so plain dict and list checks suffice; they are
    # much faster than the abstract Mapping check on large corpora.
    if isinstance(value, dict):
        for key, item in value.items():
            _collect(item, f"{prefix}.{key}" if prefix else str(key), into)
    elif isinstance(value, list | tuple):
        for item in value:
            _collect(item, prefix, into)
    elif value is not None and prefix:
        values = into.get(prefix)
        if values is None:
            into[prefix] = [value]
        else:
            values.append(value)


def parse_date_millis(value: Any, date_format: str | None = None) -> int:
    """Convert a date as Elasticsearch accepts it to epoch milliseconds.

    Accepts ISO-8601 strings (a missing zone means UTC) and numbers, which are
    epoch milliseconds unless `date_format` is ``epoch_second``. Date math
    (``now-1h``) is not supported.

    Raises:
        DslError: `value` is not a date in these forms.
    """
    if isinstance(value, bool):
        raise DslError(400, "parse_exception", f"failed to parse date field [{value}]")
    if isinstance(value, int | float):
        scale = 1000 if date_format == "epoch_second" else 1
        return math.floor(value * scale)
    if isinstance(value, str):
        text = value.strip()
        moment = _parse_iso(text)
        if moment is not None:
            return math.floor(moment.timestamp() * 1000)
        if _is_number(text):
            return parse_date_millis(float(text), date_format)
    raise DslError(400, "parse_exception", f"failed to parse date field [{value}]")


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _parse_iso(text: str) -> dt.datetime | None:
    # Python reads at most six fraction digits; Elasticsearch keeps up to nine.
    head, dot, rest = text.partition(".")
    if dot:
        digits = len(rest) - len(rest.lstrip("0123456789"))
        rest = rest[:min(digits, 6)] + rest[digits:]
        text = f"{head}.{rest}"
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def format_date_millis(millis: int | float) -> str:
    """Format epoch milliseconds as Elasticsearch's ``value_as_string`` does."""
    moment = dt.datetime.fromtimestamp(millis / 1000, tz=dt.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


# ---------------------------------------------------------------------------
# Queries


@dataclass(slots=True)
class Dsl:
    """Evaluates requests over documents.

    `date_fields` are the fields mapped as dates, `text_fields` the analyzed
    text fields. `subfields` maps multi-field names (``message.wildcard``) to
    their type, and each one contains its parent field's values.
    """

    date_fields: frozenset[str] = frozenset({"@timestamp"})
    text_fields: frozenset[str] = frozenset()
    subfields: Mapping[str, str] = field(default_factory=dict)

    def compile(self, query: Mapping[str, Any] | None) -> Predicate:
        """Turn a query object into a predicate over documents.

        Raises:
            DslError: the query has an unknown type or an invalid shape.
        """
        if query is None:
            return _match_all
        if not isinstance(query, Mapping) or len(query) != 1:
            raise DslError(400, "parsing_exception",
                           "query malformed, must start with a single query name")
        ((name, body),) = query.items()
        builder = _QUERY_BUILDERS.get(name)
        if builder is None:
            raise DslError(400, "parsing_exception", f"unknown query [{name}]")
        return builder(self, body)

    def date_value(self, name: str, value: Any, date_format: str | None = None) -> Any:
        """Convert a query value for field `name` to its stored form."""
        if name in self.date_fields:
            return parse_date_millis(value, date_format)
        return value

    def terms_of(self, document: StoredDocument, name: str) -> Sequence[Any]:
        """Return the indexed terms of a field: its values, or the words of a text field."""
        if name not in self.text_fields:
            return document.values.get(name, ())
        return [word for words in self.words_of(document, name) for word in words]

    def words_of(self, document: StoredDocument, name: str) -> list[list[str]]:
        """Return the analyzed words of each value of text field `name`."""
        cached = document.words.get(name)
        if cached is None:
            cached = [analyze(str(value)) for value in document.values.get(name, ())]
            document.words[name] = cached
        return cached


def _match_all(document: StoredDocument) -> bool:
    return True


def _match_none(document: StoredDocument) -> bool:
    return False


def _clauses(body: Mapping[str, Any], key: str) -> list[Any]:
    value = body.get(key, [])
    return list(value) if isinstance(value, list) else [value]


def _build_bool(dsl: Dsl, body: Any) -> Predicate:
    if not isinstance(body, Mapping):
        raise DslError(400, "parsing_exception", "[bool] query malformed")
    known = {"must", "filter", "should", "must_not", "minimum_should_match", "boost", "_name"}
    for key in body:
        if key not in known:
            raise DslError(400, "parsing_exception", f"[bool] query does not support [{key}]")
    required = [dsl.compile(clause) for clause in _clauses(body, "must") + _clauses(body, "filter")]
    excluded = [dsl.compile(clause) for clause in _clauses(body, "must_not")]
    optional = [dsl.compile(clause) for clause in _clauses(body, "should")]
    # Without must or filter clauses, at least one should clause has to match.
    default_minimum = 1 if optional and not required else 0
    minimum = int(body.get("minimum_should_match", default_minimum))

    def predicate(document: StoredDocument) -> bool:
        if not all(test(document) for test in required):
            return False
        if any(test(document) for test in excluded):
            return False
        if minimum <= 0:
            return True
        return sum(1 for test in optional if test(document)) >= minimum

    return predicate


def _single_field(body: Any, query_name: str) -> tuple[str, Any]:
    if not isinstance(body, Mapping):
        raise DslError(400, "parsing_exception", f"[{query_name}] query malformed")
    fields = [key for key in body if key not in {"boost", "_name"}]
    if len(fields) != 1:
        raise DslError(400, "parsing_exception",
                       f"[{query_name}] query doesn't support multiple fields, found {fields}")
    return fields[0], body[fields[0]]


def values_equal(stored: Any, expected: Any) -> bool:
    """Compare a stored value with a query value as a keyword or numeric field would."""
    if isinstance(stored, bool) or isinstance(expected, bool):
        return str(stored).lower() == str(expected).lower()
    if isinstance(stored, int | float) and not isinstance(expected, int | float):
        return _is_number(str(expected)) and float(stored) == float(expected)
    if isinstance(stored, int | float):
        return float(stored) == float(expected)
    return str(stored) == str(expected)


def _build_term(dsl: Dsl, body: Any) -> Predicate:
    name, spec = _single_field(body, "term")
    case_insensitive = False
    if isinstance(spec, Mapping):
        if "value" not in spec:
            raise DslError(400, "parsing_exception", "[term] query requires [value]")
        case_insensitive = bool(spec.get("case_insensitive", False))
        spec = spec["value"]
    expected = dsl.date_value(name, spec)

    def predicate(document: StoredDocument) -> bool:
        for stored in dsl.terms_of(document, name):
            if case_insensitive and isinstance(stored, str):
                if stored.lower() == str(expected).lower():
                    return True
            elif values_equal(stored, expected):
                return True
        return False

    return predicate


def _build_terms(dsl: Dsl, body: Any) -> Predicate:
    name, spec = _single_field(body, "terms")
    if not isinstance(spec, list):
        raise DslError(400, "parsing_exception", "[terms] query requires an array of terms")
    expected = [dsl.date_value(name, value) for value in spec]
    exact = {value for value in expected if isinstance(value, str)}
    others = [value for value in expected if not isinstance(value, str)]

    def predicate(document: StoredDocument) -> bool:
        for stored in dsl.terms_of(document, name):
            if isinstance(stored, str) and stored in exact:
                return True
            if any(values_equal(stored, value) for value in others):
                return True
            if not isinstance(stored, str) and any(values_equal(stored, value) for value in exact):
                return True
        return False

    return predicate


_RANGE_OPERATORS: dict[str, Callable[[Any, Any], bool]] = {
    "gt": lambda stored, bound: stored > bound,
    "gte": lambda stored, bound: stored >= bound,
    "lt": lambda stored, bound: stored < bound,
    "lte": lambda stored, bound: stored <= bound,
}


def _build_range(dsl: Dsl, body: Any) -> Predicate:
    name, spec = _single_field(body, "range")
    if not isinstance(spec, Mapping):
        raise DslError(400, "parsing_exception", "[range] query malformed")
    date_format = spec.get("format")
    bounds: list[tuple[Callable[[Any, Any], bool], Any]] = []
    for key, bound in spec.items():
        if key in {"format", "boost", "time_zone", "relation", "_name"}:
            continue
        operator = _RANGE_OPERATORS.get(key)
        if operator is None:
            raise DslError(400, "parsing_exception", f"[range] query does not support [{key}]")
        if bound is not None:
            bounds.append((operator, dsl.date_value(name, bound, date_format)))

    def predicate(document: StoredDocument) -> bool:
        for stored in document.values.get(name, ()):
            if all(_compare_in_range(operator, stored, bound) for operator, bound in bounds):
                return True
        return False

    return predicate


def _compare_in_range(operator: Callable[[Any, Any], bool], stored: Any, bound: Any) -> bool:
    numeric_stored = isinstance(stored, int | float) and not isinstance(stored, bool)
    if numeric_stored and _is_number(str(bound)):
        return operator(float(stored), float(bound))
    return operator(str(stored), str(bound))


def _build_exists(dsl: Dsl, body: Any) -> Predicate:
    if not isinstance(body, Mapping) or not isinstance(body.get("field"), str):
        raise DslError(400, "parsing_exception", "[exists] query requires a [field]")
    name = body["field"]
    prefix = f"{name}."

    def predicate(document: StoredDocument) -> bool:
        if document.values.get(name):
            return True
        return any(key.startswith(prefix) for key in document.values)

    return predicate


def _query_spec(body: Any, query_name: str, value_key: str, allowed: set[str]
                ) -> tuple[str, dict[str, Any]]:
    """Read ``{field: value}`` or ``{field: {value_key: value, ...}}``; reject other options."""
    name, spec = _single_field(body, query_name)
    if not isinstance(spec, Mapping):
        spec = {value_key: spec}
    unknown = set(spec) - allowed - {value_key, "boost", "_name"}
    if unknown:
        raise DslError(400, "parsing_exception",
                       f"[{query_name}] query does not support {sorted(unknown)} in this fake")
    if value_key not in spec:
        raise DslError(400, "parsing_exception", f"[{query_name}] requires [{value_key}]")
    return name, dict(spec)


def _build_match_phrase(dsl: Dsl, body: Any) -> Predicate:
    name, spec = _query_spec(body, "match_phrase", "query", {"slop", "zero_terms_query"})
    if int(spec.get("slop", 0)) != 0 or spec.get("zero_terms_query", "none") != "none":
        raise DslError(400, "parsing_exception",
                       "[match_phrase] slop and zero_terms_query are not modelled")
    text = str(spec["query"])
    if name not in dsl.text_fields:
        # A keyword field's analyzer keeps the whole value as one term.
        return lambda document: any(values_equal(stored, text)
                                    for stored in document.values.get(name, ()))
    phrase = analyze(text)
    if not phrase:
        return _match_none

    def predicate(document: StoredDocument) -> bool:
        return any(_contains_run(words, phrase) for words in dsl.words_of(document, name))

    return predicate


def _contains_run(words: list[str], phrase: list[str]) -> bool:
    width = len(phrase)
    return any(words[start:start + width] == phrase for start in range(len(words) - width + 1))


def _build_wildcard(dsl: Dsl, body: Any) -> Predicate:
    name, spec = _query_spec(body, "wildcard", "value", {"case_insensitive", "wildcard"})
    value = spec.get("wildcard", spec["value"])
    flags = re.DOTALL | (re.IGNORECASE if spec.get("case_insensitive") else 0)
    compiled = re.compile(wildcard_to_python(str(value)), flags)
    return _term_matcher(dsl, name, compiled)


def _build_regexp(dsl: Dsl, body: Any) -> Predicate:
    name, spec = _query_spec(body, "regexp", "value", {"case_insensitive"})
    # Lucene's case-insensitive flag folds ASCII letters only.
    flags = re.DOTALL | (re.IGNORECASE | re.ASCII if spec.get("case_insensitive") else 0)
    compiled = re.compile(lucene_regex_to_python(str(spec["value"])), flags)
    return _term_matcher(dsl, name, compiled)


def _term_matcher(dsl: Dsl, name: str, compiled: re.Pattern[str]) -> Predicate:
    def predicate(document: StoredDocument) -> bool:
        return any(isinstance(term, str) and compiled.fullmatch(term) is not None
                   for term in dsl.terms_of(document, name))

    return predicate


_QUERY_BUILDERS: dict[str, Callable[[Dsl, Any], Predicate]] = {
    "bool": _build_bool,
    "term": _build_term,
    "terms": _build_terms,
    "range": _build_range,
    "exists": _build_exists,
    "match_all": lambda dsl, body: _match_all,
    "match_none": lambda dsl, body: _match_none,
    "match_phrase": _build_match_phrase,
    "wildcard": _build_wildcard,
    "regexp": _build_regexp,
}


# ---------------------------------------------------------------------------
# Text analysis and pattern syntaxes

# Words of letters, digits and underscores, joined across "." and "'" as the
# standard tokenizer joins "go.mod" and "can't". Each Han, Hiragana or
# Katakana character is a word of its own.
_WORD_RE = re.compile(r"\w+(?:[.'’]\w+)*")
_IDEOGRAPH_RE = re.compile(r"([぀-ヿ㐀-䶿一-鿿豈-﫿])")


def analyze(text: str) -> list[str]:
    """Split text into lower-case words, approximating Elasticsearch's ``standard`` analyzer.

    The standard tokenizer follows the Unicode word-break rules (UAX #29).
    This approximation splits log text made of ASCII words, paths, numbers and
    CJK characters into the same words, but not every text (``:`` between
    letters, emoji, Thai).
    """
    words: list[str] = []
    for match in _WORD_RE.finditer(text):
        for piece in _IDEOGRAPH_RE.split(match.group()):
            if piece:
                words.append(piece.lower())
    return words


def wildcard_to_python(pattern: str) -> str:
    """Translate a ``wildcard`` value (``*``, ``?``, ``\\`` escapes) to a Python pattern."""
    parts: list[str] = []
    index = 0
    while index < len(pattern):
        char = pattern[index]
        if char == "\\" and index + 1 < len(pattern):
            parts.append(re.escape(pattern[index + 1]))
            index += 2
            continue
        if char == "*":
            parts.append(".*")
        elif char == "?":
            parts.append(".")
        else:
            parts.append(re.escape(char))
        index += 1
    return "".join(parts)


_LUCENE_OPTIONAL_OPERATORS = frozenset("&~@#<>")


def lucene_regex_to_python(pattern: str) -> str:
    """Translate a Lucene regular expression to an equivalent Python pattern.

    The result must match the whole value (``re.fullmatch``) with ``re.DOTALL``,
    since Lucene's ``.`` matches any character.

    Raises:
        DslError: the pattern is invalid, or uses a construct this fake does not
            model (the optional operators ``& ~ @ # <>``, or ``\\`` before a letter).
    """
    reader = _LuceneReader(pattern)
    result = reader.union()
    if reader.position != len(pattern):
        reader.fail("unexpected ')'")
    return result


class _LuceneReader:
    def __init__(self, pattern: str) -> None:
        self.pattern = pattern
        self.position = 0

    def fail(self, problem: str) -> NoReturn:
        raise DslError(400, "query_shard_exception",
                       f"failed to create query: {problem} at position {self.position} "
                       f"in regexp [{self.pattern}]")

    def peek(self) -> str:
        return self.pattern[self.position] if self.position < len(self.pattern) else ""

    def take(self) -> str:
        char = self.peek()
        if not char:
            self.fail("unexpected end")
        self.position += 1
        return char

    def union(self) -> str:
        branches = [self.concatenation()]
        while self.peek() == "|":
            self.position += 1
            branches.append(self.concatenation())
        return "|".join(branches)

    def concatenation(self) -> str:
        parts: list[str] = []
        while self.peek() and self.peek() not in "|)":
            parts.append(self.repeat())
        return "".join(parts)

    def repeat(self) -> str:
        atom = self.atom()
        while self.peek() in ("*", "+", "?", "{"):
            char = self.take()
            if char == "{":
                end = self.pattern.find("}", self.position)
                bounds = self.pattern[self.position:end] if end >= 0 else ""
                if not re.fullmatch(r"\d+(,\d*)?", bounds):
                    self.fail("invalid repeat bounds")
                self.position = end + 1
                atom = f"(?:{atom}){{{bounds}}}"
            else:
                atom = f"(?:{atom}){char}"
        return atom

    def atom(self) -> str:
        char = self.take()
        if char in _LUCENE_OPTIONAL_OPERATORS:
            self.fail(f"the optional operator {char!r} is not modelled")
        if char in "*+?{":
            self.fail(f"{char!r} repeats nothing")
        if char == "\\":
            return re.escape(self.escaped())
        if char == ".":
            return "."
        if char == "(":
            inner = self.union()
            if self.take() != ")":
                self.fail("expected ')'")
            return f"(?:{inner})"
        if char == "[":
            return self.character_class()
        if char == '"':
            end = self.pattern.find('"', self.position)
            if end < 0:
                self.fail("unterminated string")
            literal = self.pattern[self.position:end]
            self.position = end + 1
            return re.escape(literal)
        return re.escape(char)

    def escaped(self) -> str:
        char = self.take()
        if char.isascii() and char.isalpha():
            self.fail(f"\\{char} means a class in some Lucene versions and {char!r} in others")
        return char

    def character_class(self) -> str:
        negate = self.peek() == "^"
        if negate:
            self.position += 1
        parts: list[str] = []
        while True:
            char = self.take()
            if char == "]":
                if not parts:
                    self.fail("empty character class")
                break
            first = self.escaped() if char == "\\" else char
            if self.peek() == "-" and self.pattern[self.position + 1:self.position + 2] not in \
                    ("", "]"):
                self.position += 1
                following = self.take()
                last = self.escaped() if following == "\\" else following
                if ord(last) < ord(first):
                    self.fail("invalid class range")
                parts.append(f"{_class_escape(first)}-{_class_escape(last)}")
            else:
                parts.append(_class_escape(first))
        return ("[^" if negate else "[") + "".join(parts) + "]"


def _class_escape(char: str) -> str:
    return "\\" + char if char in "\\]^-[" else char


# ---------------------------------------------------------------------------
# Sorting


@dataclass(frozen=True, slots=True)
class SortField:
    """One entry of a ``sort`` list, normalized."""

    name: str
    descending: bool = False
    missing_first: bool = False
    unmapped_type: str | None = None


def parse_sort(spec: Any) -> list[SortField]:
    """Normalize a ``sort`` value: a name, ``{name: order}`` or ``{name: {order: ...}}``.

    Raises:
        DslError: an entry has an invalid shape or order.
    """
    entries = spec if isinstance(spec, list) else [spec]
    fields: list[SortField] = []
    for entry in entries:
        if isinstance(entry, str):
            fields.append(SortField(entry, descending=entry == "_score"))
            continue
        if not isinstance(entry, Mapping) or len(entry) != 1:
            raise DslError(400, "parsing_exception", f"malformed sort entry {entry!r}")
        ((name, options),) = entry.items()
        if isinstance(options, str):
            options = {"order": options}
        if not isinstance(options, Mapping):
            raise DslError(400, "parsing_exception", f"malformed sort entry {entry!r}")
        order = options.get("order", "desc" if name == "_score" else "asc")
        if order not in {"asc", "desc"}:
            raise DslError(400, "parsing_exception", f"unknown sort order [{order}]")
        missing = options.get("missing", "_last")
        fields.append(SortField(name, descending=order == "desc",
                                missing_first=missing == "_first",
                                unmapped_type=options.get("unmapped_type")))
    return fields


def check_sortable(fields: Sequence[SortField], documents: Sequence[StoredDocument],
                   *, with_pit: bool) -> None:
    """Raise the errors Elasticsearch gives for sorting on unmapped fields or on `_shard_doc`.

    With no documents there is no shard to complain, as with an index pattern
    that matches no index.

    Raises:
        DslError: a field is unmapped without ``unmapped_type``, or ``_shard_doc``
            is used without a point in time.
    """
    for sort_field in fields:
        if sort_field.name == "_shard_doc" and not with_pit:
            raise DslError(400, "illegal_argument_exception",
                           "[_shard_doc] sort field cannot be used without [point in time]")
        if sort_field.name.startswith("_") or sort_field.unmapped_type or not documents:
            continue
        if not any(sort_field.name in document.values for document in documents):
            raise DslError(400, "query_shard_exception",
                           f"No mapping found for [{sort_field.name}] in order to sort on")


def sort_values(document: StoredDocument, fields: Sequence[SortField],
                numeric: Mapping[str, bool]) -> list[Any]:
    """The values Elasticsearch returns in a hit's ``sort`` array.

    A missing numeric or date value is Long.MAX_VALUE or Long.MIN_VALUE, so it
    sorts where ``missing`` puts it; a missing keyword value is null.
    """
    result: list[Any] = []
    for sort_field in fields:
        if sort_field.name in {"_doc", "_shard_doc"}:
            result.append(document.seq)
            continue
        if sort_field.name == "_score":
            result.append(1.0)
            continue
        present = document.values.get(sort_field.name)
        if present:
            result.append(max(present) if sort_field.descending else min(present))
        elif numeric.get(sort_field.name, sort_field.unmapped_type not in {None, "keyword"}):
            last = sort_field.descending == sort_field.missing_first
            result.append(LONG_MAX if last else LONG_MIN)
        else:
            result.append(None)
    return result


def numeric_fields(fields: Sequence[SortField], documents: Iterable[StoredDocument]
                   ) -> dict[str, bool]:
    """For each sort field, whether its values are numbers (numeric and date fields)."""
    result: dict[str, bool] = {}
    names = {sort_field.name for sort_field in fields}
    for document in documents:
        for name in names - result.keys():
            values = document.values.get(name)
            if values:
                result[name] = isinstance(values[0], int | float)
        if len(result) == len(names):
            break
    return result


def compare_sort_values(left: Sequence[Any], right: Sequence[Any],
                        fields: Sequence[SortField]) -> int:
    """Three-way comparison of two ``sort`` arrays under `fields`."""
    for a, b, sort_field in zip(left, right, fields, strict=True):
        if a is None or b is None:
            if a is None and b is None:
                continue
            missing_low = sort_field.missing_first
            result = -1 if (a is None) == missing_low else 1
            return result
        if a == b:
            continue
        if isinstance(a, int | float) and isinstance(b, int | float):
            order = -1 if a < b else 1
        else:
            order = -1 if str(a) < str(b) else 1
        return -order if sort_field.descending else order
    return 0


def sort_documents(documents: Iterable[StoredDocument], fields: Sequence[SortField],
                   numeric: Mapping[str, bool]) -> list[tuple[list[Any], StoredDocument]]:
    """Pair each document with its sort values and order the pairs; ties keep index order."""
    keyed = [(sort_values(document, fields, numeric), document) for document in documents]

    def compare(left: tuple[list[Any], StoredDocument],
                right: tuple[list[Any], StoredDocument]) -> int:
        return compare_sort_values(left[0], right[0], fields)

    if fields:
        keyed.sort(key=functools.cmp_to_key(compare))
    return keyed


# ---------------------------------------------------------------------------
# Hits and _source filtering


def filter_source(source: Mapping[str, Any], spec: Any) -> dict[str, Any] | None:
    """Apply a ``_source`` option: true, false, a pattern, a list, or includes/excludes."""
    if spec is None or spec is True:
        return dict(source)
    if spec is False:
        return None
    includes: list[str]
    excludes: list[str] = []
    if isinstance(spec, str):
        includes = [spec]
    elif isinstance(spec, list):
        includes = [str(item) for item in spec]
    elif isinstance(spec, Mapping):
        includes = _as_list(spec.get("includes", spec.get("include", [])))
        excludes = _as_list(spec.get("excludes", spec.get("exclude", [])))
    else:
        raise DslError(400, "parsing_exception", f"invalid _source value {spec!r}")
    return _filter_object(source, "", includes, excludes)


def _as_list(value: Any) -> list[str]:
    return [str(item) for item in value] if isinstance(value, list) else [str(value)]


def _filter_object(value: Mapping[str, Any], prefix: str, includes: list[str],
                   excludes: list[str]) -> dict[str, Any]:
    filtered: dict[str, Any] = {}
    for key, item in value.items():
        path = f"{prefix}.{key}" if prefix else str(key)
        if any(fnmatch.fnmatchcase(path, pattern) for pattern in excludes):
            continue
        if isinstance(item, Mapping):
            whole = not includes or any(fnmatch.fnmatchcase(path, pattern) for pattern in includes)
            inner = _filter_object(item, path, [] if whole else includes, excludes)
            if inner or (whole and not item):
                filtered[key] = inner
        elif not includes or any(fnmatch.fnmatchcase(path, pattern) for pattern in includes):
            filtered[key] = item
    return filtered


def render_hit(document: StoredDocument, *, source_spec: Any = None,
               sort: list[Any] | None = None) -> dict[str, Any]:
    """A hit as the search API returns it."""
    hit: dict[str, Any] = {"_index": document.index, "_id": document.id,
                           "_score": None if sort is not None else 1.0}
    source = filter_source(document.source, source_spec)
    if source is not None:
        hit["_source"] = source
    if sort is not None:
        hit["sort"] = sort
    return hit


# ---------------------------------------------------------------------------
# Collapse


def collapse_hits(ordered: list[tuple[list[Any], StoredDocument]], spec: Mapping[str, Any],
                  dsl: Dsl) -> list[tuple[list[Any], StoredDocument, dict[str, Any]]]:
    """Keep the first document per value of the collapse field, with its inner hits.

    Returns (sort values, document, extra hit keys) in the original order.
    """
    name = spec.get("field")
    if not isinstance(name, str):
        raise DslError(400, "parsing_exception", "[collapse] requires a [field]")
    groups: dict[Any, list[StoredDocument]] = {}
    leaders: list[tuple[list[Any], StoredDocument, Any]] = []
    for values, document in ordered:
        present = document.values.get(name)
        if present and len(present) > 1:
            raise DslError(400, "illegal_state_exception",
                           f"failed to collapse {document.id}, the collapse field [{name}] "
                           "must be single valued")
        key = present[0] if present else None
        if key not in groups:
            groups[key] = []
            leaders.append((values, document, key))
        groups[key].append(document)

    inner_specs = spec.get("inner_hits", [])
    inner_list = inner_specs if isinstance(inner_specs, list) else [inner_specs]
    result: list[tuple[list[Any], StoredDocument, dict[str, Any]]] = []
    for values, document, key in leaders:
        extra: dict[str, Any] = {"fields": {name: [key]}}
        if inner_list:
            extra["inner_hits"] = {
                str(inner.get("name", "inner")): top_hits(groups[key], inner, dsl)
                for inner in inner_list
            }
        result.append((values, document, extra))
    return result


def top_hits(members: Sequence[StoredDocument], spec: Mapping[str, Any], dsl: Dsl
             ) -> dict[str, Any]:
    """Build the ``hits`` object of a ``top_hits`` aggregation or of inner hits."""
    size = int(spec.get("size", 3))
    start = int(spec.get("from", 0))
    fields = parse_sort(spec["sort"]) if "sort" in spec else []
    numeric = numeric_fields(fields, members)
    ordered = sort_documents(members, fields, numeric)
    page = ordered[start:start + size]
    return {"hits": {
        "total": {"value": len(members), "relation": "eq"},
        "max_score": None if fields else 1.0,
        "hits": [render_hit(document, source_spec=spec.get("_source"),
                            sort=values if fields else None) for values, document in page],
    }}


# ---------------------------------------------------------------------------
# Aggregations


def aggregate(specs: Mapping[str, Any], documents: Sequence[StoredDocument], dsl: Dsl,
              *, top_level: bool = True) -> dict[str, Any]:
    """Evaluate an ``aggs`` object over `documents`.

    Raises:
        DslError: an unknown aggregation type, or ``composite`` under a parent.
    """
    result: dict[str, Any] = {}
    for name, spec in specs.items():
        if not isinstance(spec, Mapping):
            raise DslError(400, "parsing_exception", f"aggregation [{name}] malformed")
        kinds = [key for key in spec if key not in {"aggs", "aggregations", "meta"}]
        if len(kinds) != 1:
            raise DslError(400, "parsing_exception",
                           f"expected one aggregation type for [{name}], found {kinds}")
        kind = kinds[0]
        sub_aggs = spec.get("aggs", spec.get("aggregations", {}))
        if kind == "composite" and not top_level:
            raise DslError(400, "illegal_argument_exception",
                           f"[composite] aggregation cannot be used with a parent aggregation "
                           f"of type: [{name}]")
        evaluator = _AGGREGATIONS.get(kind)
        if evaluator is None:
            raise DslError(400, "parsing_exception", f"Unknown aggregation type [{kind}]")
        result[name] = evaluator(spec[kind], sub_aggs, documents, dsl)
    return result


def _composite(spec: Mapping[str, Any], sub_aggs: Mapping[str, Any],
               documents: Sequence[StoredDocument], dsl: Dsl) -> dict[str, Any]:
    sources: list[tuple[str, str, bool, bool]] = []
    for entry in spec.get("sources", []):
        ((source_name, source_spec),) = entry.items()
        if "terms" not in source_spec:
            raise DslError(400, "parsing_exception",
                           "only terms sources are supported in [composite]")
        terms = source_spec["terms"]
        sources.append((source_name, terms["field"], terms.get("order", "asc") == "desc",
                        bool(terms.get("missing_bucket", False))))
    size = int(spec.get("size", 10))
    after = spec.get("after")

    buckets: dict[tuple[Any, ...], list[StoredDocument]] = {}
    for document in documents:
        for key in _composite_keys(document, sources):
            buckets.setdefault(key, []).append(document)

    fields = [SortField(name, descending=descending, missing_first=True)
              for name, _field, descending, _missing in sources]

    def compare(left: tuple[Any, ...], right: tuple[Any, ...]) -> int:
        return compare_sort_values(left, right, fields)

    keys = sorted(buckets, key=functools.cmp_to_key(compare))
    if after is not None:
        after_key = [after.get(name) for name, *_rest in sources]
        keys = [key for key in keys if compare_sort_values(list(key), after_key, fields) > 0]
    page = keys[:size]

    result: dict[str, Any] = {"buckets": []}
    for key in page:
        bucket: dict[str, Any] = {
            "key": {name: value for (name, *_rest), value in zip(sources, key, strict=True)},
            "doc_count": len(buckets[key]),
        }
        bucket.update(aggregate(sub_aggs, buckets[key], dsl, top_level=False))
        result["buckets"].append(bucket)
    if page:
        result["after_key"] = result["buckets"][-1]["key"]
    return result


def _composite_keys(document: StoredDocument, sources: list[tuple[str, str, bool, bool]]
                    ) -> list[tuple[Any, ...]]:
    keys: list[tuple[Any, ...]] = [()]
    for _name, field_name, _descending, missing_bucket in sources:
        values = list(dict.fromkeys(document.values.get(field_name, [])))
        if not values:
            if not missing_bucket:
                return []
            values = [None]
        keys = [(*key, value) for key in keys for value in values]
    return keys


def _terms(spec: Mapping[str, Any], sub_aggs: Mapping[str, Any],
           documents: Sequence[StoredDocument], dsl: Dsl) -> dict[str, Any]:
    name = spec["field"]
    size = int(spec.get("size", 10))
    buckets: dict[Any, list[StoredDocument]] = {}
    for document in documents:
        for value in dict.fromkeys(document.values.get(name, [])):
            buckets.setdefault(value, []).append(document)
    ordered = sorted(buckets, key=lambda value: (-len(buckets[value]), str(value)))
    page = ordered[:size]
    rest = sum(len(buckets[value]) for value in ordered[size:])
    result_buckets = []
    for value in page:
        bucket: dict[str, Any] = {"key": value, "doc_count": len(buckets[value])}
        if name in dsl.date_fields:
            bucket["key_as_string"] = format_date_millis(value)
        bucket.update(aggregate(sub_aggs, buckets[value], dsl, top_level=False))
        result_buckets.append(bucket)
    return {"doc_count_error_upper_bound": 0, "sum_other_doc_count": rest,
            "buckets": result_buckets}


def _top_hits(spec: Mapping[str, Any], sub_aggs: Mapping[str, Any],
              documents: Sequence[StoredDocument], dsl: Dsl) -> dict[str, Any]:
    return top_hits(documents, spec, dsl)


def _cardinality(spec: Mapping[str, Any], sub_aggs: Mapping[str, Any],
                 documents: Sequence[StoredDocument], dsl: Dsl) -> dict[str, Any]:
    name = spec["field"]
    distinct = {value for document in documents for value in document.values.get(name, [])}
    return {"value": len(distinct)}


def _extreme(pick: Callable[[Iterable[float]], float]
             ) -> Callable[[Mapping[str, Any], Mapping[str, Any], Sequence[StoredDocument], Dsl],
                           dict[str, Any]]:
    def evaluate(spec: Mapping[str, Any], sub_aggs: Mapping[str, Any],
                 documents: Sequence[StoredDocument], dsl: Dsl) -> dict[str, Any]:
        name = spec["field"]
        numbers = [float(value) for document in documents
                   for value in document.values.get(name, [])
                   if isinstance(value, int | float) and not isinstance(value, bool)]
        if not numbers:
            return {"value": None}
        value = pick(numbers)
        result: dict[str, Any] = {"value": value}
        if name in dsl.date_fields:
            result["value_as_string"] = format_date_millis(value)
        return result

    return evaluate


def _filter(spec: Mapping[str, Any], sub_aggs: Mapping[str, Any],
            documents: Sequence[StoredDocument], dsl: Dsl) -> dict[str, Any]:
    predicate = dsl.compile(spec)
    members = [document for document in documents if predicate(document)]
    result: dict[str, Any] = {"doc_count": len(members)}
    result.update(aggregate(sub_aggs, members, dsl, top_level=False))
    return result


_AGGREGATIONS: dict[str, Callable[[Mapping[str, Any], Mapping[str, Any],
                                   Sequence[StoredDocument], Dsl], dict[str, Any]]] = {
    "composite": _composite,
    "terms": _terms,
    "top_hits": _top_hits,
    "cardinality": _cardinality,
    "min": _extreme(min),
    "max": _extreme(max),
    "filter": _filter,
}


@dataclass(slots=True)
class ShardReport:
    """Shard counts for the ``_shards`` section of a response."""

    total: int = 0
    failed_shards: list[tuple[str, int]] = field(default_factory=list)
    reason: str = "simulated shard failure"

    def as_dict(self) -> dict[str, Any]:
        failed = len(self.failed_shards)
        report: dict[str, Any] = {"total": self.total, "successful": self.total - failed,
                                  "skipped": 0, "failed": failed}
        if failed:
            report["failures"] = [
                {"shard": shard, "index": index, "node": "fake-node-0",
                 "reason": {"type": "node_disconnected_exception", "reason": self.reason}}
                for index, shard in self.failed_shards
            ]
        return report
