"""Kibana Discover links decode back to the time range, data view and query they were made of."""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rca.model import Transaction
from rca.report.links import (
    RisonError,
    decode_discover_url,
    discover_url,
    event_link,
    kql_quote,
    node_link,
    rison_decode,
    rison_encode,
    transaction_link,
)
from rca.settings import KibanaSettings
from rca.testing.events import at, make_event

KIBANA = KibanaSettings(url="https://kibana.example.com", space="", data_view="filebeat-*")

NASTY = [
    "run-0042",
    "it's",
    "wow!",
    "a b",
    'say "hi"',
    "back\\slash",
    "host:port",
    "glob*",
    "运行-四十二",
    "!'()*,:@$",
    "100%&#=+?/",
    "",
    "-1",
    "tab\there",
    "line\nbreak",
    "²",
]
NASTY_IDS = ["plain", "quote", "bang", "space", "double-quote", "backslash", "colon", "star",
             "chinese", "rison-specials", "url-specials", "empty", "leading-dash", "tab",
             "newline", "superscript-digit"]


def _kql_value(query: str, field: str) -> str:
    """Read back the quoted value of `field:"..."` from a KQL query."""
    prefix = f'{field}:"'
    assert query.startswith(prefix)
    assert query.endswith('"')
    body = query[len(prefix):-1]
    value: list[str] = []
    escaped = False
    for char in body:
        if escaped:
            value.append(char)
            escaped = False
        elif char == "\\":
            escaped = True
        else:
            assert char != '"', f"unescaped quote in {query!r}"
            value.append(char)
    assert not escaped
    return "".join(value)


# -- rison -------------------------------------------------------------------------


@pytest.mark.parametrize(("value", "text"), [
    ({"a": 0, "b": "foo", "c": "23skidoo"}, "(a:0,b:foo,c:'23skidoo')"),
    (True, "!t"),
    (False, "!f"),
    (None, "!n"),
    ("", "''"),
    (1.5, "1.5"),
    (-3, "-3"),
    (1e21, "1e21"),
    (2.0, "2"),
    ("it's", "'it!'s'"),
    ("wow!", "'wow!!'"),
    ("@timestamp", "'@timestamp'"),
    ("host.name", "host.name"),
    ("-x", "'-x'"),
    ("a b", "'a b'"),
    ([], "!()"),
    ([1, "a", [True]], "!(1,a,!(!t))"),
    ({}, "()"),
    ({"z": 1, "a": {"b": None}}, "(a:(b:!n),z:1)"),
    ("é", "é"),
], ids=["object", "true", "false", "null", "empty-string", "float", "negative", "exponent",
        "integral-float", "quote", "bang", "at-sign", "dotted-id", "leading-dash", "space",
        "empty-array", "nested-array", "empty-object", "sorted-keys", "unicode-id"])
def test_rison_encode(value: Any, text: str) -> None:
    assert rison_encode(value) == text


@pytest.mark.parametrize(("text", "value"), [
    ("(a:0,b:foo,c:'23skidoo')", {"a": 0, "b": "foo", "c": "23skidoo"}),
    ("'it!'s'", "it's"),
    ("'wow!!'", "wow!"),
    ("!(!t,!f,!n)", [True, False, None]),
    ("-1.5e3", -1500.0),
    ("(time:(from:now-15m,to:now))", {"time": {"from": "now-15m", "to": "now"}}),
], ids=["object", "quote", "bang", "literals", "number", "kibana-time"])
def test_rison_decode(text: str, value: Any) -> None:
    assert rison_decode(text) == value


@pytest.mark.parametrize("text", [
    "(a:1", "'open", "!x", "'bad!x'", "(a 1)", "a b", "!(1,2", "(1:2)", ")", "",
], ids=["unclosed-object", "unclosed-string", "unknown-literal", "bad-escape", "missing-colon",
        "trailing-text", "unclosed-array", "number-key", "stray-paren", "empty"])
def test_rison_decode_rejects(text: str) -> None:
    with pytest.raises(RisonError):
        rison_decode(text)


@pytest.mark.parametrize("value", NASTY, ids=NASTY_IDS)
def test_rison_round_trip_strings(value: str) -> None:
    assert rison_decode(rison_encode(value)) == value


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text()
    | st.floats(allow_nan=False, allow_infinity=False),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12,
)


@given(_JSON)
def test_rison_round_trip_any_value(value: Any) -> None:
    decoded = rison_decode(rison_encode(value))

    assert decoded == value


def test_rison_rejects_nan() -> None:
    with pytest.raises(ValueError):
        rison_encode(float("nan"))


# -- KQL ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("value", "quoted"), [
    ("run-0042", '"run-0042"'),
    ('say "hi"', '"say \\"hi\\""'),
    ("back\\slash", '"back\\\\slash"'),
    ("glob*:x", '"glob*:x"'),
], ids=["plain", "double-quote", "backslash", "star-colon"])
def test_kql_quote(value: str, quoted: str) -> None:
    assert kql_quote(value) == quoted


# -- Discover URLs --------------------------------------------------------------------


def test_discover_url_shape() -> None:
    url = discover_url(KIBANA, start=at("02:14:07.123"), end=at("02:15:00"),
                       query='host.name:"node-01"')

    assert url.startswith("https://kibana.example.com/app/discover#/?_g=(time:(from:"
                          "'2026-12-03T02:14:07.123Z',to:'2026-12-03T02:15:00.000Z'))&_a=(")
    assert "dataSource:(dataViewId:'filebeat-*',type:dataView)" in url
    assert "query:(language:kuery,query:'host.name:%22node-01%22')" in url
    assert "sort:!(!('@timestamp',asc))" in url


