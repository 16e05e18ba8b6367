"""Phase 1: routine installer lines skipped, own records kept, lines counted, files indexed."""

from __future__ import annotations

import datetime as dt
import gzip
import json
from pathlib import Path

import pytest

from rca.sources.files import FileSettings, LogFile, read_file
from rca.streaming.patterns import ROUTINE_BLOCK_RE
from rca.streaming.scan import ScanMode, ScanTask, scan_file, worker_count

ROUTINE = b'2026-12-03T02:14:07.120Z DEBUG txn=run-1 step=go-install msg="mkdir -p $WORK/b004/"'


@pytest.mark.parametrize(("line", "routine"), [
    (ROUTINE, True),
    (b'2026-12-03T02:14:07.120Z INFO txn=run-1 step=fetch cmd="go version" msg="go1.22"', True),
    (b"2026-12-03T02:14:07.120Z INFO txn=run-1 step=finish exit=0 msg=\"run finished\"", True),
    (b'2026-12-03T02:14:07.120Z ERROR txn=run-1 step=go-install msg="boom"', False),
    (b'2026-12-03T02:14:07.120Z WARN txn=run-1 step=go-install exit=1 msg="retrying"', False),
    (b'2026-12-03T02:14:07.120Z INFO txn=run-1 step=dispatch target=b msg="to b"', False),
    (b'2026-12-03T02:14:07.120Z INFO txn=run-1 step=collect msg="from b"', False),
    (b'2026-12-03T02:14:07.120Z INFO txn=run-1 step=x level=error msg="x"', False),
    (b'2026-12-03T02:14:07.120Z INFO txn_id=run-1 step=x msg="alias"', False),
    (b"  goroutine 1 [running]:", False),
    (b'ts=2026-12-03T02:14:07Z level=info txn=run-1 msg="logfmt"', False),
], ids=["debug", "cmd", "exit-zero", "error", "exit-one", "dispatch", "collect", "level-field",
        "alias", "continuation", "logfmt"])
def test_routine_pattern_table(line: bytes, routine: bool) -> None:
    data = b"\n" + line + b"\n"

    assert (ROUTINE_BLOCK_RE.fullmatch(data) is not None) is routine


def test_routine_run_stops_at_other_transaction() -> None:
    other = ROUTINE.replace(b"run-1", b"run-2")
    data = b"\n" + ROUTINE + b"\n" + ROUTINE + b"\n" + other + b"\n"
    match = ROUTINE_BLOCK_RE.match(data)

    assert match is not None
    assert match.group(1) == b"run-1"
    assert data[match.end():] == other + b"\n"


def installer_text(runs: int = 3, routine: int = 40, hour: int = 2) -> str:
    """Installer lines of `runs` runs 10 minutes apart, run-0001 failing with a stack line."""
    start = dt.datetime(2026, 12, 3, hour, tzinfo=dt.UTC)

    def stamp(seconds: float) -> str:
        moment = start + dt.timedelta(seconds=seconds)
        return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"

    lines = []
    for run in range(runs):
        base = 600.0 * run
        txn = f"run-{run:04d}"
        lines.append(f'{stamp(base)} INFO txn={txn} step=start msg="run started"')
        for index in range(routine):
            lines.append(f"{stamp(base + 1 + index * 0.1)} DEBUG txn={txn} "
                         f'step=go-install msg="step {index}"')
        end = base + 2 + routine * 0.1
        if run == 1:
            lines.append(f'{stamp(end)} ERROR txn={txn} step=go-install msg="go: i/o timeout"')
            lines.append("\tgoroutine 1 [running]:")
            lines.append(f'{stamp(end + 1)} FATAL txn={txn} step=finish exit=1 msg="run failed"')
        else:
            lines.append(f'{stamp(end + 1)} INFO txn={txn} step=finish exit=0 '
                         'msg="run finished"')
    return "\n".join(lines) + "\n"


def scan_text(tmp_path: Path, name: str, data: bytes, node: str = "node-1"):  # type: ignore[no-untyped-def]
    path = tmp_path / name
    path.write_bytes(data)
    log_file = LogFile(path, f"incident/{node}/{name}", node=node)
    return scan_file(ScanTask(0, log_file, FileSettings())), path


@pytest.mark.parametrize("compressed", [False, True], ids=["plain", "gzip"])
def test_installer_scan_keeps_first_last_and_errors(tmp_path: Path, compressed: bool) -> None:
    data = installer_text().encode()
    name = "installer.log.2.gz" if compressed else "installer.log"
    scan, _ = scan_text(tmp_path, name, gzip.compress(data) if compressed else data)
    kept = [(event.transaction_id, event.message.split("\n")[0]) for event in scan.own_events]

    assert scan.mode is ScanMode.SCAN
    assert scan.compressed is compressed
    assert ("run-0001", "go: i/o timeout") in kept
    assert ("run-0001", "run failed") in kept
    for run in ("run-0000", "run-0001", "run-0002"):
        assert (run, "run started") in kept
    assert ("run-0000", "run finished") in kept
    assert len(scan.own_events) == 7


