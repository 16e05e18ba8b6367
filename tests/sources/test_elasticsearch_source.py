"""The Elasticsearch source returns failed runs and their context, and only them."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import pytest

from rca.errors import ConfigError, UsageError
from rca.model import Event
from rca.settings import ElasticsearchSettings
from rca.sources.elasticsearch import (
    SORT,
    ElasticsearchSource,
    EsResult,
    EsSettings,
    node_windows,
)
from rca.testing.ecs_documents import auditd_document, installer_document, journald_document
from rca.testing.es_server import FakeElasticsearch, RecordedRequest
from rca.testing.events import at, make_event

INDEX = "filebeat-9.0.0-2026.12.03"
PATTERN = "filebeat-*"


def _incident() -> dict[str, dict[str, Any]]:
    """Documents by id: one good run, four failed ones, context and noise."""
    documents: dict[str, dict[str, Any]] = {}

    def line(doc_id: str, clock: str, node: str, txn: str, level: str = "INFO",
             **extra: Any) -> None:
        documents[doc_id] = installer_document(timestamp=at(clock), node=node, txn=txn,
                                               level=level, message=f"{txn} {doc_id}",
                                               offset=len(documents) * 100, **extra)

    line("ok-1", "02:00:00", "node-a", "run-ok")
    line("ok-2", "02:00:02", "node-a", "run-ok")

    line("bad-1", "02:10:00", "node-a", "run-bad")
    line("bad-2", "02:10:01", "node-a", "run-bad", level="ERROR", exit_code=1)
    line("bad-3", "02:10:02", "node-b", "run-bad")
    documents["avc-in"] = auditd_document(
        timestamp=at("02:09:59.500"), node="node-a", record_type="AVC", serial=42,
        body='avc:  denied  { read } for pid=7 comm="go" name="go.mod" tclass=file')
    documents["journal-in"] = journald_document(
        timestamp=at("02:10:20"), node="node-b", priority=4, message="disk almost full")
    documents["journal-late"] = journald_document(
        timestamp=at("02:11:05"), node="node-a", priority=3, message="later trouble")
    documents["avc-other-node"] = auditd_document(
        timestamp=at("02:10:01"), node="node-c", record_type="AVC", serial=43,
        body="avc:  denied  { write }")
    documents["untagged-line"] = installer_document(
        timestamp=at("02:10:01"), node="node-a", txn="", level="INFO",
        message="outside any run", offset=0)
    del documents["untagged-line"]["transaction"]

    line("exit-1", "03:00:00", "node-c", "run-exit", exit_code=2)
    line("lower-1", "04:00:00", "node-d", "run-lower", level="error")
    documents["prio-1"] = journald_document(timestamp=at("05:00:00"), node="node-e",
                                            priority=2, message="installer crashed")
    documents["prio-1"]["transaction"] = {"id": "run-prio"}
    return documents


FAILED_RUNS = ["run-bad", "run-exit", "run-lower", "run-prio"]
FAILED_IDS = {"bad-1", "bad-2", "bad-3", "avc-in", "journal-in", "exit-1", "lower-1", "prio-1"}


@pytest.fixture
def server() -> Iterator[FakeElasticsearch]:
    documents = _incident()
    with FakeElasticsearch() as fake:
        fake.add_documents(INDEX, documents.values(), ids=documents.keys())
        yield fake


def _source(server: FakeElasticsearch, **options: Any) -> ElasticsearchSource:
    settings = EsSettings.from_url(server.source_url(PATTERN))
    settings.retry_backoff = 0.0
    for name, value in options.items():
        setattr(settings, name, value)
    return ElasticsearchSource(settings)


def _fetch(server: FakeElasticsearch, *, since: float | None = None, until: float | None = None,
           transaction: str | None = None, margin: float = 30.0, **options: Any) -> EsResult:
    return _source(server, **options).fetch(since=since, until=until, transaction=transaction,
                                            margin=margin)


def _ids(events: list[Event]) -> set[str]:
    return {event.origin.path.rsplit("/", 1)[1] for event in events}


def _searches(server: FakeElasticsearch) -> list[RecordedRequest]:
    return [request for request in server.requests if request.endpoint == "search"]


def _own_event_batches(server: FakeElasticsearch) -> list[list[str]]:
    """The run ids of each search for the runs' own events."""
    batches = []
    for request in _searches(server):
        first_filter = request.body["query"]["bool"]["filter"][0]
        if "terms" in first_filter and "search_after" not in request.body:
            batches.append(first_filter["terms"]["transaction.id"])
    return batches


