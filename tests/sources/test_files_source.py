"""The files source: folder layout, nodes, rotated and compressed files, damaged input."""

from __future__ import annotations

import bz2
import datetime as dt
import gzip
import lzma
import os
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from rca import i18n
from rca.errors import SourceError
from rca.model import FileStats, Level
from rca.sources import files
from rca.sources.files import FileSettings, read_bytes, read_file, read_paths

SHARED_SAMPLES = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "samples"

INSTALLER_LINES = (
    "2026-12-03T02:14:07.120Z INFO txn=run-0042 step=fetch msg=\"run started\"\n"
    "2026-12-03T02:14:07.123Z ERROR txn=run-0042 step=go-install exit=1 msg=\"go install failed\"\n"
)
AUDIT_LINES = (
    "type=AVC msg=audit(1677601548.669:1599): avc:  denied  { name_bind } for  pid=26808 "
    'comm="nginx" src=12345 scontext=system_u:system_r:httpd_t:s0 '
    "tcontext=system_u:object_r:unreserved_port_t:s0 tclass=tcp_socket permissive=0\n"
    "type=PROCTITLE msg=audit(1677601548.669:1599): "
    "proctitle=2F7573722F7362696E2F6E67696E78002D74\n"
)
JOURNAL_LINE = ('{"__REALTIME_TIMESTAMP":"1700000000123456","_HOSTNAME":"web-02","PRIORITY":"3",'
                '"MESSAGE":"Failed to start example-installer.service."}\n')
REFERENCE = dt.datetime(2026, 12, 4, 12, 0, tzinfo=dt.UTC).timestamp()


def assert_accounting(stats: FileStats) -> None:
    total = stats.parsed + stats.unparsed + stats.continuation + stats.duplicates
    assert stats.lines_read == total, stats


def write(path: Path, data: str | bytes, mtime: float = REFERENCE) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    path.write_bytes(data)
    os.utime(path, (mtime, mtime))
    return path


def stats_by_path(stats: list[FileStats]) -> dict[str, FileStats]:
    return {item.path: item for item in stats}


@pytest.fixture
def incident(tmp_path: Path) -> Path:
    root = tmp_path / "incident-42"
    write(root / "node-01" / "installer.log", INSTALLER_LINES)
    write(root / "node-02" / "audit" / "audit.log", AUDIT_LINES)
    write(root / "node-02" / "installer.log", INSTALLER_LINES)
    write(root / "journal.json", JOURNAL_LINE)
    write(root / ".hidden.log", "ignored\n")
    return root


def test_incident_folders_are_nodes(incident: Path) -> None:
    events, stats = read_paths([incident], FileSettings())

    assert [item.path for item in stats] == [
        "incident-42/journal.json",
        "incident-42/node-01/installer.log",
        "incident-42/node-02/audit/audit.log",
        "incident-42/node-02/installer.log",
    ]
    assert [item.node for item in stats] == ["web-02", "node-01", "node-02", "node-02"]
    assert [event.node for event in events] == ["web-02", "node-01", "node-01", "node-02",
                                                "node-02", "node-02"]


def test_incident_origins_and_sequence(incident: Path) -> None:
    events, stats = read_paths([incident], FileSettings())

    assert [str(event.origin) for event in events][:3] == [
        "incident-42/journal.json:1",
        "incident-42/node-01/installer.log:1",
        "incident-42/node-01/installer.log:2",
    ]
    assert [event.sequence for event in events] == list(range(len(events)))
    for item in stats:
        assert_accounting(item)


def test_formats_detected_per_file(incident: Path) -> None:
    _, stats = read_paths([incident], FileSettings())

    assert [item.format for item in stats] == ["journald", "installer", "audit", "installer"]


def test_folder_without_subfolders_is_one_node(tmp_path: Path) -> None:
    write(tmp_path / "build-01" / "installer.log", INSTALLER_LINES)
    write(tmp_path / "build-01" / "audit.log", AUDIT_LINES)

    events, stats = read_paths([tmp_path / "build-01"], FileSettings())

    assert {event.node for event in events} == {"build-01"}
    assert [item.path for item in stats] == ["build-01/audit.log", "build-01/installer.log"]


def test_file_in_incident_without_host_has_no_node(tmp_path: Path) -> None:
    write(tmp_path / "incident" / "node-01" / "installer.log", INSTALLER_LINES)
    write(tmp_path / "incident" / "installer.log", INSTALLER_LINES)

    events, _ = read_paths([tmp_path / "incident"], FileSettings())

    assert [event.node for event in events] == ["", "", "node-01", "node-01"]


def test_single_file_node_from_host_field(tmp_path: Path) -> None:
    path = write(tmp_path / "saved" / "journal.json", JOURNAL_LINE)

    events, stats = read_paths([path], FileSettings())

    assert events[0].node == "web-02"
    assert stats[0].path == "journal.json"