def test_discover_url_decodes() -> None:
    url = discover_url(KIBANA, start=at("02:00:00"), end=at("03:00:00"), query="x:1")

    state = decode_discover_url(url)

    assert state.base == "https://kibana.example.com"
    assert state.global_state == {"time": {"from": "2026-12-03T02:00:00.000Z",
                                           "to": "2026-12-03T03:00:00.000Z"}}
    assert state.app_state["dataSource"] == {"dataViewId": "filebeat-*", "type": "dataView"}
    assert state.app_state["query"] == {"language": "kuery", "query": "x:1"}
    assert state.app_state["columns"] == ["host.name", "log.level", "message"]


def test_discover_url_space_prefix() -> None:
    settings = KibanaSettings(url="https://kibana.example.com/", space="ops team",
                              data_view="logs")

    url = discover_url(settings, start=at("02:00:00"), end=at("03:00:00"), query="x:1")

    assert url.startswith("https://kibana.example.com/s/ops%20team/app/discover#/?")


def test_discover_url_without_data_view() -> None:
    settings = KibanaSettings(url="https://kibana.example.com")

    state = decode_discover_url(
        discover_url(settings, start=at("02:00:00"), end=at("03:00:00"), query="x:1"))

    assert "dataSource" not in state.app_state


def test_discover_url_data_view_argument_wins() -> None:
    state = decode_discover_url(discover_url(KIBANA, start=at("02:00:00"), end=at("03:00:00"),
                                             query="x:1", data_view="other-view"))

    assert state.app_state["dataSource"]["dataViewId"] == "other-view"


def test_discover_url_end_rounds_up() -> None:
    state = decode_discover_url(discover_url(KIBANA, start=at("02:00:00.0004"),
                                             end=at("02:00:01.0004"), query="x:1"))

    assert state.global_state["time"] == {"from": "2026-12-03T02:00:00.000Z",
                                          "to": "2026-12-03T02:00:01.001Z"}


@pytest.mark.parametrize("value", NASTY, ids=NASTY_IDS)
def test_discover_url_keeps_url_parts_encoded(value: str) -> None:
    url = discover_url(KIBANA, start=at("02:00:00"), end=at("03:00:00"),
                       query=f"transaction.id:{kql_quote(value)}")

    fragment = url.split("#", 1)[1]
    assert fragment.count("&") == 1
    assert fragment.count("=") == 2
    assert "#" not in fragment
    assert not any(char.isspace() for char in url)
    assert '"' not in url
    assert all(ord(char) < 128 for char in url)
    assert unquote(fragment).count("_g=(") == 1


# -- links for report items ---------------------------------------------------------------


@pytest.mark.parametrize("value", NASTY, ids=NASTY_IDS)
def test_transaction_link_round_trip(value: str) -> None:
    txn = Transaction(id=value, start=at("02:14:07"), end=at("02:16:00"))

    link = transaction_link(txn, KIBANA, margin=30.0)

    assert link is not None
    state = decode_discover_url(link)
    assert state.global_state["time"] == {"from": "2026-12-03T02:13:37.000Z",
                                          "to": "2026-12-03T02:16:30.000Z"}
    assert state.app_state["dataSource"]["dataViewId"] == "filebeat-*"
    assert state.app_state["query"]["language"] == "kuery"
    assert _kql_value(state.app_state["query"]["query"], "transaction.id") == value


def test_transaction_link_needs_kibana_url() -> None:
    txn = Transaction(id="run-1", start=at("02:00:00"), end=at("02:01:00"))

    assert transaction_link(txn, KibanaSettings(), margin=30.0) is None


def test_transaction_link_needs_times() -> None:
    assert transaction_link(Transaction(id="run-1"), KIBANA, margin=30.0) is None


@pytest.mark.parametrize("node", ["web-02", "node 1", 'we"ird\\host', "节点-1"],
                         ids=["plain", "space", "quote-backslash", "chinese"])
def test_node_link_round_trip(node: str) -> None:
    link = node_link(node, at("02:00:00"), at("02:10:00"), KIBANA, margin=60.0)

    assert link is not None
    state = decode_discover_url(link)
    assert state.global_state["time"] == {"from": "2026-12-03T01:59:00.000Z",
                                          "to": "2026-12-03T02:11:00.000Z"}
    assert _kql_value(state.app_state["query"]["query"], "host.name") == node


def test_event_link_for_elasticsearch_document() -> None:
    event = make_event("denied", clock="02:00:00", node="web-02",
                       path="es://.ds-filebeat-9.0.0-2026.12.03-000001/Ab'C!1")

    link = event_link(event, KIBANA)

    assert link is not None
    state = decode_discover_url(link)
    assert _kql_value(state.app_state["query"]["query"], "_id") == "Ab'C!1"
    assert state.global_state["time"] == {"from": "2026-12-03T01:59:55.000Z",
                                          "to": "2026-12-03T02:00:05.000Z"}


def test_event_link_for_file_record() -> None:
    event = make_event("go: downloading", clock="02:00:00", node="build-01", txn='run "7"',
                       path="build-01/install.log", line=12)

    link = event_link(event, KIBANA, margin=2.0)

    assert link is not None
    query = decode_discover_url(link).app_state["query"]["query"]
    host_part, txn_part = query.split(" and ")
    assert _kql_value(host_part, "host.name") == "build-01"
    assert _kql_value(txn_part, "transaction.id") == 'run "7"'


def test_event_link_needs_time() -> None:
    event = make_event("no time", clock=None)

    assert event_link(event, KIBANA) is None
