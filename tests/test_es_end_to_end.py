"""The fixture incident gives the same failed runs read from files or from Elasticsearch.

The incident is turned into the documents that ``shipping/filebeat`` would index
(`rca.testing.ingest`), bulk-loaded into the loopback Elasticsearch with the
official client, and investigated through ``rca investigate es://...``. The
report must name the same failed runs, nodes, first errors and causes as the
report read from the files. Document ids are ``NODE:FILE:LINE``, so the first
error's ``es://INDEX/ID`` origin also maps back to the file line.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import Any

import pytest
from elasticsearch import Elasticsearch, helpers

from rca import cli
from rca.testing.es_server import FakeElasticsearch
from rca.testing.ingest import AuditRoute, bulk_actions, incident_documents, load_shipping_setup

REPO = Path(__file__).resolve().parents[1]
INCIDENT = REPO / "fixtures" / "incidents" / "2026-12-03-delve-rollout"
SHIPPING = REPO / "shipping" / "filebeat"
# The data stream filebeat.yml writes to.
INDEX = "rca-logs-fleet"

Report = dict[str, Any]


@pytest.fixture(autouse=True, scope="module")
def _isolated_settings() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        for name in list(os.environ):
            if name.startswith("RCA_"):
                patch.delenv(name)
        yield


def _investigate(source: str, output: Path) -> Report:
    code = cli.main(["investigate", source, "--format", "json", "--lang", "en",
                     "--output", str(output), "--quiet"])
    assert code == cli.EXIT_OK
    report: Report = json.loads(output.read_text(encoding="utf-8"))
    return report


@pytest.fixture(scope="module")
def files_report(tmp_path_factory: pytest.TempPathFactory) -> Report:
    return _investigate(str(INCIDENT), tmp_path_factory.mktemp("files") / "report.json")


@pytest.fixture(scope="module", params=list(AuditRoute), ids=lambda route: f"audit-{route}")
def es_report(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
              ) -> Report:
    setup = load_shipping_setup(SHIPPING)
    documents = incident_documents(INCIDENT, setup, audit_route=request.param)
    with FakeElasticsearch() as server:
        client = Elasticsearch(server.url)
        try:
            indexed, errors = helpers.bulk(client, bulk_actions(documents, INDEX),
                                           raise_on_error=False)
        finally:
            client.close()
        assert errors == []
        assert indexed == len(documents)
        assert server.document_count(INDEX) == len(documents)
        return _investigate(server.source_url(INDEX),
                            tmp_path_factory.mktemp("es") / "report.json")


def _failed(report: Report) -> dict[str, Report]:
    return {txn["id"]: txn for txn in report["transactions"] if txn["status"] == "failed"}


def _file_origin(origin: dict[str, Any]) -> tuple[PurePosixPath, int]:
    """NODE/FILE and line of a files-source origin (``INCIDENT/NODE/FILE``, line)."""
    path = PurePosixPath(origin["path"])
    return PurePosixPath(*path.parts[-2:]), int(origin["line"])


def _es_origin(origin: dict[str, Any]) -> tuple[PurePosixPath, int]:
    """NODE/FILE and line of an ``es://INDEX/NODE:FILE:LINE[#INPUT-ID]`` origin."""
    locator = origin["path"]
    prefix = f"es://{INDEX}/"
    assert locator.startswith(prefix), locator
    assert origin["line"] is None
    document_id = locator.removeprefix(prefix).partition("#")[0]
    node, file, line = document_id.split(":")
    return PurePosixPath(node, file), int(line)


def test_files_report_has_failed_runs(files_report: Report) -> None:
    assert len(_failed(files_report)) == 6


def test_es_finds_same_failed_runs(files_report: Report, es_report: Report) -> None:
    assert sorted(_failed(es_report)) == sorted(_failed(files_report))


def test_es_runs_have_same_nodes(files_report: Report, es_report: Report) -> None:
    expected = {txn_id: txn["nodes"] for txn_id, txn in _failed(files_report).items()}

    assert {txn_id: txn["nodes"] for txn_id, txn in _failed(es_report).items()} == expected


def test_es_runs_have_same_causes(files_report: Report, es_report: Report) -> None:
    expected = {txn_id: txn["cause"] for txn_id, txn in _failed(files_report).items()}

    assert {txn_id: txn["cause"] for txn_id, txn in _failed(es_report).items()} == expected


def test_es_first_errors_match_files(files_report: Report, es_report: Report) -> None:
    es_runs = _failed(es_report)
    for txn_id, txn in _failed(files_report).items():
        expected = txn["first_error"]
        found = es_runs[txn_id]["first_error"]

        assert found is not None, txn_id
        for key in ("message", "node", "kind", "level", "timestamp", "transaction_id"):
            assert found[key] == expected[key], (txn_id, key)


def test_es_first_error_origin_maps_to_file_line(files_report: Report,
                                                  es_report: Report) -> None:
    es_runs = _failed(es_report)
    for txn_id, txn in _failed(files_report).items():
        expected = _file_origin(txn["first_error"]["origin"])

        assert _es_origin(es_runs[txn_id]["first_error"]["origin"]) == expected, txn_id


def test_es_runs_have_same_decisions(files_report: Report, es_report: Report) -> None:
    es_runs = _failed(es_report)
    for txn_id, txn in _failed(files_report).items():
        found = es_runs[txn_id]

        assert found["decided_by"] == txn["decided_by"], txn_id
        assert found["confidence"] == txn["confidence"], txn_id
        assert [fix["text"] for fix in found["fixes"]] == [fix["text"] for fix in txn["fixes"]]


# Filebeat ships fewer context records than the files source reads: no syslog or
# kern.log, and only the journal entries its include_matches select. So the
# Elasticsearch report may list fewer symptoms and less evidence, never others.

def test_es_symptoms_are_among_files_symptoms(files_report: Report, es_report: Report) -> None:
    es_runs = _failed(es_report)
    for txn_id, txn in _failed(files_report).items():
        expected = {_file_origin(event["origin"]) for event in txn["symptoms"]}
        found = {_es_origin(event["origin"]) for event in es_runs[txn_id]["symptoms"]}

        assert found <= expected, txn_id
        assert found, txn_id


def test_es_evidence_is_among_files_evidence(files_report: Report, es_report: Report) -> None:
    es_runs = _failed(es_report)
    for txn_id, txn in _failed(files_report).items():
        expected = {_file_origin(event["origin"]) for event in txn["evidence"]}
        found = {_es_origin(event["origin"]) for event in es_runs[txn_id]["evidence"]}

        assert found <= expected, txn_id