def test_single_file_node_from_parent_folder(tmp_path: Path) -> None:
    path = write(tmp_path / "web-03" / "installer.log", INSTALLER_LINES)

    events, _ = read_paths([path], FileSettings())

    assert {event.node for event in events} == {"web-03"}


def test_read_file_with_explicit_node(tmp_path: Path) -> None:
    path = write(tmp_path / "web-03" / "installer.log", INSTALLER_LINES)

    events, stats = read_file(path, node="build-01")

    assert {event.node for event in events} == {"build-01"}
    assert stats.node == "build-01"


def test_sequence_continues_across_arguments(tmp_path: Path) -> None:
    first = write(tmp_path / "a" / "installer.log", INSTALLER_LINES)
    second = write(tmp_path / "b" / "installer.log", INSTALLER_LINES)

    events, _ = read_paths([second, first], FileSettings())

    assert [event.origin.path for event in events] == ["installer.log"] * 4
    assert [event.node for event in events] == ["b", "b", "a", "a"]
    assert [event.sequence for event in events] == [0, 1, 2, 3]


def test_missing_path_raises(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="no such file or folder"):
        read_paths([tmp_path / "absent"], FileSettings())


def test_rotated_file_reads_as_its_format(tmp_path: Path) -> None:
    path = write(tmp_path / "n" / "installer.log.1", INSTALLER_LINES.replace("\n", "\r\n"))

    events, stats = read_file(path)

    assert stats.format == "installer"
    assert events[1].transaction_id == "run-0042"
    assert not events[1].raw.endswith("\r")


@pytest.mark.parametrize(
    ("name", "compress"),
    [("audit.log.2.gz", gzip.compress), ("audit.log.3.bz2", bz2.compress),
     ("audit.log.4.xz", lzma.compress)],
    ids=["gzip", "bzip2", "xz"],
)
def test_compressed_file_reads_like_plain(tmp_path: Path, name: str, compress: object) -> None:
    plain = write(tmp_path / "n" / "audit.log", AUDIT_LINES)
    packed = write(tmp_path / "n" / name, compress(AUDIT_LINES.encode()))  # type: ignore[operator]

    plain_events, _ = read_file(plain)
    packed_events, stats = read_file(packed)

    assert stats.format == "audit"
    assert [event.raw for event in packed_events] == [event.raw for event in plain_events]
    assert_accounting(stats)


def test_compression_found_by_magic_bytes(tmp_path: Path) -> None:
    path = write(tmp_path / "n" / "installer.log", gzip.compress(INSTALLER_LINES.encode()))

    events, _ = read_file(path)

    assert len(events) == 2