# -- URLs and settings ----------------------------------------------------------


@pytest.mark.parametrize(("url", "base_url", "index"), [
    ("es://node-1:9201/filebeat-*", "http://node-1:9201", "filebeat-*"),
    ("es://node-1/filebeat-*", "http://node-1:9200", "filebeat-*"),
    ("es+https://node-1/logs-*,filebeat-*", "https://node-1:9200", "logs-*,filebeat-*"),
    ("ES://node-1/logs", "http://node-1:9200", "logs"),
    ("es://[::1]:9202/logs", "http://[::1]:9202", "logs"),
    ("es://node-1/logs%2A/", "http://node-1:9200", "logs*"),
    ("https://node-1:443/logs", "https://node-1:443", "logs"),
], ids=["port", "default-port", "https-and-list", "upper-case-scheme", "ipv6",
        "percent-encoded", "plain-https"])
def test_from_url(url: str, base_url: str, index: str) -> None:
    settings = EsSettings.from_url(url)

    assert settings.url == base_url
    assert settings.index == index


@pytest.mark.parametrize("url", [
    "loki://node-1/logs", "es:///logs", "es://node-1", "es://node-1/a/b", "es://node-1:port/x",
], ids=["scheme", "no-host", "no-index", "two-segments", "bad-port"])
def test_from_url_rejects(url: str) -> None:
    with pytest.raises(UsageError) as raised:
        EsSettings.from_url(url)

    assert "es://" in str(raised.value)


def test_from_url_credentials_stay_out_of_display() -> None:
    settings = EsSettings.from_url("es+https://alice:s%40cret@node-1/logs")

    assert settings.username == "alice"
    assert settings.password == "s@cret"
    assert settings.display_url == "es+https://node-1:9200/logs"
    assert "s@cret" not in repr(settings)


def test_from_url_takes_base_settings() -> None:
    base = ElasticsearchSettings(index="from-settings", api_key="a2V5", ca_certs="/etc/ca.pem",
                                 verify_certs=False, request_timeout=5.0, page_size=50)

    settings = EsSettings.from_url("es://node-1:9200", base=base)

    assert settings.index == "from-settings"
    assert settings.api_key == "a2V5"
    assert settings.ca_certs == "/etc/ca.pem"
    assert settings.verify_certs is False
    assert settings.request_timeout == 5.0
    assert settings.page_size == 50


@pytest.mark.parametrize("name", ["page_size", "transactions_per_query"])
def test_source_rejects_zero_sizes(name: str) -> None:
    settings = EsSettings.from_url("es://127.0.0.1:9200/logs")
    setattr(settings, name, 0)

    with pytest.raises(ConfigError) as raised:
        ElasticsearchSource(settings)

    assert name in str(raised.value)


# -- what is fetched -----------------------------------------------------------------


def test_fetch_finds_every_failed_run(server: FakeElasticsearch) -> None:
    result = _fetch(server)

    assert result.failed_transactions == FAILED_RUNS
    assert result.warnings == []


def test_fetch_returns_failed_runs_with_context(server: FakeElasticsearch) -> None:
    result = _fetch(server)

    assert _ids(result.events) == FAILED_IDS


def test_fetch_events_are_mapped(server: FakeElasticsearch) -> None:
    events = {event.origin.path.rsplit("/", 1)[1]: event for event in _fetch(server).events}

    assert events["bad-2"].transaction_id == "run-bad"
    assert events["bad-2"].fields["exit_code"] == 1
    assert events["avc-in"].transaction_id is None
    assert events["avc-in"].is_error
    assert events["bad-1"].origin.path == f"es://{INDEX}/bad-1"


