"""The loopback Elasticsearch responds to the official client as a cluster would."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from elasticsearch import ApiError, AuthenticationException, Elasticsearch, NotFoundError

from rca.testing.es_server import FakeElasticsearch

DOCUMENTS: list[dict[str, Any]] = [
    {"@timestamp": "2026-12-03T02:00:01.000Z", "host": {"name": "node-1"},
     "transaction": {"id": "run-1"}, "log": {"level": "INFO", "offset": 10}},
    {"@timestamp": "2026-12-03T02:00:02.000Z", "host.name": "node-1",
     "transaction.id": "run-1", "log": {"level": "ERROR", "offset": 20},
     "process": {"exit_code": 1}},
    {"@timestamp": "2026-12-03T02:00:03.000Z", "host": {"name": "node-2"},
     "transaction": {"id": "run-2"}, "log": {"level": "INFO", "offset": 30},
     "process": {"exit_code": 0}},
    {"@timestamp": "2026-12-03T02:00:04.000Z", "host": {"name": "node-2"},
     "event": {"module": "auditd"}, "tags": ["a", "b"]},
]
IDS = ["d1", "d2", "d3", "d4"]


@pytest.fixture
def server() -> Iterator[FakeElasticsearch]:
    with FakeElasticsearch() as fake:
        fake.add_documents("logs-1", DOCUMENTS, ids=IDS)
        yield fake


@pytest.fixture
def client(server: FakeElasticsearch) -> Iterator[Elasticsearch]:
    es = Elasticsearch(server.url, max_retries=0)
    yield es
    es.close()


def _ids(response: Any) -> list[str]:
    return [hit["_id"] for hit in response["hits"]["hits"]]


def test_info_passes_product_check(server: FakeElasticsearch, client: Elasticsearch) -> None:
    info = client.info()

    assert info["version"]["number"].startswith("9.")
    assert info.meta.headers["x-elastic-product"] == "Elasticsearch"
    assert "compatible-with=9" in info.meta.headers["content-type"]


def test_request_log_keeps_body(server: FakeElasticsearch, client: Elasticsearch) -> None:
    client.search(index="logs-1", query={"match_all": {}}, size=1)

    (request,) = server.requests
    assert request.method == "POST"
    assert request.path == "/logs-1/_search"
    assert request.endpoint == "search"
    assert request.body == {"query": {"match_all": {}}, "size": 1}
    assert request.status == 200
    assert request.response_bytes > 0


@pytest.mark.parametrize(("query", "expected"), [
    ({"match_all": {}}, ["d1", "d2", "d3", "d4"]),
    ({"match_none": {}}, []),
    ({"term": {"host.name": "node-1"}}, ["d1", "d2"]),
    ({"term": {"log.level": "error"}}, []),
    ({"term": {"log.level": {"value": "error", "case_insensitive": True}}}, ["d2"]),
    ({"terms": {"transaction.id": ["run-2", "run-9"]}}, ["d3"]),
    ({"term": {"process.exit_code": 0}}, ["d3"]),
    ({"term": {"tags": "b"}}, ["d4"]),
    ({"exists": {"field": "process.exit_code"}}, ["d2", "d3"]),
    ({"exists": {"field": "process"}}, ["d2", "d3"]),
    ({"range": {"log.offset": {"gt": 10, "lte": 30}}}, ["d2", "d3"]),
    ({"range": {"@timestamp": {"gte": "2026-12-03T02:00:02Z", "lt": "2026-12-03T02:00:04Z"}}},
     ["d2", "d3"]),
    ({"range": {"@timestamp": {"gte": 1796263202000, "format": "epoch_millis"}}},
     ["d2", "d3", "d4"]),
    ({"bool": {"filter": [{"exists": {"field": "transaction.id"}}],
               "must_not": [{"term": {"process.exit_code": 0}}]}}, ["d1", "d2"]),
    ({"bool": {"should": [{"term": {"host.name": "node-2"}}, {"term": {"log.offset": 10}}]}},
     ["d1", "d3", "d4"]),
    ({"bool": {"filter": [{"term": {"host.name": "node-1"}}],
               "should": [{"term": {"log.offset": 10}}], "minimum_should_match": 1}}, ["d1"]),
], ids=["match-all", "match-none", "term", "term-exact-case", "term-case-insensitive", "terms",
        "term-number", "term-array", "exists-leaf", "exists-object", "range-number",
        "range-date-iso", "range-date-millis", "bool-must-not", "bool-should-only",
        "bool-filter-and-should"])
def test_query_semantics(client: Elasticsearch, query: dict[str, Any], expected: list[str]
                         ) -> None:
    response = client.search(index="logs-1", query=query, sort=[{"@timestamp": "asc"}])

    assert _ids(response) == expected


def test_unknown_query_is_rejected(client: Elasticsearch) -> None:
    with pytest.raises(ApiError) as raised:
        client.search(index="logs-1", query={"fuzzy": {"host.name": "node"}})

    assert raised.value.meta.status == 400
    assert raised.value.body["error"]["type"] == "parsing_exception"


def test_sort_puts_missing_values_last(client: Elasticsearch) -> None:
    response = client.search(index="logs-1", sort=[
        {"process.exit_code": {"order": "desc", "unmapped_type": "long"}}, {"_doc": "asc"}])

    assert _ids(response) == ["d2", "d3", "d1", "d4"]
    assert response["hits"]["hits"][-1]["sort"][0] == -(2**63)


def test_sort_on_unmapped_field_fails(client: Elasticsearch) -> None:
    with pytest.raises(ApiError) as raised:
        client.search(index="logs-1", sort=[{"event.sequence": "asc"}])

    assert raised.value.meta.status == 400


def test_sort_on_unmapped_type_succeeds(client: Elasticsearch) -> None:
    response = client.search(index="logs-1", sort=[
        {"event.sequence": {"order": "asc", "unmapped_type": "long"}}, {"_doc": "asc"}])

    assert _ids(response) == IDS


def test_search_after_pages_through_everything(client: Elasticsearch) -> None:
    sort = [{"@timestamp": "asc"}, {"_doc": "asc"}]
    seen: list[str] = []
    after: list[Any] | None = None
    while True:
        response = client.search(index="logs-1", size=3, sort=sort,
                                 **({"search_after": after} if after else {}))
        hits = response["hits"]["hits"]
        seen.extend(hit["_id"] for hit in hits)
        if len(hits) < 3:
            break
        after = hits[-1]["sort"]

    assert seen == IDS


def test_result_window_is_limited(client: Elasticsearch) -> None:
    with pytest.raises(ApiError) as raised:
        client.search(index="logs-1", from_=9_999, size=2)

    assert "Result window is too large" in str(raised.value.body)


def test_point_in_time_is_a_snapshot(server: FakeElasticsearch, client: Elasticsearch) -> None:
    pit = client.open_point_in_time(index="logs-*", keep_alive="1m")
    server.add_documents("logs-1", [{"@timestamp": "2026-12-03T02:00:05.000Z"}], ids=["d5"])

    response = client.search(pit={"id": pit["id"], "keep_alive": "1m"},
                             sort=[{"_shard_doc": "asc"}])

    assert _ids(response) == IDS
    assert response["pit_id"] == pit["id"]


def test_point_in_time_close_frees_it(server: FakeElasticsearch, client: Elasticsearch) -> None:
    pit = client.open_point_in_time(index="logs-1", keep_alive="1m")

    closed = client.close_point_in_time(id=pit["id"])

    assert closed["num_freed"] == 1
    assert server.open_pits == 0
    with pytest.raises(NotFoundError):
        client.search(pit={"id": pit["id"]})


def test_point_in_time_rejects_index(client: Elasticsearch) -> None:
    pit = client.open_point_in_time(index="logs-1", keep_alive="1m")

    with pytest.raises(ApiError) as raised:
        client.search(index="logs-1", pit={"id": pit["id"]})

    assert raised.value.meta.status == 400


def test_shard_doc_needs_point_in_time(client: Elasticsearch) -> None:
    with pytest.raises(ApiError) as raised:
        client.search(index="logs-1", sort=[{"_shard_doc": "asc"}])

    assert "point in time" in str(raised.value.body)


def test_collapse_keeps_first_per_value(client: Elasticsearch) -> None:
    response = client.search(
        index="logs-1", query={"exists": {"field": "transaction.id"}},
        sort=[{"@timestamp": "desc"}],
        collapse={"field": "transaction.id",
                  "inner_hits": {"name": "first", "size": 1, "sort": [{"@timestamp": "asc"}]}})

    hits = response["hits"]["hits"]
    assert [hit["_id"] for hit in hits] == ["d3", "d2"]
    assert hits[1]["fields"] == {"transaction.id": ["run-1"]}
    assert hits[1]["inner_hits"]["first"]["hits"]["hits"][0]["_id"] == "d1"
    assert hits[1]["inner_hits"]["first"]["hits"]["total"]["value"] == 2


def test_collapse_rejects_search_after_on_other_sort(client: Elasticsearch) -> None:
    with pytest.raises(ApiError) as raised:
        client.search(index="logs-1", collapse={"field": "transaction.id"},
                      sort=[{"@timestamp": "asc"}], search_after=[0])

    assert "collapse" in str(raised.value.body)


def test_composite_pages_with_after_key(client: Elasticsearch) -> None:
    aggs = {"runs": {"composite": {"size": 1, "sources": [
        {"txn": {"terms": {"field": "transaction.id"}}}]},
        "aggs": {"first": {"top_hits": {"size": 1, "sort": [{"@timestamp": "asc"}]}}}}}

    first = client.search(index="logs-1", size=0, aggs=aggs)["aggregations"]["runs"]
    aggs["runs"]["composite"]["after"] = first["after_key"]
    second = client.search(index="logs-1", size=0, aggs=aggs)["aggregations"]["runs"]
    aggs["runs"]["composite"]["after"] = second["after_key"]
    third = client.search(index="logs-1", size=0, aggs=aggs)["aggregations"]["runs"]

    assert [bucket["key"] for bucket in first["buckets"]] == [{"txn": "run-1"}]
    assert first["buckets"][0]["doc_count"] == 2
    assert first["buckets"][0]["first"]["hits"]["hits"][0]["_id"] == "d1"
    assert [bucket["key"] for bucket in second["buckets"]] == [{"txn": "run-2"}]
    assert third["buckets"] == []
    assert "after_key" not in third


def test_cardinality_and_extremes(client: Elasticsearch) -> None:
    response = client.search(index="logs-1", size=0, aggs={
        "runs": {"cardinality": {"field": "transaction.id"}},
        "last": {"max": {"field": "@timestamp"}},
        "levels": {"terms": {"field": "log.level"}},
    })

    aggregations = response["aggregations"]
    assert aggregations["runs"]["value"] == 2
    assert aggregations["last"]["value_as_string"] == "2026-12-03T02:00:04.000Z"
    assert aggregations["levels"]["buckets"][0] == {"key": "INFO", "doc_count": 2}


def test_bulk_then_count(server: FakeElasticsearch, client: Elasticsearch) -> None:
    response = client.bulk(operations=[
        {"index": {"_index": "logs-2", "_id": "x1"}}, {"@timestamp": "2026-12-03T03:00:00Z"},
        {"create": {"_index": "logs-2", "_id": "x1"}}, {"@timestamp": "2026-12-03T03:00:01Z"},
    ], refresh=True)

    assert response["errors"] is True
    assert response["items"][0]["index"]["status"] == 201
    assert response["items"][1]["create"]["status"] == 409
    assert client.count(index="logs-2")["count"] == 1


def test_bulk_rejects_bad_date(client: Elasticsearch) -> None:
    response = client.bulk(operations=[
        {"index": {"_index": "logs-2"}}, {"@timestamp": "yesterday"}])

    assert response["items"][0]["index"]["status"] == 400


def test_missing_index_is_not_found(client: Elasticsearch) -> None:
    with pytest.raises(NotFoundError) as raised:
        client.search(index="nothing-here")

    assert raised.value.body["error"]["type"] == "index_not_found_exception"
    assert raised.value.body["error"]["index"] == "nothing-here"


def test_unmatched_wildcard_is_empty(client: Elasticsearch) -> None:
    response = client.search(index="nothing-*")

    assert response["hits"]["hits"] == []
    assert response["_shards"]["total"] == 0


def test_api_key_is_required(server: FakeElasticsearch) -> None:
    server.require_api_key("c2VjcmV0")
    anonymous = Elasticsearch(server.url, max_retries=0)
    keyed = Elasticsearch(server.url, api_key="c2VjcmV0", max_retries=0)

    with pytest.raises(AuthenticationException):
        anonymous.search(index="logs-1")
    assert keyed.count(index="logs-1")["count"] == 4


def test_basic_auth_is_required(server: FakeElasticsearch) -> None:
    server.require_basic_auth("alice", "s3cret")
    wrong = Elasticsearch(server.url, basic_auth=("alice", "nope"), max_retries=0)
    right = Elasticsearch(server.url, basic_auth=("alice", "s3cret"), max_retries=0)

    with pytest.raises(AuthenticationException):
        wrong.search(index="logs-1")
    assert right.count(index="logs-1")["count"] == 4


def test_injected_errors_are_used_up(server: FakeElasticsearch, client: Elasticsearch) -> None:
    server.inject_error(429, times=2, path_contains="_search")

    for _attempt in range(2):
        with pytest.raises(ApiError) as raised:
            client.search(index="logs-1")
        assert raised.value.meta.status == 429
    client.search(index="logs-1")

    assert [request.status for request in server.requests] == [429, 429, 200]


def test_failing_shard_drops_its_documents(client: Elasticsearch) -> None:
    with FakeElasticsearch(shards=2) as fake:
        fake.add_documents("logs-1", DOCUMENTS, ids=IDS)
        fake.failing_shards = {0}
        es = Elasticsearch(fake.url, max_retries=0)

        response = es.search(index="logs-1")

    shards = response["_shards"]
    assert shards == {"total": 2, "successful": 1, "skipped": 0, "failed": 1,
                      "failures": shards["failures"]}
    assert 0 < len(response["hits"]["hits"]) < len(IDS)


def test_timed_out_flag(server: FakeElasticsearch, client: Elasticsearch) -> None:
    server.time_out_searches = True

    assert client.search(index="logs-1")["timed_out"] is True


def test_unsupported_compatibility_is_rejected(server: FakeElasticsearch) -> None:
    import urllib.error
    import urllib.request

    request = urllib.request.Request(
        f"{server.url}/", headers={"Accept": "application/vnd.elasticsearch+json; "
                                             "compatible-with=7"})
    with pytest.raises(urllib.error.HTTPError) as raised:
        urllib.request.urlopen(request, timeout=5)

    assert raised.value.code == 400


def test_malformed_aggregation_is_rejected(client: Elasticsearch) -> None:
    with pytest.raises(ApiError) as raised:
        client.search(index="logs-1", size=0, aggs={
            "runs": {"composite": {"sources": [{"txn": {"terms": {}}}]}}})

    assert raised.value.meta.status == 400
    assert raised.value.body["error"]["type"] == "parsing_exception"
