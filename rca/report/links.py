"""Kibana Discover links for reports: a run, a node's time window, one event.

The links have the form Kibana 8.11 and later builds in its Discover locator::

    BASE[/s/SPACE]/app/discover#/?_g=(time:(from:'START',to:'END'))
        &_a=(columns:!(...),dataSource:(dataViewId:'ID',type:dataView),
             query:(language:kuery,query:'KQL'),sort:!(!('@timestamp',asc)))

``_g`` and ``_a`` are rison (a compact JSON notation for URLs), and each value
is then percent-encoded as Kibana's ``encodeUriQuery`` does: everything
``encodeURIComponent`` encodes except ``@ : $ , ;``, with spaces as ``%20``.
Older Kibana releases (before 8.11) read the data view from ``_a=(index:'ID')``
instead, so their Discover opens on the default data view.

The KQL query names values in double quotes, so a value with spaces, colons,
``*`` or quotes matches literally: ``transaction.id:"run \\"42\\""``. A rule's
link shows its condition as KQL (`rca.kb.compile_kql`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, NoReturn
from urllib.parse import quote, unquote

from rca.kb.ast import Rule
from rca.kb.compile_es import EsFields
from rca.kb.compile_kql import kql_quote, rule_kql
from rca.model import Event, Transaction, format_timestamp
from rca.settings import KibanaSettings

DEFAULT_COLUMNS: Final = ("host.name", "log.level", "message")
TRANSACTION_FIELD: Final = "transaction.id"
HOST_FIELD: Final = "host.name"
EVENT_MARGIN: Final = 5.0

# Characters Kibana leaves unencoded in a state value (encodeURIComponent's
# unreserved set plus what encodeUriQuery restores). Letters, digits and
# "-_.~" are never encoded by `quote`.
_URL_SAFE: Final = "!*'()@:$,;"


class RisonError(ValueError):
    """A rison text that cannot be read; the message gives the position."""


# ---------------------------------------------------------------------------
# Rison


_NOT_ID_CHARS: Final = " '!:(),*@$"
_NOT_ID_START: Final = "-0123456789"
_ID_RE: Final = re.compile(
    "[^" + re.escape(_NOT_ID_START + _NOT_ID_CHARS) + "][^" + re.escape(_NOT_ID_CHARS) + "]*")
_NUMBER_RE: Final = re.compile(r"-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][-+]?\d+)?")


def rison_encode(value: Any) -> str:
    """Encode a JSON-like value as rison.

    Object keys are sorted, as rison's reference encoder does. Strings are bare
    when they are valid ids, and otherwise quoted, with ``!'`` for ``'`` and
    ``!!`` for ``!``.

    Raises:
        TypeError: a value is not a string, number, bool, None, list or mapping.
        ValueError: a float is not finite.
    """
    if value is None:
        return "!n"
    if value is True:
        return "!t"
    if value is False:
        return "!f"
    if isinstance(value, str):
        return _encode_string(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _encode_float(value)
    if isinstance(value, Mapping):
        items = sorted((str(key), item) for key, item in value.items())
        inner = ",".join(f"{_encode_string(key)}:{rison_encode(item)}" for key, item in items)
        return f"({inner})"
    if isinstance(value, list | tuple):
        return "!(" + ",".join(rison_encode(item) for item in value) + ")"
    raise TypeError(f"cannot encode {type(value).__name__} as rison")


def _encode_string(text: str) -> str:
    if _ID_RE.fullmatch(text) and text.isprintable():
        return text
    escaped = text.replace("!", "!!").replace("'", "!'")
    return f"'{escaped}'"


def _encode_float(number: float) -> str:
    if not math.isfinite(number):
        raise ValueError(f"rison has no value for {number}")
    if number.is_integer() and abs(number) < 1e16:
        return str(int(number))
    return repr(number).replace("e+", "e")


def rison_decode(text: str) -> Any:
    """Decode one rison value; the whole text must be that value.

    Raises:
        RisonError: the text is not valid rison.
    """
    reader = _RisonReader(text)
    value = reader.value()
    if reader.position != len(text):
        reader.fail("unexpected text after the value")
    return value


class _RisonReader:
    def __init__(self, text: str) -> None:
        self.text = text
        self.position = 0

    def fail(self, problem: str) -> NoReturn:
        raise RisonError(f"invalid rison at offset {self.position}: {problem} in {self.text!r}")

    def next_char(self) -> str:
        if self.position >= len(self.text):
            self.fail("unexpected end")
        char = self.text[self.position]
        self.position += 1
        return char

    def value(self) -> Any:
        char = self.next_char()
        if char == "(":
            return self.object()
        if char == "!":
            return self.bang()
        if char == "'":
            return self.string()
        self.position -= 1
        if char in _NOT_ID_START:
            return self.number()
        match = _ID_RE.match(self.text, self.position)
        if match is None:
            self.fail(f"unexpected character {char!r}")
        self.position = match.end()
        return match.group()

    def bang(self) -> Any:
        char = self.next_char()
        constants = {"t": True, "f": False, "n": None}
        if char in constants:
            return constants[char]
        if char == "(":
            return self.array()
        self.fail(f"unknown literal !{char}")

    def object(self) -> dict[str, Any]:
        result: dict[str, Any] = {}
        if self.text.startswith(")", self.position):
            self.position += 1
            return result
        while True:
            key = self.value()
            if not isinstance(key, str):
                self.fail("an object key must be a string")
            if self.next_char() != ":":
                self.position -= 1
                self.fail("expected ':'")
            result[key] = self.value()
            separator = self.next_char()
            if separator == ")":
                return result
            if separator != ",":
                self.position -= 1
                self.fail("expected ',' or ')'")

    def array(self) -> list[Any]:
        result: list[Any] = []
        if self.text.startswith(")", self.position):
            self.position += 1
            return result
        while True:
            result.append(self.value())
            separator = self.next_char()
            if separator == ")":
                return result
            if separator != ",":
                self.position -= 1
                self.fail("expected ',' or ')'")

    def string(self) -> str:
        pieces: list[str] = []
        while True:
            char = self.next_char()
            if char == "'":
                return "".join(pieces)
            if char == "!":
                escaped = self.next_char()
                if escaped not in "!'":
                    self.position -= 1
                    self.fail(f"invalid escape !{escaped}")
                char = escaped
            pieces.append(char)

    def number(self) -> int | float:
        match = _NUMBER_RE.match(self.text, self.position)
        if match is None:
            self.fail("invalid number")
        self.position = match.end()
        literal = match.group()
        if any(char in literal for char in ".eE"):
            return float(literal)
        return int(literal)


# ---------------------------------------------------------------------------
# KQL and URLs


def discover_url(settings: KibanaSettings, *, start: float, end: float, query: str,
                 data_view: str | None = None,
                 columns: Sequence[str] = DEFAULT_COLUMNS) -> str:
    """Build a Discover URL showing `query` (KQL) between `start` and `end` (POSIX seconds).

    `data_view` defaults to the settings' data view; an empty one lets Kibana
    open its default data view. Documents are sorted oldest first.
    """
    base = settings.url.rstrip("/")
    if settings.space:
        base = f"{base}/s/{quote(settings.space, safe='')}"
    view = settings.data_view if data_view is None else data_view

    global_state = {"time": {"from": format_timestamp(start),
                             "to": format_timestamp(math.ceil(end * 1000) / 1000)}}
    app_state: dict[str, Any] = {
        "query": {"language": "kuery", "query": query},
        "sort": [["@timestamp", "asc"]],
    }
    if columns:
        app_state["columns"] = list(columns)
    if view:
        app_state["dataSource"] = {"dataViewId": view, "type": "dataView"}
    return (f"{base}/app/discover#/?_g={_encode_state(global_state)}"
            f"&_a={_encode_state(app_state)}")


def _encode_state(state: Mapping[str, Any]) -> str:
    return quote(rison_encode(state), safe=_URL_SAFE)


@dataclass(frozen=True, slots=True)
class DiscoverState:
    """The decoded parts of a Discover URL."""

    base: str
    global_state: dict[str, Any]
    app_state: dict[str, Any]


def decode_discover_url(url: str) -> DiscoverState:
    """Split a Discover URL into its base and its decoded ``_g`` and ``_a`` states.

    Raises:
        RisonError: a state is not valid rison.
        ValueError: the URL is not a Discover URL.
    """
    base, marker, fragment = url.partition("/app/discover#/")
    if not marker:
        raise ValueError(f"not a Kibana Discover URL: {url}")
    _path, _question, query = fragment.partition("?")
    states: dict[str, Any] = {}
    for part in query.split("&"):
        name, _equals, value = part.partition("=")
        states[name] = rison_decode(unquote(value))
    return DiscoverState(base=base, global_state=states.get("_g", {}),
                         app_state=states.get("_a", {}))


# ---------------------------------------------------------------------------
# Links for report items


def transaction_link(txn: Transaction, settings: KibanaSettings, margin: float) -> str | None:
    """Discover on the run's documents, its span widened by `margin` seconds.

    Returns None when no Kibana URL is set or the run has no time.
    """
    if not settings.url or txn.start is None or txn.end is None:
        return None
    return discover_url(settings, start=txn.start - margin, end=txn.end + margin,
                        query=f"{TRANSACTION_FIELD}:{kql_quote(txn.id)}")


def node_link(node: str, start: float, end: float, settings: KibanaSettings,
              *, margin: float = 0.0) -> str | None:
    """Discover on everything `node` logged between `start` and `end`, widened by `margin`."""
    if not settings.url or not node:
        return None
    return discover_url(settings, start=start - margin, end=end + margin,
                        query=f"{HOST_FIELD}:{kql_quote(node)}")


def event_link(event: Event, settings: KibanaSettings, *, margin: float = EVENT_MARGIN
               ) -> str | None:
    """Discover around one event: the document itself when it came from Elasticsearch.

    For an event read from a file, the link shows its node (and run) within
    `margin` seconds, where the shipped copy of the record should be.
    Returns None without a Kibana URL or an event time.
    """
    if not settings.url or event.timestamp is None:
        return None
    document_id = _elasticsearch_id(event.origin.path)
    if document_id is not None:
        query = f"_id:{kql_quote(document_id)}"
    else:
        clauses = [f"{HOST_FIELD}:{kql_quote(event.node)}"] if event.node else []
        if event.transaction_id:
            clauses.append(f"{TRANSACTION_FIELD}:{kql_quote(event.transaction_id)}")
        query = " and ".join(clauses)
    return discover_url(settings, start=event.timestamp - margin,
                        end=event.timestamp + margin, query=query)


def _elasticsearch_id(locator: str) -> str | None:
    """Return the document id of an ``es://INDEX/ID`` origin; index names contain no ``/``."""
    if not locator.startswith("es://"):
        return None
    _index, slash, document_id = locator.removeprefix("es://").partition("/")
    return document_id if slash and document_id else None