def test_installer_scan_counts_like_files_source(tmp_path: Path) -> None:
    scan, path = scan_text(tmp_path, "installer.log", installer_text().encode())
    _, full = read_file(path, node="node-1")
    stats = scan.stats
    parsed_lines = stats.parsed + stats.unparsed + stats.continuation + stats.duplicates

    assert stats.lines_read == full.lines_read
    assert parsed_lines + scan.skimmed == stats.lines_read
    assert scan.skimmed > stats.lines_read / 2
    assert scan.own_records == {"run-0000": 42, "run-0001": 43, "run-0002": 42}


def test_installer_continuation_joins_its_record(tmp_path: Path) -> None:
    scan, _ = scan_text(tmp_path, "installer.log", installer_text().encode())
    errors = [event for event in scan.own_events if event.message.startswith("go: i/o")]

    assert errors[0].message == "go: i/o timeout\n\tgoroutine 1 [running]:"
    assert scan.stats.continuation == 1


def test_index_points_are_record_starts(tmp_path: Path) -> None:
    data = installer_text(runs=3, routine=2000).encode()
    scan, _ = scan_text(tmp_path, "installer.log", data)
    lines = data.split(b"\n")

    assert len(scan.points) >= 3
    for point in scan.points:
        assert data[point.offset:].startswith(lines[point.line - 1])
        assert lines[point.line - 1].startswith(b"2026-12-03T")
    assert [point.timestamp for point in scan.points] == \
        sorted(point.timestamp for point in scan.points)


def test_time_going_back_reads_file_in_full(tmp_path: Path) -> None:
    late = installer_text(runs=1, routine=1500, hour=3).encode()
    early = installer_text(runs=1, routine=1500, hour=1).encode()
    scan, _ = scan_text(tmp_path, "installer.log", late + early)

    assert scan.mode is ScanMode.FULL
    assert scan.skimmed == 0
    assert len(scan.own_events) == 2 * 1502


def journal_line(message: str, **fields: str) -> str:
    entry = {"__REALTIME_TIMESTAMP": "1796259875164536", "_HOSTNAME": "node-1",
             "PRIORITY": "6", "MESSAGE": message, **fields}
    return json.dumps(entry, separators=(",", ":"))


def test_journal_scan_parses_only_transaction_lines(tmp_path: Path) -> None:
    lines = [journal_line(f"cron job {index}") for index in range(50)]
    lines[10] = journal_line("go: timeout", TRANSACTION_ID="run-7", PRIORITY="3")
    lines[20] = journal_line("installer says txn=run-8 step=x")
    scan, _ = scan_text(tmp_path, "journal.json", ("\n".join(lines) + "\n").encode())

    assert scan.mode is ScanMode.SCAN
    assert [(event.origin.line, event.transaction_id) for event in scan.own_events] == \
        [(11, "run-7"), (21, "run-8")]
    assert scan.stats.parsed == 2
    assert scan.skimmed == 48


def test_audit_scan_only_counts_and_indexes(tmp_path: Path) -> None:
    record = ('type=AVC msg=audit(1796259875.{ms:03d}:{serial}): avc:  denied  {{ read }} for '
              'pid=1 comm="go" scontext=a tcontext=b tclass=file permissive=0')
    text = "\n".join(record.format(ms=index % 1000, serial=index) for index in range(100)) + "\n"
    scan, _ = scan_text(tmp_path, "audit.log", text.encode())

    assert scan.mode is ScanMode.SCAN
    assert scan.stats.lines_read == 100
    assert scan.own_events == []
    assert scan.skimmed == 100
    assert scan.points[0].line == 1


def test_syslog_is_read_in_full(tmp_path: Path) -> None:
    text = "Dec  3 02:14:07 node-1 kernel: Out of memory: Killed process 4242 (go)\n"
    scan, _ = scan_text(tmp_path, "kern.log", text.encode())

    assert scan.mode is ScanMode.FULL
    assert len(scan.own_events) == 1


def test_binary_file_is_skipped(tmp_path: Path) -> None:
    scan, _ = scan_text(tmp_path, "core.dump", b"\x7fELF" + b"\x00" * 5000)

    assert scan.mode is ScanMode.SKIPPED
    assert scan.stats.skipped is not None


@pytest.mark.parametrize(("requested", "environment", "expected"), [
    (3, "", 3),
    (None, "5", 5),
    (0, "", 1),
], ids=["argument", "environment", "at-least-one"])
def test_worker_count(requested: int | None, environment: str, expected: int,
                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RCA_WORKERS", environment)

    assert worker_count(requested) == expected
