"""The benchmark corpus generator: determinism, formats, sizes and the manifest's ground truth."""

from __future__ import annotations

import datetime as dt
import gzip
import json
import re
from collections import defaultdict
from dataclasses import replace
from pathlib import Path
from typing import Any

import generate
import pytest
from corpus_plan import CAUSE_IDS, CorpusOptions, format_size, parse_size

INSTALLER_LINE = re.compile(
    r"^(?P<time>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)"
    r" (?P<level>DEBUG|INFO|NOTICE|WARN|ERROR|FATAL)"
    r' txn=(?P<txn>run-\d{6}) step=(?P<step>[\w-]+)(?P<fields>(?: \w+=(?:"(?:[^"\\]|\\.)*"|\S+))*)'
    r' msg=(?P<msg>"(?:[^"\\]|\\.)*"|[^\s"=]+)$')
AUDIT_LINE = re.compile(r"^type=\S+ msg=audit\((\d+)\.(\d{3}):\d+\): ")
JOURNAL_KEYS = {"__CURSOR", "__REALTIME_TIMESTAMP", "__MONOTONIC_TIMESTAMP", "_BOOT_ID",
                "_HOSTNAME", "_MACHINE_ID", "_TRANSPORT", "PRIORITY", "SYSLOG_IDENTIFIER",
                "MESSAGE"}
TINY = CorpusOptions(size_bytes=600_000, nodes=4, runs_per_node=8, error_rate=0.4, rotate=True,
                     compress=True, multi_node_share=0.5, noise_rate=0.3, seed=7)


def read_lines(path: Path) -> list[str]:
    data = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    return data.decode("utf-8").split("\n")[:-1]


def corpus_bytes(root: Path) -> dict[str, bytes]:
    return {str(path.relative_to(root)): path.read_bytes()
            for path in sorted(root.rglob("*")) if path.is_file()
            and path.name != generate.TIMING}


def unquote(value: str) -> str:
    if value.startswith('"'):
        return re.sub(r"\\(.)", r"\1", value[1:-1])
    return value


def iso_ms(text: str) -> int:
    moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    return round(moment.timestamp() * 1000)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    root = tmp_path_factory.mktemp("corpus") / "incident"
    manifest = generate.generate(TINY, root, jobs=1)
    return root, manifest


def files_of(root: Path, manifest: dict[str, Any], kind: str) -> list[Path]:
    return [root / entry["path"] for entry in manifest["files"] if entry["kind"] == kind]


# Determinism --------------------------------------------------------------------------------

def test_same_seed_gives_identical_bytes(tmp_path: Path,
                                         corpus: tuple[Path, dict[str, Any]]) -> None:
    again = tmp_path / "again"
    generate.generate(TINY, again, jobs=1)

    assert corpus_bytes(again) == corpus_bytes(corpus[0])


def test_worker_processes_do_not_change_output(tmp_path: Path,
                                               corpus: tuple[Path, dict[str, Any]]) -> None:
    parallel = tmp_path / "parallel"
    generate.generate(TINY, parallel, jobs=2)

    assert corpus_bytes(parallel) == corpus_bytes(corpus[0])


def test_different_seed_gives_different_logs(tmp_path: Path,
                                             corpus: tuple[Path, dict[str, Any]]) -> None:
    other = tmp_path / "other"
    generate.generate(replace(TINY, seed=8), other, jobs=1)
    first = corpus_bytes(corpus[0])
    second = corpus_bytes(other)

    assert first.keys() == second.keys()
    assert all(first[name] != second[name] for name in first if name.endswith("journal.json"))


# Formats ------------------------------------------------------------------------------------

def test_installer_lines_follow_canonical_format(corpus: tuple[Path, dict[str, Any]]) -> None:
    root, manifest = corpus
    bad = [line for path in files_of(root, manifest, "installer")
           for line in read_lines(path) if not INSTALLER_LINE.match(line)]

    assert bad == []


def test_audit_lines_have_type_and_stamp(corpus: tuple[Path, dict[str, Any]]) -> None:
    root, manifest = corpus
    bad = [line for path in files_of(root, manifest, "audit")
           for line in read_lines(path) if not AUDIT_LINE.match(line)]

    assert bad == []


