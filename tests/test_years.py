"""Time inference across files: syslog years from neighbouring dated records, node zones."""

from __future__ import annotations

import datetime as dt
import os
import shutil
from pathlib import Path

import pytest

from rca.kb import KnowledgeBase, load_knowledge_base
from rca.model import Event, SourceKind
from rca.pipeline import investigate
from rca.settings import Settings
from rca.sources.files import FileSettings, read_paths

REPO = Path(__file__).resolve().parents[1]
MINIMAL = REPO / "fixtures" / "incidents" / "2026-12-03-delve-rollout-minimal"


def utc(text: str) -> float:
    return dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC).timestamp()


def write(path: Path, text: str, modified: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    moment = utc(modified)
    os.utime(path, (moment, moment))
    return path


def syslog_times(events: list[Event]) -> list[str]:
    return [dt.datetime.fromtimestamp(event.timestamp, dt.UTC).isoformat()
            for event in events if event.kind == SourceKind.SYSLOG and event.timestamp]


INSTALLER = """\
2026-12-31T23:58:00.000Z INFO txn=run-1 msg="run started"
2026-12-31T23:59:30.000Z INFO txn=run-1 msg="still running"
2027-01-01T00:01:00.000Z INFO txn=run-1 msg="run finished"
"""
SYSLOG = """\
Dec 31 23:59:01 app-01 CRON[811]: (root) CMD (command -v debian-sa1 > /dev/null && debian-sa1 1 1)
Jan  1 00:00:01 app-01 systemd[1]: Starting logrotate.service - Rotate log files...
"""


def test_trusted_mtime_keeps_years(tmp_path: Path) -> None:
    write(tmp_path / "app-01" / "installer.log", INSTALLER, "2027-01-01T00:01:01")
    path = write(tmp_path / "app-01" / "syslog", SYSLOG, "2027-01-01T00:00:02")

    events, stats = read_paths([tmp_path / "app-01"], FileSettings())

    assert syslog_times(events) == ["2026-12-31T23:59:01+00:00", "2027-01-01T00:00:01+00:00"]
    assert [item.warnings for item in stats if item.path.endswith("syslog")] == [[]]
    assert path.exists()


def test_copied_file_takes_years_from_node_records(tmp_path: Path) -> None:
    # Copied without its times two and a half years later: the rollover found
    # in the file stays, and the years come from the installer log.
    write(tmp_path / "app-01" / "installer.log", INSTALLER, "2029-06-01T08:00:00")
    write(tmp_path / "app-01" / "syslog", SYSLOG, "2029-06-01T08:00:00")

    events, stats = read_paths([tmp_path / "app-01"], FileSettings())
    by_path = {item.path: item for item in stats}

    assert syslog_times(events) == ["2026-12-31T23:59:01+00:00", "2027-01-01T00:00:01+00:00"]
    assert by_path["app-01/syslog"].warnings == [
        "2 record(s) of app-01 were moved by -2 year(s) to match the node's dated records, "
        "because the file's modification time is not the time of its last record"]


def test_node_without_dated_records_uses_incident(tmp_path: Path) -> None:
    write(tmp_path / "incident" / "app-02" / "installer.log", INSTALLER, "2029-06-01T08:00:00")
    write(tmp_path / "incident" / "app-01" / "syslog", SYSLOG, "2029-06-01T08:00:00")

    events, stats = read_paths([tmp_path / "incident"], FileSettings())

    assert syslog_times(events) == ["2026-12-31T23:59:01+00:00", "2027-01-01T00:00:01+00:00"]
    by_path = {item.path: item for item in stats}
    assert by_path["incident/app-01/syslog"].warnings == [
        "2 record(s) of app-01 were moved by -2 year(s) to match the dated records of the "
        "other nodes, because the file's modification time is not the time of its last record"]


def test_no_dated_records_keeps_mtime_years(tmp_path: Path) -> None:
    write(tmp_path / "app-01" / "syslog", SYSLOG, "2029-06-01T08:00:00")

    events, _ = read_paths([tmp_path / "app-01"], FileSettings())

    assert syslog_times(events) == ["2028-12-31T23:59:01+00:00", "2029-01-01T00:00:01+00:00"]


def test_february_29_without_target_keeps_years(tmp_path: Path) -> None:
    write(tmp_path / "app-01" / "installer.log",
          '2027-03-01T00:00:00.000Z INFO txn=run-1 msg="run started"\n', "2029-06-01T08:00:00")
    write(tmp_path / "app-01" / "syslog",
          "Feb 29 12:00:00 app-01 systemd[1]: Started cron.service.\n", "2029-06-01T08:00:00")

    events, _ = read_paths([tmp_path / "app-01"], FileSettings())

    assert syslog_times(events) == ["2028-02-29T12:00:00+00:00"]


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return load_knowledge_base()


def test_pipeline_reads_fixture_copied_years_later(tmp_path: Path, kb: KnowledgeBase) -> None:
    copy = tmp_path / MINIMAL.name
    shutil.copytree(MINIMAL, copy)
    later = utc("2029-06-01T08:00:00")
    for path in copy.rglob("*"):
        os.utime(path, (later, later))

    result = investigate([str(copy)], Settings(), kb)

    syslog = [event for txn in result.transactions for event in txn.events
              if event.kind == SourceKind.SYSLOG]
    assert syslog, "the syslog lines must join the runs of build-ubuntu-01"
    assert {dt.datetime.fromtimestamp(event.timestamp or 0, dt.UTC).date().isoformat()
            for event in syslog} == {"2026-12-03"}


ZONELESS = """\
2026-12-11 17:00:00,120 INFO txn=run-1 msg="run started"
2026-12-11 17:00:03,450 ERROR txn=run-1 exit=1 msg="run failed"
"""


def test_pipeline_reads_zoneless_stamps_in_node_zone(tmp_path: Path, kb: KnowledgeBase) -> None:
    write(tmp_path / "incident" / "app-shanghai" / "installer.log", ZONELESS,
          "2026-12-11T09:10:00")
    write(tmp_path / "incident" / "app-utc" / "installer.log",
          ZONELESS.replace("run-1", "run-2"), "2026-12-11T17:10:00")
    settings = Settings(node_timezones={"app-shanghai": "Asia/Shanghai"})

    result = investigate([str(tmp_path / "incident")], settings, kb)
    starts = {txn.id: txn.start for txn in result.transactions}

    assert starts == {"run-1": utc("2026-12-11T09:00:00.120"),
                      "run-2": utc("2026-12-11T17:00:00.120")}


def test_pipeline_reads_syslog_in_node_zone(tmp_path: Path, kb: KnowledgeBase) -> None:
    write(tmp_path / "incident" / "app-shanghai" / "installer.log",
          '2026-12-11T09:00:00.000Z INFO txn=run-1 msg="run started"\n'
          '2026-12-11T09:00:05.000Z ERROR txn=run-1 exit=1 msg="run failed"\n',
          "2026-12-11T09:10:00")
    write(tmp_path / "incident" / "app-shanghai" / "syslog",
          "Dec 11 17:00:02 app-shanghai kernel: [ 12.5] EXT4-fs error (device sda1): "
          "ext4_find_entry:1455: inode #2: comm go: reading directory lblock 0\n",
          "2026-12-11T09:10:00")
    settings = Settings(node_timezones={"app-shanghai": "Asia/Shanghai"})

    result = investigate([str(tmp_path / "incident")], settings, kb)
    (txn,) = result.transactions

    kernel = [event for event in txn.events if event.kind == SourceKind.SYSLOG]
    assert [event.timestamp for event in kernel] == [utc("2026-12-11T09:00:02")]