def test_truncated_gzip_keeps_lines_before_damage(tmp_path: Path) -> None:
    lines = "".join(f"2026-12-03T{i // 3600:02d}:{i // 60 % 60:02d}:{i % 60:02d}Z INFO "
                    f"txn=r msg=line-{i}\n" for i in range(20000))
    packed = gzip.compress(lines.encode())
    path = write(tmp_path / "n" / "installer.log.1.gz", packed[: len(packed) // 2])

    events, stats = read_file(path)

    assert 1000 < len(events) < 20000
    assert events[0].message == "line-0"
    assert [event.message for event in events] == [f"line-{i}" for i in range(len(events))]
    assert len(stats.warnings) == 1
    assert "read stopped" in stats.warnings[0]
    assert stats.skipped is None
    assert_accounting(stats)


def test_invalid_utf8_keeps_line(tmp_path: Path) -> None:
    data = b'2026-12-03T02:14:07Z ERROR txn=r msg="caf\xe9 \xff"\n'
    path = write(tmp_path / "n" / "installer.log", data)

    (event,), stats = read_file(path)

    assert event.message == "caf\ufffd \ufffd"
    assert stats.parsed == 1


def test_nul_bytes_removed(tmp_path: Path) -> None:
    data = b"2026-12-03T02:14:07Z ERROR txn=r msg=\"a\x00b\"\n"
    path = write(tmp_path / "n" / "installer.log", data)

    (event,), _ = read_file(path)

    assert event.message == "ab"


def test_group_separator_kept_in_line(tmp_path: Path) -> None:
    line = (b'type=AVC msg=audit(1661734785.992:270): apparmor="ALLOWED" operation="open" '
            b'profile="/usr/bin/dolphin" name="/home/alice/x" pid=3483 comm="dolphin" '
            b'requested_mask="r" denied_mask="r" fsuid=1000 ouid=0\x1dFSUID="alice" OUID="root"\n')
    path = write(tmp_path / "n" / "audit.log", line)

    (event,), stats = read_file(path)

    assert stats.lines_read == 1
    assert event.fields["enriched"] == {"FSUID": "alice", "OUID": "root"}


def test_long_line_truncated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(files, "MAX_LINE_BYTES", 64)
    long_line = "E: " + "x" * 200 + "\n"
    path = write(tmp_path / "n" / "output.txt", "first\n" + long_line + "last\n")

    events, stats = read_file(path)

    assert [event.origin.line for event in events] == [1, 2, 3]
    assert len(events[1].raw) == 64
    assert events[1].fields["truncated"] is True
    assert "truncated" not in events[2].fields
    assert stats.warnings == ["1 line(s) longer than 64 bytes were cut to that length, "
                              "the first at line 2"]
    assert_accounting(stats)


def test_binary_file_skipped(tmp_path: Path) -> None:
    path = write(tmp_path / "n" / "core.bin", b"\x7fELF\x02\x01\x01" + b"\x00" * 4000)

    events, stats = read_file(path)

    assert events == []
    assert stats.skipped is not None
    assert stats.skipped.startswith("binary file")
    assert stats.lines_read == 0


def test_zstd_file_skipped(tmp_path: Path) -> None:
    path = write(tmp_path / "n" / "audit.log.zst", b"\x28\xb5\x2f\xfd" + b"\x00" * 20)

    _, stats = read_file(path)

    assert stats.skipped == "zstd-compressed file; decompress it first (unzstd)"


def test_empty_file(tmp_path: Path) -> None:
    path = write(tmp_path / "n" / "installer.log", b"")

    events, stats = read_file(path)

    assert events == []
    assert stats.skipped is None
    assert stats.lines_read == 0


def test_unreadable_file_skipped_others_read(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    locked = write(tmp_path / "incident" / "node-01" / "audit.log", AUDIT_LINES)
    write(tmp_path / "incident" / "node-01" / "installer.log", INSTALLER_LINES)
    real_open = Path.open

    def deny(self: Path, *args: object, **kwargs: object) -> object:
        if self == locked:
            raise PermissionError(13, "Permission denied", str(self))
        return real_open(self, *args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(Path, "open", deny)

    events, stats = read_paths([tmp_path / "incident"], FileSettings())

    assert [item.skipped for item in stats] == ["permission denied", None]
    assert len(events) == 2


@pytest.mark.skipif(os.geteuid() == 0, reason="root can read a file without permissions")
def test_file_without_read_permission_skipped(tmp_path: Path) -> None:
    path = write(tmp_path / "n" / "audit.log", AUDIT_LINES)
    path.chmod(0)

    _, stats = read_file(path)

    assert stats.skipped == "permission denied"


def test_fifo_skipped_without_opening(tmp_path: Path) -> None:
    write(tmp_path / "node-01" / "installer.log", INSTALLER_LINES)
    os.mkfifo(tmp_path / "node-01" / "pipe.log")

    events, stats = read_paths([tmp_path / "node-01"], FileSettings())

    assert stats_by_path(stats)["node-01/pipe.log"].skipped == "not a regular file"
    assert len(events) == 2


def test_symlink_loop_does_not_hang(tmp_path: Path) -> None:
    write(tmp_path / "incident" / "node-01" / "installer.log", INSTALLER_LINES)
    (tmp_path / "incident" / "node-01" / "again").symlink_to(tmp_path / "incident" / "node-01")
    (tmp_path / "incident" / "node-01" / "self.log").symlink_to("self.log")

    events, stats = read_paths([tmp_path / "incident"], FileSettings())
    by_path = stats_by_path(stats)

    assert len(events) == 2
    assert by_path["incident/node-01/again"].skipped == \
        "folder already read (symbolic link loop)"
    assert by_path["incident/node-01/self.log"].skipped == "broken or looping symbolic link"


def test_same_file_twice_read_once(tmp_path: Path) -> None:
    path = write(tmp_path / "node-01" / "installer.log", INSTALLER_LINES)
    (tmp_path / "node-01" / "link.log").symlink_to(path)

    events, stats = read_paths([tmp_path / "node-01"], FileSettings())

    assert len(events) == 2
    assert stats_by_path(stats)["node-01/link.log"].skipped == \
        "same file as node-01/installer.log"


def test_format_override(tmp_path: Path) -> None:
    path = write(tmp_path / "n" / "installer.log", INSTALLER_LINES)

    events, stats = read_paths([path], FileSettings(format="tooloutput"))

    assert stats[0].format == "tooloutput"
    assert all(event.timestamp is None for event in events)


def test_node_time_zone(tmp_path: Path) -> None:
    write(tmp_path / "incident" / "node-01" / "installer.log",
          "2026-12-03 10:14:07 ERROR txn=r msg=x\n")
    write(tmp_path / "incident" / "node-02" / "installer.log",
          "2026-12-03 10:14:07 ERROR txn=r msg=x\n")
    settings = FileSettings(node_timezones={"node-01": ZoneInfo("Asia/Shanghai")})

    events, _ = read_paths([tmp_path / "incident"], settings)

    assert [event.isotime() for event in events] == ["2026-12-03T02:14:07.000Z",
                                                     "2026-12-03T10:14:07.000Z"]


def test_syslog_year_from_file_mtime(tmp_path: Path) -> None:
    january = dt.datetime(2027, 1, 2, tzinfo=dt.UTC).timestamp()
    path = write(tmp_path / "n" / "syslog", "Dec 31 23:59:59 n cron[1]: job failed\n",
                 mtime=january)

    (event,), _ = read_file(path)

    assert event.isotime() == "2026-12-31T23:59:59.000Z"


def test_export_file_read_from_bytes(tmp_path: Path) -> None:
    message = b"step failed\nx"
    data = (b"__REALTIME_TIMESTAMP=1700000000000000\n_HOSTNAME=web-04\nPRIORITY=3\nMESSAGE\n"
            + len(message).to_bytes(8, "little") + message + b"\n\n")
    path = write(tmp_path / "boot.export", data)

    (event,), stats = read_file(path)

    assert stats.format == "journald-export"
    assert event.message == "step failed\nx"
    assert event.level == Level.ERROR
    assert stats.lines_read == data.count(b"\n")
    assert_accounting(stats)


def test_read_bytes_plain_and_gzip() -> None:
    plain_events, plain_stats = read_bytes(AUDIT_LINES.encode(), name="<stdin>")
    packed_events, _ = read_bytes(gzip.compress(AUDIT_LINES.encode()), name="<stdin>")

    assert plain_stats.format == "audit"
    assert [event.message for event in packed_events] == [e.message for e in plain_events]
    assert str(plain_events[0].origin) == "<stdin>:1"


def test_shared_samples_folder() -> None:
    if not SHARED_SAMPLES.is_dir():
        pytest.skip("shared sample data not available")

    events, stats = read_paths([SHARED_SAMPLES], FileSettings())

    logs = [item for item in stats if not item.path.endswith(".tsv")]
    assert events
    assert all(item.skipped is None for item in logs)
    for item in logs:
        assert_accounting(item)


def test_documents_in_incident_folder_are_skipped(tmp_path: Path) -> None:
    node = tmp_path / "incident" / "web-1"
    node.mkdir(parents=True)
    (node / "installer.log").write_text(
        '2026-12-03T02:00:00Z ERROR txn=r1 msg="open /x: permission denied"\n')
    (tmp_path / "incident" / "NOTES.md").write_text("saw permission denied on web-1\n")

    events, stats = read_paths([tmp_path / "incident"], FileSettings())

    skipped = {item.path: item.skipped for item in stats if item.skipped}
    assert list(skipped) == ["incident/NOTES.md"]
    assert "not a log file (.md)" in skipped["incident/NOTES.md"]
    assert [event.transaction_id for event in events] == ["r1"]


def test_document_named_on_command_line_is_read(tmp_path: Path) -> None:
    notes = tmp_path / "output.md"
    notes.write_text("go: downloading golang.org/x/sys v0.1.0\n")

    events, stats = read_paths([notes], FileSettings())

    assert stats[0].skipped is None
    assert len(events) == 1


def test_shared_samples_decode_denials() -> None:
    if not SHARED_SAMPLES.is_dir():
        pytest.skip("shared sample data not available")

    events, stats = read_paths([SHARED_SAMPLES], FileSettings())

    assert sum(item.unparsed for item in stats if item.format in ("audit", "syslog")) == 0
    assert any(event.level == Level.ERROR and event.fields.get("denied") for event in events)


def test_skip_reason_in_settings_language(tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(i18n, "gettext", lambda lang: lambda message: f"[{lang}] {message}")
    path = write(tmp_path / "n" / "core.bin", b"\x00" * 100)

    _, stats = read_file(path, settings=FileSettings(lang="zh-CN"))

    assert stats.skipped == "[zh-CN] binary file: 100 NUL bytes in the first 100 bytes"


def test_missing_path_error_is_a_catalog_template(tmp_path: Path) -> None:
    with pytest.raises(SourceError) as caught:
        read_paths([tmp_path / "absent"], FileSettings())

    assert caught.value.template == ("%(path)s: no such file or folder. Give an incident folder "
                                     "or a log file.")
    assert caught.value.params == {"path": str(tmp_path / "absent")}


def test_damage_in_first_block_warns_once(tmp_path: Path) -> None:
    packed = gzip.compress(INSTALLER_LINES.encode())
    path = write(tmp_path / "n" / "installer.log.2.gz", packed[:12])

    events, stats = read_file(path)

    assert events == []
    assert len(stats.warnings) == 1
    assert stats.lines_read == 0