def test_journal_lines_are_objects_of_strings(corpus: tuple[Path, dict[str, Any]]) -> None:
    root, manifest = corpus
    records = [json.loads(line) for path in files_of(root, manifest, "journal")
               for line in read_lines(path)]

    assert records
    assert all(isinstance(record, dict) for record in records)
    assert all(record.keys() >= JOURNAL_KEYS for record in records)
    assert all(isinstance(value, str) for record in records for value in record.values())


def test_journal_records_have_unique_keys(corpus: tuple[Path, dict[str, Any]]) -> None:
    root, manifest = corpus
    duplicated: list[str] = []

    def check(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        keys = [key for key, _value in pairs]
        duplicated.extend(key for key in set(keys) if keys.count(key) > 1)
        return dict(pairs)

    for path in files_of(root, manifest, "journal"):
        for line in read_lines(path):
            json.loads(line, object_pairs_hook=check)

    assert duplicated == []


@pytest.mark.parametrize(("rotate", "compress", "names"), [
    (False, False, ["audit.log", "installer.log", "journal.json"]),
    (True, False, ["audit.log", "audit.log.1", "installer.log", "installer.log.1",
                   "journal.json"]),
    (True, True, ["audit.log", "audit.log.1", "audit.log.2.gz", "installer.log",
                  "installer.log.1", "installer.log.2.gz", "journal.json"]),
], ids=["plain", "rotated", "compressed"])
def test_layout_names_the_generations(tmp_path: Path, rotate: bool, compress: bool,
                                      names: list[str]) -> None:
    options = CorpusOptions(size_bytes=120_000, nodes=1, rotate=rotate, compress=compress)
    generate.generate(options, tmp_path / "c", jobs=1)

    assert sorted(path.name for path in (tmp_path / "c" / "node-01").iterdir()) == names


def test_compressed_generations_are_gzip(corpus: tuple[Path, dict[str, Any]]) -> None:
    root, manifest = corpus
    compressed = [root / entry["path"] for entry in manifest["files"] if entry["compressed"]]

    assert compressed
    assert all(path.suffix == ".gz" for path in compressed)
    assert all(path.read_bytes()[:2] == b"\x1f\x8b" for path in compressed)


def test_each_log_is_in_time_order(corpus: tuple[Path, dict[str, Any]]) -> None:
    root, manifest = corpus
    out_of_order = []
    logs: dict[tuple[str, str], list[Path]] = defaultdict(list)
    for entry in manifest["files"]:
        logs[(entry["node"], entry["kind"])].append(root / entry["path"])
    for (node, kind), paths in logs.items():
        times = [record_ms(kind, line) for path in paths for line in read_lines(path)]
        if times != sorted(times):
            out_of_order.append((node, kind))

    assert out_of_order == []


def record_ms(kind: str, line: str) -> int:
    if kind == "installer":
        return iso_ms(line[:24])
    if kind == "audit":
        match = AUDIT_LINE.match(line)
        assert match is not None
        return int(match.group(1)) * 1000 + int(match.group(2))
    return int(json.loads(line)["__REALTIME_TIMESTAMP"]) // 1000


# Sizes --------------------------------------------------------------------------------------

SIZED = [CorpusOptions(size_bytes=1_000_000, nodes=2), CorpusOptions(size_bytes=3_000_000,
                                                                      nodes=3, rotate=True,
                                                                      audit_share=0.4,
                                                                      journal_share=0.1)]


@pytest.mark.parametrize("options", SIZED, ids=["1MB", "3MB-rotated"])
def test_total_size_is_close_to_request(tmp_path: Path, options: CorpusOptions) -> None:
    manifest = generate.generate(options, tmp_path / "c", jobs=1)

    assert manifest["bytes"] == pytest.approx(options.size_bytes, rel=0.05)


@pytest.mark.parametrize("options", SIZED, ids=["1MB", "3MB-rotated"])
def test_shares_of_each_log_are_close_to_request(tmp_path: Path,
                                                 options: CorpusOptions) -> None:
    manifest = generate.generate(options, tmp_path / "c", jobs=1)
    total = manifest["bytes"]
    shares = {kind: size / total for kind, size in manifest["bytes_by_kind"].items()}

    assert shares["audit"] == pytest.approx(options.audit_share, abs=0.02)
    assert shares["journal"] == pytest.approx(options.journal_share, abs=0.02)
    assert shares["installer"] == pytest.approx(options.installer_share, abs=0.02)


@pytest.mark.parametrize(("text", "expected"), [
    ("500kB", 500_000), ("100MB", 100_000_000), ("1GB", 1_000_000_000), ("1GiB", 2**30),
    ("2.5MB", 2_500_000), ("123", 123),
], ids=["kB", "MB", "GB", "GiB", "fraction", "bytes"])
def test_parse_size_reads_units(text: str, expected: int) -> None:
    assert parse_size(text) == expected


@pytest.mark.parametrize("text", ["", "MB", "10 parsecs", "-1MB"],
                         ids=["empty", "no-number", "unknown-unit", "negative"])
def test_parse_size_rejects_invalid_text(text: str) -> None:
    with pytest.raises(ValueError, match="invalid size"):
        parse_size(text)


@pytest.mark.parametrize("size", [100_000_000, 1_000_000_000, 123_456],
                         ids=["MB", "GB", "odd"])
def test_format_size_round_trips(size: int) -> None:
    assert parse_size(format_size(size)) == size


@pytest.mark.parametrize(("changes", "option"), [
    ({"nodes": 0}, "--nodes"),
    ({"error_rate": 1.5}, "--error-rate"),
    ({"audit_share": 0.6, "journal_share": 0.4}, "--audit-share"),
    ({"max_clock_offset": 3.0}, "--max-clock-offset"),
    ({"start": "yesterday"}, "--start"),
], ids=["nodes", "error-rate", "shares", "clock-offset", "start"])
def test_invalid_options_name_the_option(changes: dict[str, Any], option: str) -> None:
    with pytest.raises(ValueError, match=option):
        replace(TINY, **changes).validate()


# Manifest -----------------------------------------------------------------------------------

def test_manifest_file_sizes_match_disk(corpus: tuple[Path, dict[str, Any]]) -> None:
    root, manifest = corpus
    for entry in manifest["files"]:
        path = root / entry["path"]
        data = gzip.decompress(path.read_bytes()) if entry["compressed"] else path.read_bytes()

        assert entry["disk_bytes"] == path.stat().st_size, entry["path"]
        assert entry["bytes"] == len(data), entry["path"]
        assert entry["lines"] == data.count(b"\n"), entry["path"]


def test_manifest_totals_add_up(corpus: tuple[Path, dict[str, Any]]) -> None:
    _root, manifest = corpus

    assert manifest["bytes"] == sum(entry["bytes"] for entry in manifest["files"])
    assert manifest["lines"] == sum(entry["lines"] for entry in manifest["files"])
    assert manifest["failed_runs"] == len(manifest["failed"])
    assert sum(manifest["causes"].values()) == manifest["failed_runs"]
    assert manifest["arguments"] == TINY.as_json()


def test_manifest_counts_every_run_of_the_logs(corpus: tuple[Path, dict[str, Any]]) -> None:
    root, manifest = corpus
    txns = {match.group("txn") for path in files_of(root, manifest, "installer")
            for line in read_lines(path) if (match := INSTALLER_LINE.match(line))}

    assert len(txns) == manifest["runs"]


def test_failed_runs_have_known_causes(corpus: tuple[Path, dict[str, Any]]) -> None:
    _root, manifest = corpus

    assert manifest["failed_runs"] > 3
    assert {entry["cause"] for entry in manifest["failed"]} <= set(CAUSE_IDS)


def test_failed_runs_end_with_run_failed(corpus: tuple[Path, dict[str, Any]]) -> None:
    root, manifest = corpus
    finals: dict[str, str] = {}
    for path in files_of(root, manifest, "installer"):
        for line in read_lines(path):
            match = INSTALLER_LINE.match(line)
            if match and match.group("step") == "finish":
                finals[match.group("txn")] = unquote(match.group("msg"))
    failed = {entry["txn"] for entry in manifest["failed"]}

    assert {txn for txn, msg in finals.items() if msg.startswith("run failed")} == failed
    assert all(finals[txn].startswith("run finished") for txn in finals if txn not in failed)


def test_first_errors_are_written_where_manifest_says(
        corpus: tuple[Path, dict[str, Any]]) -> None:
    root, manifest = corpus
    missing = []
    for entry in manifest["failed"]:
        first = entry["first_error"]
        kind = {"installer": "installer", "audit": "audit", "journald": "journal"}[first["source"]]
        paths = [root / item["path"] for item in manifest["files"]
                 if item["node"] == first["node"] and item["kind"] == kind]
        found = any(first["message"] in record_message(kind, line)
                    and record_ms(kind, line) == iso_ms(first["time"])
                    for path in paths for line in read_lines(path))
        if not found:
            missing.append(entry["txn"])

    assert missing == []


def record_message(kind: str, line: str) -> str:
    if kind == "installer":
        match = INSTALLER_LINE.match(line)
        return unquote(match.group("msg")) if match else ""
    if kind == "journal":
        return str(json.loads(line)["MESSAGE"])
    return line


def test_no_error_noise_inside_run_windows(corpus: tuple[Path, dict[str, Any]]) -> None:
    """Error records of audit.log and the journal near a run are that run's first error."""
    root, manifest = corpus
    spans: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for path in files_of(root, manifest, "installer"):
        node = path.parent.name
        by_txn: dict[str, list[int]] = defaultdict(list)
        for line in read_lines(path):
            match = INSTALLER_LINE.match(line)
            if match:
                by_txn[match.group("txn")].append(iso_ms(match.group("time")))
        spans[node].extend((min(times), max(times)) for times in by_txn.values())
    expected = {(entry["first_error"]["node"], iso_ms(entry["first_error"]["time"]))
                for entry in manifest["failed"]}
    margin = 30_000
    stray = []
    away = 0
    for kind in ("audit", "journal"):
        for path in files_of(root, manifest, kind):
            node = path.parent.name
            for line in read_lines(path):
                if not is_error_record(kind, line):
                    continue
                ms = record_ms(kind, line)
                near = any(start - margin <= ms <= end + margin for start, end in spans[node])
                if near and (node, ms) not in expected:
                    stray.append(line[:120])
                away += not near

    assert away > 0, "the corpus has no error noise, so this test checks nothing"
    assert stray == []


def is_error_record(kind: str, line: str) -> bool:
    if kind == "audit":
        return (line.startswith("type=AVC ") and "denied" in line.lower()) \
            or "res=failed" in line
    return int(json.loads(line)["PRIORITY"]) <= 3


def test_multi_node_runs_dispatch_and_collect(corpus: tuple[Path, dict[str, Any]]) -> None:
    root, manifest = corpus
    dispatch = collect = 0
    for path in files_of(root, manifest, "installer"):
        for line in read_lines(path):
            match = INSTALLER_LINE.match(line)
            if match and match.group("step") == "dispatch":
                dispatch += " target=node-" in match.group("fields")
            if match and match.group("step") == "collect":
                collect += " source=node-" in match.group("fields")

    assert manifest["multi_node_runs"] > 0
    assert dispatch == manifest["multi_node_runs"]
    assert collect == manifest["multi_node_runs"]


# Command line -------------------------------------------------------------------------------

def test_cli_writes_corpus_and_manifest(tmp_path: Path) -> None:
    code = generate.main([str(tmp_path / "c"), "--size", "200kB", "--nodes", "2", "--jobs", "1"])

    assert code == 0
    assert (tmp_path / "c" / generate.MANIFEST).is_file()
    assert (tmp_path / "c" / "node-02" / "installer.log").is_file()


def test_cli_rejects_non_empty_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "notes.txt").write_text("keep me\n", encoding="utf-8")

    code = generate.main([str(tmp_path / "c"), "--size", "200kB", "--nodes", "2"])

    assert code == 1
    assert "not empty" in capsys.readouterr().err
    assert (tmp_path / "c" / "notes.txt").is_file()


def test_cli_force_refuses_foreign_folder(tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "notes.txt").write_text("keep me\n", encoding="utf-8")

    code = generate.main([str(tmp_path / "c"), "--size", "200kB", "--force"])

    assert code == 1
    assert "did not write" in capsys.readouterr().err
    assert (tmp_path / "c" / "notes.txt").is_file()


def test_cli_force_replaces_earlier_corpus(tmp_path: Path) -> None:
    target = str(tmp_path / "c")
    generate.main([target, "--size", "200kB", "--nodes", "2", "--jobs", "1"])

    code = generate.main([target, "--size", "200kB", "--nodes", "3", "--jobs", "1", "--force"])

    assert code == 0
    assert (tmp_path / "c" / "node-03").is_dir()