@dataclass(frozen=True, slots=True)
class RunLinks:
    """The Discover links of one run, each over the run's time window.

    `run` shows the documents carrying the run's transaction id. `nodes` shows,
    for each node of the run, everything that node logged in the window.
    `first_error` is the link of the first error's node. A first error from an
    audit or journald record carries no transaction id, so only the node's
    documents show it with its context.
    """

    run: str | None
    first_error: str | None
    nodes: dict[str, str]


def run_links(txn: Transaction, settings: KibanaSettings, *, margin: float,
              clock_offsets: Mapping[str, tuple[float, float]] | None = None) -> RunLinks | None:
    """Build the Discover links of a run, or None when no Kibana URL is set.

    The window is the run's span widened by `margin` seconds on both sides.
    Documents in Elasticsearch keep each node's own clock, while the analyzer
    shifts event times by the estimated clock offsets (positive when the
    node's clock runs ahead). So a node's window is shifted by its offset, and
    the run's window spans the shifted windows of all its nodes. A run without
    any timestamp gets no links.
    """
    if not settings.url:
        return None
    if txn.start is None or txn.end is None:
        return RunLinks(run=None, first_error=None, nodes={})

    offsets = clock_offsets or {}
    nodes = sorted(set(txn.nodes) | {event.node for event in txn.events if event.node})
    shifts = {node: _finite_offset(offsets.get(node)) for node in nodes}
    node_urls = {
        node: discover_url(settings, start=txn.start + shift - margin,
                           end=txn.end + shift + margin,
                           query=f"{HOST_FIELD}:{kql_quote(node)}")
        for node, shift in shifts.items()
    }
    earliest = min(shifts.values(), default=0.0)
    latest = max(shifts.values(), default=0.0)
    run_url = discover_url(settings, start=txn.start + earliest - margin,
                           end=txn.end + latest + margin,
                           query=f"{TRANSACTION_FIELD}:{kql_quote(txn.id)}")

    first_error = None
    if txn.first_error is not None:
        first_error = node_urls.get(txn.first_error.node, run_url)
    return RunLinks(run=run_url, first_error=first_error, nodes=node_urls)


def _finite_offset(estimate: tuple[float, float] | None) -> float:
    if estimate is None or not math.isfinite(estimate[0]):
        return 0.0
    return estimate[0]


def rule_link(rule: Rule, settings: KibanaSettings, start: float, end: float, *,
              fields: EsFields | None = None) -> str | None:
    """Discover on the documents a rule's condition matches between `start` and `end`.

    `fields` describes how the data view maps the message (see `EsFields`). The
    KQL is approximate for regular expressions and context clauses; see
    `rca.kb.compile_kql`. Returns None without a Kibana URL, or when the
    condition can match no document.
    """
    if not settings.url:
        return None
    query = rule_kql(rule, fields)
    if query.matches_nothing:
        return None
    return discover_url(settings, start=start, end=end, query=query.text)