def test_fetch_sequences_follow_response_order(server: FakeElasticsearch) -> None:
    sequences = [event.sequence for event in _fetch(server).events]

    assert sequences == sorted(sequences)
    assert len(set(sequences)) == len(sequences)


def test_margin_limits_context(server: FakeElasticsearch) -> None:
    result = _fetch(server, margin=0.0)

    assert _ids(result.events) == FAILED_IDS - {"avc-in", "journal-in"}


def test_since_until_limit_failed_runs(server: FakeElasticsearch) -> None:
    result = _fetch(server, since=at("02:30:00"), until=at("04:30:00"))

    assert result.failed_transactions == ["run-exit", "run-lower"]
    composite = _searches(server)[0].body
    assert {"range": {"@timestamp": {"format": "epoch_millis", "gte": 1796265000000,
                                     "lte": 1796272200000}}} in composite["query"]["bool"]["filter"]


def test_transaction_fetches_that_run(server: FakeElasticsearch) -> None:
    result = _fetch(server, transaction="run-ok")

    assert _ids(result.events) == {"ok-1", "ok-2"}
    assert result.failed_transactions == []
    assert "aggs" not in _searches(server)[0].body


def test_unknown_transaction_warns(server: FakeElasticsearch) -> None:
    result = _fetch(server, transaction="run-missing")

    assert result.events == []
    assert result.warnings == [
        f"es://127.0.0.1:{server.port}/{PATTERN}: no document has transaction.id run-missing."]


def test_overlapping_windows_return_documents_once(server: FakeElasticsearch) -> None:
    server.add_documents(INDEX, [
        installer_document(timestamp=at("02:10:03"), node="node-a", txn="run-twin",
                           level="FATAL", message="twin failed", offset=1)], ids=["twin-1"])

    result = _fetch(server, transactions_per_query=1)

    paths = [event.origin.path for event in result.events]
    assert len(paths) == len(set(paths))
    assert _ids(result.events) == FAILED_IDS | {"twin-1"}


# -- what is sent ----------------------------------------------------------------------


def test_request_sequence(server: FakeElasticsearch) -> None:
    result = _fetch(server)

    endpoints = [request.endpoint for request in server.requests]
    assert endpoints == ["open_pit", "search", "search", "search", "close_pit"]
    assert result.requests == 5
    assert server.open_pits == 0


def test_point_in_time_opens_on_pattern(server: FakeElasticsearch) -> None:
    _fetch(server)

    opened = server.requests[0]
    assert opened.path == f"/{PATTERN}/_pit"
    assert opened.params == {"keep_alive": "2m"}


def test_searches_use_point_in_time(server: FakeElasticsearch) -> None:
    _fetch(server)

    pit_id = server.requests[-1].body["id"]
    for request in _searches(server):
        assert request.path == "/_search"
        assert request.body["pit"] == {"id": pit_id, "keep_alive": "2m"}


def test_failed_runs_use_composite(server: FakeElasticsearch) -> None:
    _fetch(server, page_size=3)

    first, second = (request.body for request in _searches(server)[:2])
    assert first["size"] == 0
    composite = first["aggs"]["failed"]["composite"]
    assert composite["sources"] == [{"transaction": {"terms": {"field": "transaction.id"}}}]
    assert composite["size"] == 3
    assert "after" not in composite
    assert second["aggs"]["failed"]["composite"]["after"] == {"transaction": "run-lower"}


def test_event_searches_sort_with_tie_breakers(server: FakeElasticsearch) -> None:
    _fetch(server)

    own, context = (request.body for request in _searches(server)[1:])
    assert own["sort"] == context["sort"] == SORT
    assert [next(iter(item)) for item in SORT] == ["@timestamp", "log.offset", "_shard_doc"]
    assert own["query"] == {"bool": {"filter": [{"terms": {"transaction.id": FAILED_RUNS}}]}}


