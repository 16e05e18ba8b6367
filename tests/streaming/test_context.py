"""Phase 2: the events of a time window, read by seeking, equal those of a full read."""

from __future__ import annotations

import datetime as dt
import gzip
from pathlib import Path

import pytest

from rca.model import Event
from rca.sources.files import FileSettings, LogFile, read_file
from rca.streaming.context import WINDOW_SLACK, WindowTask, read_windows
from rca.streaming.scan import FileScan, ScanTask, scan_file

AUDIT_RECORD = ('type={kind} msg=audit({seconds}.{ms:03d}:{serial}): {body}')


def audit_text(events: int) -> str:
    lines = []
    for serial in range(events):
        seconds = 1796259000 + serial // 4
        ms = (serial % 4) * 250
        lines.append(AUDIT_RECORD.format(
            kind="SYSCALL", seconds=seconds, ms=ms, serial=serial,
            body=f"arch=c000003e syscall=257 success=yes exit=3 pid={serial} comm=\"cat\""))
        lines.append(AUDIT_RECORD.format(
            kind="PROCTITLE", seconds=seconds, ms=ms, serial=serial,
            body="proctitle=636174002F6574632F686F737473"))
    return "\n".join(lines) + "\n"


def scanned(tmp_path: Path, name: str, data: bytes) -> tuple[FileScan, LogFile]:
    path = tmp_path / name
    path.write_bytes(data)
    log_file = LogFile(path, f"incident/node-1/{name}", node="node-1")
    return scan_file(ScanTask(0, log_file, FileSettings())), log_file


def window_events(scan: FileScan, log_file: LogFile,
                  windows: tuple[tuple[float, float], ...]) -> list[Event]:
    task = WindowTask(0, log_file, scan.stats.format, FileSettings(), scan.reference_time,
                      tuple(scan.points), windows, scan.last_time)
    return read_windows(task).events


def key(event: Event) -> tuple[object, ...]:
    return (event.origin.line, event.timestamp, event.message, event.raw,
            sorted(event.fields.items(), key=str), event.level)


@pytest.mark.parametrize("compressed", [False, True], ids=["plain", "gzip"])
@pytest.mark.parametrize("window", [(1796259100.0, 1796259160.0), (1796259000.0, 1796259010.0),
                                    (1796262000.0, 1796262100.0)],
                         ids=["middle", "start", "end"])
def test_audit_window_matches_full_read(tmp_path: Path, compressed: bool,
                                        window: tuple[float, float]) -> None:
    data = audit_text(20000).encode()
    name = "audit.log.1.gz" if compressed else "audit.log"
    scan, log_file = scanned(tmp_path, name, gzip.compress(data) if compressed else data)
    full, _ = read_file(log_file.path, node="node-1")
    start, end = window
    expected = [key(event) for event in full
                if event.timestamp is not None and start <= event.timestamp <= end]
    found = [key(event) for event in window_events(scan, log_file, (window,))
             if event.timestamp is not None and start <= event.timestamp <= end]

    assert len(scan.points) > 10
    assert expected
    assert found == expected


def test_window_reads_few_lines(tmp_path: Path) -> None:
    scan, log_file = scanned(tmp_path, "audit.log", audit_text(20000).encode())
    task = WindowTask(0, log_file, "audit", FileSettings(), scan.reference_time,
                      tuple(scan.points), ((1796261000.0, 1796261010.0),), scan.last_time)
    result = read_windows(task)
    in_window = 2 * 4 * (10 + 2 * WINDOW_SLACK + 1)

    assert result.lines_parsed < in_window + 200
    assert result.lines_parsed < scan.stats.lines_read / 20


def test_windows_in_gzip_read_forward_only(tmp_path: Path) -> None:
    data = gzip.compress(audit_text(20000).encode())
    scan, log_file = scanned(tmp_path, "audit.log.2.gz", data)
    windows = tuple((1796259000.0 + 300 * index, 1796259000.0 + 300 * index + 20)
                    for index in range(15))
    task = WindowTask(0, log_file, "audit", FileSettings(), scan.reference_time,
                      tuple(scan.points), windows, scan.last_time)
    result = read_windows(task)

    assert result.rewinds == 0
    assert len(result.events) > 15 * 20 * 4


def test_window_after_file_end_is_skipped(tmp_path: Path) -> None:
    scan, log_file = scanned(tmp_path, "audit.log", audit_text(2000).encode())
    task = WindowTask(0, log_file, "audit", FileSettings(), scan.reference_time,
                      tuple(scan.points), ((1796300000.0, 1796300100.0),), scan.last_time)
    result = read_windows(task)

    assert result.events == []
    assert result.lines_parsed == 0


def test_window_drops_records_of_other_runs(tmp_path: Path) -> None:
    text = "".join(
        f'2026-12-03T02:00:{second:02d}.000Z ERROR txn=run-{second % 2} step=x msg="m"\n'
        for second in range(40))
    scan, log_file = scanned(tmp_path, "installer.log", text.encode())
    start = dt.datetime(2026, 12, 3, 2, tzinfo=dt.UTC).timestamp()
    task = WindowTask(0, log_file, "installer", FileSettings(), scan.reference_time,
                      tuple(scan.points), ((start, start + 40),), scan.last_time,
                      frozenset({"run-1"}))
    events = read_windows(task).events

    assert {event.transaction_id for event in events} == {"run-1"}
    assert len(events) == 20
