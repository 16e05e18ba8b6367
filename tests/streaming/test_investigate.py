"""The streaming investigation against the full read: same failed runs, same diagnoses."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from rca.kb import KnowledgeBase
from rca.pipeline import Query, investigate
from rca.settings import Settings
from rca.streaming import StreamingReport, investigate_streaming
from tests.streaming.conftest import incident_folders, report_document


def comparable(document: dict[str, Any]) -> dict[str, Any]:
    """Drop what the streaming path counts differently (docs/streaming.md).

    The data-quality section counts skimmed lines apart, and the streaming path
    marks a successful run incomplete: only the records the scan parsed are read.
    """
    document = dict(document)
    document.pop("data_quality")
    runs = []
    for run in document["transactions"]:
        run = dict(run)
        if run["status"] == "succeeded":
            run.pop("event_count")
            run.pop("complete")
        runs.append(run)
    document["transactions"] = runs
    return document


def both_ways(source: Path, kb: KnowledgeBase, query: Query | None = None,
              workers: int = 1) -> tuple[dict[str, Any], dict[str, Any]]:
    settings = Settings()
    full = report_document(investigate([str(source)], settings, kb, query), kb)
    fast = report_document(investigate_streaming([str(source)], settings, kb, query,
                                                 workers=workers, quiet=True), kb)
    return comparable(full), comparable(fast)


def failed_runs(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {run["id"]: run for run in document["transactions"] if run["status"] == "failed"}


@pytest.mark.parametrize("incident", incident_folders(), ids=lambda path: path.name)
def test_fixture_report_matches_full_read(incident: Path, kb: KnowledgeBase) -> None:
    full, fast = both_ways(incident, kb)

    assert fast["summary"] == full["summary"]
    assert [run["id"] for run in fast["transactions"]] == \
        [run["id"] for run in full["transactions"]]
    assert failed_runs(fast) == failed_runs(full)
    assert fast == full


@pytest.mark.parametrize("incident", incident_folders(), ids=lambda path: path.name)
def test_fixture_lines_read_match_full_read(incident: Path, kb: KnowledgeBase) -> None:
    settings = Settings()
    full = investigate([str(incident)], settings, kb)
    fast = investigate_streaming([str(incident)], settings, kb, workers=1, quiet=True)

    assert [stats.path for stats in fast.files] == [stats.path for stats in full.files]
    assert [stats.lines_read for stats in fast.files] == \
        [stats.lines_read for stats in full.files]
    assert [stats.format for stats in fast.files] == [stats.format for stats in full.files]
    assert [stats.skipped for stats in fast.files] == [stats.skipped for stats in full.files]


def test_fixture_single_transaction_query(kb: KnowledgeBase) -> None:
    incident = incident_folders()[0]
    full, fast = both_ways(incident, kb, Query(transaction="run-0106"))

    assert [run["id"] for run in fast["transactions"]] == ["run-0106"]
    assert fast == full


@pytest.mark.parametrize("incident", incident_folders(), ids=lambda path: path.name)
def test_fixture_report_same_with_two_workers(incident: Path, kb: KnowledgeBase) -> None:
    settings = Settings()
    one = investigate_streaming([str(incident)], settings, kb, workers=1, quiet=True)
    two = investigate_streaming([str(incident)], settings, kb, workers=2, quiet=True)

    assert report_document(two, kb) == report_document(one, kb)


def test_generated_corpus_matches_full_read(generated_corpus: Path, kb: KnowledgeBase) -> None:
    full, fast = both_ways(generated_corpus, kb)

    assert len(failed_runs(full)) >= 10
    assert failed_runs(fast) == failed_runs(full)
    assert fast == full


def test_generated_corpus_finds_manifest_causes(generated: tuple[Path, dict[str, Any]],
                                                kb: KnowledgeBase) -> None:
    generated_corpus, manifest = generated
    expected = {run["txn"]: run["cause"] for run in manifest["failed"]}
    fast = investigate_streaming([str(generated_corpus)], Settings(), kb, workers=2,
                                 quiet=True)
    found = {txn.id: txn.diagnosis.cause for txn in fast.failed if txn.diagnosis}

    assert found == expected


def test_generated_corpus_same_with_two_workers(generated_corpus: Path,
                                                kb: KnowledgeBase) -> None:
    settings = Settings()
    one = investigate_streaming([str(generated_corpus)], settings, kb, workers=1, quiet=True)
    two = investigate_streaming([str(generated_corpus)], settings, kb, workers=2, quiet=True)

    assert report_document(two, kb) == report_document(one, kb)


def test_phase_two_parses_only_failed_windows(generated_corpus: Path,
                                              kb: KnowledgeBase) -> None:
    counters = StreamingReport()
    fast = investigate_streaming([str(generated_corpus)], Settings(), kb, workers=1,
                                 quiet=True, report=counters)
    lines = sum(stats.lines_read for stats in fast.files)
    skimmed = sum(counters.skimmed.values())

    assert counters.failed_runs == len(fast.failed)
    assert 0 < counters.window_lines < lines / 2
    assert skimmed > lines / 2


def test_skimmed_lines_complete_accounting(generated_corpus: Path, kb: KnowledgeBase) -> None:
    counters = StreamingReport()
    fast = investigate_streaming([str(generated_corpus)], Settings(), kb, workers=1,
                                 quiet=True, report=counters)

    for stats in fast.files:
        if stats.skipped is not None:
            continue
        counted = (stats.parsed + stats.unparsed + stats.continuation + stats.duplicates
                   + counters.skimmed[stats.path])
        assert counted == stats.lines_read, stats.path


def test_missing_source_raises(kb: KnowledgeBase, tmp_path: Path) -> None:
    from rca.errors import SourceError

    with pytest.raises(SourceError):
        investigate_streaming([str(tmp_path / "absent")], Settings(), kb, quiet=True)


def test_successful_runs_marked_incomplete(kb: KnowledgeBase) -> None:
    incident = Path(__file__).resolve().parents[2] / "fixtures" / "incidents" / \
        "2026-12-03-delve-rollout"

    result = investigate_streaming([str(incident)], Settings(), kb, workers=1, quiet=True)

    assert all(not txn.complete for txn in result.transactions if not txn.failed)
    assert all(txn.complete for txn in result.transactions if txn.failed)