def test_event_searches_leave_out_metadata(server: FakeElasticsearch) -> None:
    result = _fetch(server)

    for request in _searches(server)[1:]:
        assert "agent" in request.body["_source"]["excludes"]
        for hit in request.response["hits"]["hits"]:
            assert "agent" not in hit["_source"]
    assert all("log.file.path" in event.fields for event in result.events
               if event.transaction_id == "run-bad")


def test_context_query_names_node_windows(server: FakeElasticsearch) -> None:
    _fetch(server)

    context = _searches(server)[-1].body["query"]["bool"]
    assert context["must_not"] == [{"exists": {"field": "transaction.id"}}]
    windows = context["filter"][1]["bool"]["should"]
    node_a = windows[0]["bool"]["filter"]
    assert node_a[0] == {"term": {"host.name": "node-a"}}
    assert node_a[1] == {"range": {"@timestamp": {"gte": 1796263770000,
                                                  "lte": 1796263831000,
                                                  "format": "epoch_millis"}}}


def test_pagination_follows_search_after(server: FakeElasticsearch) -> None:
    result = _fetch(server, page_size=2)

    assert _ids(result.events) == FAILED_IDS
    searches = _searches(server)
    continued = [(previous, request) for previous, request in itertools.pairwise(searches)
                 if "search_after" in request.body]
    assert len(continued) == 4
    for previous, request in continued:
        assert request.body["search_after"] == previous.response["hits"]["hits"][-1]["sort"]
        assert request.body["query"] == previous.body["query"]


def test_page_count_depends_on_matches(server: FakeElasticsearch) -> None:
    result = _fetch(server, page_size=2)

    # Composite: 4 runs in pages of 2, plus the empty page that ends it (3).
    # Own events: 6 in pages of 2, plus the empty page (4). Context: 2, plus
    # the empty page (2). Then the point in time's open and close.
    assert result.requests == 1 + 3 + 4 + 2 + 1


def test_batches_split_context_queries(server: FakeElasticsearch) -> None:
    result = _fetch(server, transactions_per_query=3)

    assert _ids(result.events) == FAILED_IDS
    assert _own_event_batches(server) == [["run-bad", "run-exit", "run-lower"], ["run-prio"]]
    assert result.requests == 1 + 1 + 2 * 2 + 1


def test_api_key_is_sent(server: FakeElasticsearch) -> None:
    server.require_api_key("a2V5OnNlY3JldA==")

    result = _fetch(server, api_key="a2V5OnNlY3JldA==")

    assert result.failed_transactions == FAILED_RUNS
    assert server.requests[0].headers["authorization"] == "ApiKey a2V5OnNlY3JldA=="


def test_basic_auth_is_sent(server: FakeElasticsearch) -> None:
    server.require_basic_auth("alice", "s3cret")

    result = _fetch(server, username="alice", password="s3cret")

    assert result.failed_transactions == FAILED_RUNS


# -- windows ---------------------------------------------------------------------------------


def test_node_windows_merge_overlaps() -> None:
    events = [
        make_event("a", clock="02:00:00", node="n1", txn="r1"),
        make_event("b", clock="02:00:10", node="n1", txn="r1"),
        make_event("c", clock="02:00:50", node="n1", txn="r2"),
        make_event("d", clock="02:05:00", node="n1", txn="r3"),
        make_event("e", clock="02:00:05", node="n2", txn="r1"),
        make_event("f", clock=None, node="n3", txn="r1"),
    ]

    windows = node_windows(events, margin=30.0)

    assert windows == [
        ("n1", at("01:59:30"), at("02:01:20")),
        ("n1", at("02:04:30"), at("02:05:30")),
        ("n2", at("01:59:35"), at("02:00:35")),
    ]


def test_node_windows_ignore_context_events() -> None:
    events = [make_event("avc", clock="02:00:00", node="n1", txn=None)]

    assert node_windows(events, margin=30.0) == []
