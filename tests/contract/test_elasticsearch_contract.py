"""The same contract for the loopback fake and for a real cluster.

Every test runs against the fake Elasticsearch, and again against a real
cluster when ``RCA_ES_URL`` names one, such as ``http://127.0.0.1:9200``.
Credentials come from ``RCA_ES_API_KEY``, or from ``RCA_ES_USERNAME`` and
``RCA_ES_PASSWORD``, and a CA file from ``RCA_ES_CA_CERTS``. Each run creates its own index
``rca-contract-<random>`` and deletes it afterwards, so use a disposable
cluster. Agreement on both shows that the fake responds like Elasticsearch
to the requests the source sends.
"""

from __future__ import annotations

import math
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest
from elasticsearch import Elasticsearch

from rca.errors import SourceError
from rca.settings import load_settings
from rca.sources.elasticsearch import ElasticsearchSource, EsResult, EsSettings
from rca.testing.ecs_documents import FleetCorpus, fleet_corpus
from rca.testing.es_server import FakeElasticsearch

EVENTS_PER_RUN = 20
PAGE_SIZE = 7
PER_QUERY = 2

# Filebeat's index template maps the queried fields as keyword; mapping every
# string as keyword gives the same types without the whole template.
MAPPINGS: dict[str, Any] = {
    "dynamic_templates": [
        {"strings": {"match_mapping_type": "string", "mapping": {"type": "keyword"}}},
    ],
    "properties": {
        "@timestamp": {"type": "date"},
        "log": {"properties": {"offset": {"type": "long"}}},
        "message": {"type": "keyword"},
    },
}


@dataclass(slots=True)
class Backend:
    """A cluster to test against: its URL, credentials and a fresh index."""

    name: str
    settings: EsSettings
    client: Elasticsearch
    index: str

    def source_settings(self, index: str | None = None, **options: Any) -> EsSettings:
        settings = EsSettings.from_url(self.settings.url + "/" + (index or self.index))
        for name in ("api_key", "username", "password", "ca_certs", "verify_certs"):
            setattr(settings, name, getattr(self.settings, name))
        settings.retry_backoff = 0.0
        for name, value in options.items():
            setattr(settings, name, value)
        return settings


def _cluster_settings() -> EsSettings:
    base = load_settings().elasticsearch
    split = urlsplit(base.url)
    if split.scheme.startswith("es"):
        scheme = "https" if split.scheme == "es+https" else "http"
        split = split._replace(scheme=scheme)
    root = urlunsplit(split._replace(path="", query="", fragment=""))
    return EsSettings.from_url(f"{root}/unused", base=base)


def _client(settings: EsSettings) -> Elasticsearch:
    options: dict[str, Any] = {"request_timeout": 30.0, "verify_certs": settings.verify_certs}
    if settings.api_key:
        options["api_key"] = settings.api_key
    elif settings.username:
        options["basic_auth"] = (settings.username, settings.password)
    if settings.ca_certs:
        options["ca_certs"] = settings.ca_certs
    return Elasticsearch(settings.url, **options)


@pytest.fixture(params=["fake", "cluster"], scope="module")
def backend(request: pytest.FixtureRequest) -> Iterator[Backend]:
    index = f"rca-contract-{uuid.uuid4().hex[:12]}"
    if request.param == "fake":
        with FakeElasticsearch() as fake:
            settings = EsSettings.from_url(f"{fake.url}/unused")
            client = _client(settings)
            yield Backend("fake", settings, client, index)
            client.close()
        return

    if not os.environ.get("RCA_ES_URL"):
        pytest.skip("RCA_ES_URL not set: point it at a disposable Elasticsearch cluster "
                    "(for example http://127.0.0.1:9200) to run the contract tests against it")
    settings = _cluster_settings()
    client = _client(settings)
    try:
        yield Backend("cluster", settings, client, index)
    finally:
        client.indices.delete(index=index, ignore_unavailable=True)
        client.close()


@pytest.fixture(scope="module")
def corpus(backend: Backend) -> FleetCorpus:
    fleet = fleet_corpus(runs=40, failed=5, events_per_run=EVENTS_PER_RUN)
    backend.client.indices.create(index=backend.index, mappings=MAPPINGS)
    operations: list[dict[str, Any]] = []
    for doc_id, document in zip(fleet.ids, fleet.documents, strict=True):
        operations.append({"index": {"_index": backend.index, "_id": doc_id}})
        operations.append(document)
    response = backend.client.bulk(operations=operations, refresh="wait_for")
    assert response["errors"] is False
    return fleet


def _fetch(backend: Backend, *, transaction: str | None = None, **options: Any) -> EsResult:
    settings = backend.source_settings(page_size=PAGE_SIZE, transactions_per_query=PER_QUERY,
                                       **options)
    return ElasticsearchSource(settings).fetch(since=None, until=None, transaction=transaction,
                                               margin=30.0)


def _ids(result: EsResult) -> set[str]:
    return {event.origin.path.rsplit("/", 1)[1] for event in result.events}


def test_failed_runs_are_found(backend: Backend, corpus: FleetCorpus) -> None:
    result = _fetch(backend)

    assert result.failed_transactions == corpus.failed_runs
    assert result.warnings == []


def test_failed_runs_and_context_return(backend: Backend, corpus: FleetCorpus) -> None:
    result = _fetch(backend)

    assert _ids(result) == corpus.expected_ids


def test_events_come_in_index_order(backend: Backend, corpus: FleetCorpus) -> None:
    result = _fetch(backend)

    own = [event for event in result.events if event.transaction_id is not None]
    keys = [(event.timestamp or 0.0, event.fields.get("log.offset", 0)) for event in own]
    assert keys == sorted(keys)


def test_request_count(backend: Backend, corpus: FleetCorpus) -> None:
    result = _fetch(backend)

    failed = len(corpus.failed_runs)
    expected = 2 + failed // PAGE_SIZE + 1
    for start in range(0, failed, PER_QUERY):
        runs = min(PER_QUERY, failed - start)
        expected += runs * EVENTS_PER_RUN // PAGE_SIZE + 1
        expected += runs * 2 // PAGE_SIZE + 1
    assert result.requests == expected
    assert expected < math.ceil(len(corpus.documents) / PAGE_SIZE)


def test_successful_run_by_id(backend: Backend, corpus: FleetCorpus) -> None:
    result = _fetch(backend, transaction="run-000001")

    assert result.failed_transactions == []
    own = [event for event in result.events if event.transaction_id == "run-000001"]
    assert len(own) == EVENTS_PER_RUN


def test_missing_index_fails(backend: Backend, corpus: FleetCorpus) -> None:
    settings = backend.source_settings(index=f"{backend.index}-missing")

    with pytest.raises(SourceError) as raised:
        ElasticsearchSource(settings).fetch(since=None, until=None, transaction=None, margin=30.0)

    assert "not found" in str(raised.value)
