"""The benchmark harness: child measurement, report comparison, correctness and target rows."""

from __future__ import annotations

import gzip
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import drain_child
import pytest
import run
from corpus_plan import CorpusOptions
from measure import Sample, Summary, read_through, run_command, run_pipeline

MANIFEST: dict[str, Any] = {
    "arguments": {"size": "1GB", "size_bytes": 1_000_000_000, "nodes": 2},
    "lines": 1_000_000,
    "runs": 10,
    "files": [{"path": "node-01/installer.log", "lines": 600_000},
              {"path": "node-01/audit.log.1.gz", "lines": 400_000}],
    "failed": [
        {"txn": "run-000001", "cause": "network.timeout",
         "first_error": {"node": "node-01", "source": "installer"}},
        {"txn": "run-000002", "cause": "perm.selinux_avc",
         "first_error": {"node": "node-02", "source": "audit"}},
        {"txn": "run-000003", "cause": "disk.full",
         "first_error": {"node": "node-01", "source": "installer"}},
    ],
}


# Measuring child processes ------------------------------------------------------------------

def test_run_command_reports_exit_code_and_stderr() -> None:
    sample = run_command([sys.executable, "-c",
                          "import sys; print('broken', file=sys.stderr); sys.exit(3)"])

    assert sample.exit_code == 3
    assert "broken" in sample.stderr_tail
    assert sample.peak_rss_mb > 0
    assert sample.cpu >= 0


def test_peak_memory_excludes_parent_memory() -> None:
    ballast = bytearray(300_000_000)
    ballast[::4096] = b"\x01" * len(range(0, len(ballast), 4096))

    idle = run_command([sys.executable, "-c", "pass"])
    busy = run_command([sys.executable, "-c",
                        "block = bytearray(200_000_000); block[::4096] = b'1' * 48829"])
    del ballast

    assert idle.peak_rss_mb < 100
    assert 200 <= busy.peak_rss_mb < 300


def test_run_command_kills_after_timeout() -> None:
    sample = run_command([sys.executable, "-c", "import time; time.sleep(30)"], timeout=0.5)

    assert sample.timed_out
    assert sample.exit_code != 0


def test_run_command_applies_memory_limit() -> None:
    sample = run_command([sys.executable, "-c", "block = bytearray(600_000_000)"],
                         memory_limit=300_000_000)

    assert sample.exit_code != 0
    assert "MemoryError" in sample.stderr_tail


def test_run_pipeline_connects_the_commands(tmp_path: Path) -> None:
    with (tmp_path / "out").open("w+b") as out:
        sample = run_pipeline([sys.executable, "-c", "print('ERROR a'); print('ok')"],
                              ["grep", "-c", "ERROR"], stdout=out)
        out.seek(0)
        counted = out.read()

    assert sample.exit_code == 0
    assert counted == b"1\n"


def test_read_through_reads_every_byte(tmp_path: Path) -> None:
    (tmp_path / "a").write_bytes(b"x" * 3_000_000)
    (tmp_path / "b").write_bytes(b"y" * 10)

    assert read_through([tmp_path / "a", tmp_path / "b"], block=1 << 16) == 3_000_010


def test_summary_takes_best_median_and_peak() -> None:
    samples = [Sample(wall=3.0, cpu=2.0, peak_rss_mb=10, exit_code=0),
               Sample(wall=1.0, cpu=1.0, peak_rss_mb=30, exit_code=0),
               Sample(wall=2.0, cpu=5.0, peak_rss_mb=20, exit_code=0)]

    summary = Summary.of(samples)

    assert (summary.best_wall, summary.median_wall, summary.median_cpu) == (1.0, 2.0, 2.0)
    assert summary.peak_rss_mb == 30
    assert summary.count == 3


def test_summary_of_nothing_raises() -> None:
    with pytest.raises(ValueError, match="no samples"):
        Summary.of([])


# Drain3 input ---------------------------------------------------------------------------------

def test_drain_reader_stops_at_limit_across_files(tmp_path: Path) -> None:
    (tmp_path / "a.log.1.gz").write_bytes(gzip.compress(b"one\ntwo\n"))
    (tmp_path / "a.log").write_bytes(b"three\nfour\n")

    batches = list(drain_child.read_lines([tmp_path / "a.log.1.gz", tmp_path / "a.log"], 3))

    assert [line for batch in batches for line in batch] == ["one", "two", "three"]


# Comparing reports ----------------------------------------------------------------------------

def test_generated_at_is_ignored_at_any_depth() -> None:
    report = {"generated_at": 1.0, "transactions": [{"id": "a", "generated_at": 2.0}]}

    assert run.without_generated_at(report) == {"transactions": [{"id": "a"}]}


@pytest.mark.parametrize(("left", "right", "expected"), [
    ({"a": [1, 2]}, {"a": [1, 2]}, None),
    ({"a": [1, 2]}, {"a": [1, 3]}, "$.a[1]"),
    ({"a": [1, 2]}, {"a": [1]}, "$.a (length 2 vs 1)"),
    ({"a": 1}, {"b": 1}, "$.a"),
    ({"a": 1}, {"a": "1"}, "$.a"),
], ids=["equal", "item", "length", "key", "type"])
def test_first_difference_names_the_path(left: Any, right: Any, expected: str | None) -> None:
    assert run.first_difference(left, right) == expected


# Correctness against the manifest -------------------------------------------------------------

