"""Requests depend on the failed runs and the page size, never on the index size."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from rca.sources.elasticsearch import ElasticsearchSource, EsResult, EsSettings
from rca.testing.ecs_documents import FleetCorpus, fleet_corpus
from rca.testing.es_server import FakeElasticsearch, RecordedRequest

FAILED = 50
EVENTS_PER_RUN = 100


def _pages(matches: int, page_size: int) -> int:
    """Search pages for `matches` hits: full pages, then one short (maybe empty) page."""
    return matches // page_size + 1


def _expected_requests(corpus: FleetCorpus, page_size: int, per_query: int) -> int:
    """Open and close the point in time, page the failed runs, then per batch of
    runs page their own events (100 a run) and their context (2 a run)."""
    failed = len(corpus.failed_runs)
    requests = 2 + _pages(failed, page_size)
    for batch_start in range(0, failed, per_query):
        runs = min(per_query, failed - batch_start)
        requests += _pages(runs * EVENTS_PER_RUN, page_size) + _pages(runs * 2, page_size)
    return requests


def _fetch(server: FakeElasticsearch, page_size: int, per_query: int = 50) -> EsResult:
    settings = EsSettings.from_url(server.source_url("filebeat-*"))
    settings.page_size = page_size
    settings.transactions_per_query = per_query
    return ElasticsearchSource(settings).fetch(since=None, until=None, transaction=None,
                                               margin=30.0)


@dataclass(frozen=True, slots=True)
class Fetched:
    """One fetch over a corpus and the requests the server received for it."""

    corpus: FleetCorpus
    documents: int
    result: EsResult
    requests: list[RecordedRequest]


def _load_and_fetch(runs: int) -> Fetched:
    corpus = fleet_corpus(runs=runs, failed=FAILED, events_per_run=EVENTS_PER_RUN)
    with FakeElasticsearch() as server:
        server.add_documents("filebeat-9.0.0-2026.12.03", corpus.documents, ids=corpus.ids)
        result = _fetch(server, page_size=1_000)
        return Fetched(corpus, server.document_count(), result, server.requests)


@pytest.fixture(scope="module")
def large_server() -> Iterator[tuple[FakeElasticsearch, FleetCorpus]]:
    corpus = fleet_corpus(runs=1_000, failed=FAILED, events_per_run=EVENTS_PER_RUN)
    with FakeElasticsearch() as server:
        server.add_documents("filebeat-9.0.0-2026.12.03", corpus.documents, ids=corpus.ids)
        yield server, corpus


@pytest.fixture(scope="module")
def large(large_server: tuple[FakeElasticsearch, FleetCorpus]) -> Fetched:
    server, corpus = large_server
    server.clear_requests()
    result = _fetch(server, page_size=1_000)
    return Fetched(corpus, server.document_count(), result, server.requests)


@pytest.fixture(scope="module")
def small() -> Fetched:
    return _load_and_fetch(runs=100)


def test_corpus_has_100000_documents(large: Fetched) -> None:
    assert large.documents >= 100_000
    assert len(large.corpus.failed_runs) == FAILED


def test_only_relevant_documents_return(large: Fetched) -> None:
    returned = {event.origin.path.rsplit("/", 1)[1] for event in large.result.events}

    assert returned == large.corpus.expected_ids
    assert len(large.result.events) == large.corpus.expected_own + large.corpus.expected_context
    assert large.result.failed_transactions == large.corpus.failed_runs


def test_requests_follow_formula(large: Fetched) -> None:
    assert large.result.requests == len(large.requests)
    assert large.result.requests == _expected_requests(large.corpus, 1_000, 50)


@pytest.mark.parametrize(("page_size", "per_query"), [(500, 50), (1_000, 20)],
                         ids=["page-500", "batches-of-20"])
def test_requests_follow_settings(large_server: tuple[FakeElasticsearch, FleetCorpus],
                                  page_size: int, per_query: int) -> None:
    server, corpus = large_server
    server.clear_requests()

    result = _fetch(server, page_size=page_size, per_query=per_query)

    assert result.requests == len(server.requests)
    assert result.requests == _expected_requests(corpus, page_size, per_query)


def test_requests_ignore_index_size(large: Fetched, small: Fetched) -> None:
    assert large.documents > 9 * small.documents
    assert large.result.requests == small.result.requests
    assert len(large.result.events) == len(small.result.events)


def test_response_bytes_follow_matches(large: Fetched, small: Fetched) -> None:
    large_bytes = sum(request.response_bytes for request in large.requests)
    small_bytes = sum(request.response_bytes for request in small.requests)

    # Ids, offsets and run numbers are longer in the larger corpus; the
    # documents returned are the same number with the same fields.
    assert large_bytes < 1.05 * small_bytes