def test_correctness_counts_named_missed_and_extra() -> None:
    report = {"transactions": [
        {"id": "run-000001", "failed": True, "cause": "network.timeout",
         "first_error": {"node": "node-01", "kind": "installer"}},
        {"id": "run-000002", "failed": True, "diagnosis": {"cause": "perm.denied"},
         "first_error": {"node": "node-02", "kind": "audit"}},
        {"id": "run-000009", "failed": True, "cause": "network.dns"},
        {"id": "run-000010", "failed": False},
    ]}

    result = run.check_correctness(MANIFEST, report)

    assert result["named_with_expected_cause"] == 1
    assert result["missed"] == 1
    assert result["extra_failed"] == 1
    assert result["first_error_on_expected_node_and_log"] == 2
    assert result["wrong_causes"] == {"perm.selinux_avc -> perm.denied": 1}


def test_status_field_decides_failure() -> None:
    runs = run.reported_runs({"transactions": [
        {"id": "run-000001", "status": "succeeded", "cause": None, "first_error": None},
        {"id": "run-000002", "status": "failed", "cause": "disk.full"}]})

    assert not runs["run-000001"].failed
    assert runs["run-000002"].failed


def test_lines_read_counts_only_corpus_files() -> None:
    report = {"data_quality": {"files": [
        {"path": "corpus/node-01/installer.log", "lines_read": 600_000, "unparsed": 2},
        {"path": "corpus/node-01/audit.log.1.gz", "lines_read": 399_000, "unparsed": 0},
        {"path": "corpus/.manifest.json", "lines_read": 5_000, "unparsed": 0}]}}

    counts = run.lines_read(MANIFEST, report)

    assert counts == {"corpus_lines": 1_000_000, "lines_read": 999_000, "lines_unparsed": 2,
                      "corpus_files_read": 2}


def test_reported_run_without_failed_flag_counts_if_diagnosed() -> None:
    runs = run.reported_runs({"transactions": [{"id": "run-000001", "cause": "disk.full"},
                                               {"id": "run-000002"}]})

    assert runs["run-000001"].failed
    assert not runs["run-000002"].failed


def test_clock_offsets_compared_to_reference_node() -> None:
    manifest = {"nodes": [{"name": "node-01", "clock_offset_s": 0.5},
                          {"name": "node-02", "clock_offset_s": -0.5},
                          {"name": "node-03", "clock_offset_s": 1.5}]}
    report = {"data_quality": {"clock_offsets": {
        "node-01": {"offset": 0.0, "uncertainty": 0.0},
        "node-02": {"offset": -1.5, "uncertainty": 1.0},
        "node-03": {"offset": 3.0, "uncertainty": 1.0}}}}

    result = run.clock_offset_errors(manifest, report)

    assert result["reference"] == "node-01"
    assert result["max_abs_error_s"] == 2.0
    assert result["within_uncertainty"] == 1


# Corpus keys and targets ----------------------------------------------------------------------

def test_corpus_key_differs_by_layout() -> None:
    options = CorpusOptions(size_bytes=100_000_000)
    keys = {run.corpus_key(replace(options, rotate=rotate, compress=compress))
            for rotate, compress in ((False, False), (True, False), (True, True))}

    assert len(keys) == 3


def _result(size: str, size_bytes: int, rca_wall: float | None, grep_wall: float,
            rss: float = 100.0) -> run.CorpusResult:
    manifest = {**MANIFEST, "arguments": {**MANIFEST["arguments"], "size": size,
                                          "size_bytes": size_bytes}}
    corpus = run.Corpus(Path("/nonexistent"), manifest, reused=True)
    grep = run.Measured("grep", Summary(grep_wall, grep_wall, grep_wall, 5.0, 3))
    investigate = run.Measured("rca", problem="not runnable")
    if rca_wall is not None:
        investigate = run.Measured("rca", Summary(rca_wall, rca_wall, rca_wall, rss, 3))
    drain = run.Measured("drain", Summary(9.0, 9.0, 9.0, 50.0, 3),
                         details={"mining_us_per_line": 10.0})
    return run.CorpusResult(corpus, grep, investigate, drain)


def _rows(results: list[run.CorpusResult]) -> dict[tuple[str, str], str]:
    diagnose = run.Measured("diagnose", Summary(0.6, 0.6, 0.6, 40.0, 5))
    baseline = run.Measured("import", Summary(0.5, 0.5, 0.5, 90.0, 5))
    return {(row["check"], row["corpus"]): row["result"]
            for row in run.target_rows(results, diagnose, baseline)}


def test_grep_target_applies_to_one_gigabyte() -> None:
    rows = _rows([_result("100MB", 100_000_000, 10.0, 1.0), _result("1GB", 10**9, 2.5, 1.0)])

    assert rows[("investigate wall / grep wall", "100MB")].startswith("info")
    assert rows[("investigate wall / grep wall", "1GB")] == "met"


@pytest.mark.parametrize(("rss", "verdict"), [(299.0, "met"), (301.0, "missed")],
                         ids=["under", "over"])
def test_rss_target_is_300_megabytes(rss: float, verdict: str) -> None:
    rows = _rows([_result("1GB", 10**9, 1.0, 1.0, rss=rss)])

    assert rows[("investigate peak RSS", "1GB")] == verdict


def test_drain_ratio_uses_time_per_line() -> None:
    # 1,000,000 lines in 0.4 s is 0.4 us per line; Drain3 takes 10 us: 25 times slower.
    rows = _rows([_result("1GB", 10**9, 0.4, 1.0)])

    assert rows[("Drain3 / rca time per line", "1GB")] == "met"


def test_diagnose_ratio_target() -> None:
    rows = _rows([_result("1GB", 10**9, 1.0, 1.0)])

    assert rows[("diagnose wall / sklearn import wall", "20 lines")] == "met"


def test_rows_are_pending_without_rca() -> None:
    rows = _rows([_result("1GB", 10**9, None, 1.0)])

    assert rows[("investigate wall / grep wall", "1GB")].startswith("pending")
    assert rows[("Drain3 / rca time per line", "1GB")].startswith("pending")
