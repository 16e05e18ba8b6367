"""The syslog parser: RFC 3164/5424 headers, kern.log and dmesg, audit payloads, levels."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from parser_helpers import ParseText

from rca.model import Level, SourceKind
from rca.parsers import syslog

UTC = dt.UTC


def posix(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0,
          micro: int = 0, tz: dt.tzinfo = UTC) -> float:
    return dt.datetime(year, month, day, hour, minute, second, micro, tzinfo=tz).timestamp()


LINUX_LINE = ("Jun 14 15:16:01 combo sshd(pam_unix)[19939]: authentication failure; logname= "
              "uid=0 euid=0 tty=NODEVssh ruser= rhost=218.188.2.4 ")
KERN_DENIED = (
    'Jul 24 12:25:33 node-01 kernel: [42416.178567] type=1400 audit(1279967133.365:54): '
    'apparmor="DENIED" operation="open" parent=19650 profile="/usr/sbin/cupsd" name="/boot/" '
    'pid=19651 comm="ls" requested_mask="r" denied_mask="r" fsuid=0 ouid=0'
)


def test_rfc3164_line(parse_text: ParseText) -> None:
    (event,), stats = parse_text("syslog", LINUX_LINE)

    assert event.kind == SourceKind.SYSLOG
    assert event.timestamp == posix(2026, 6, 14, 15, 16, 1)
    assert event.node == "combo"
    assert event.fields["host"] == "combo"
    assert event.fields["program"] == "sshd(pam_unix)"
    assert event.fields["pid"] == 19939
    assert event.message.startswith("authentication failure;")
    assert event.level == Level.ERROR
    assert stats.timestamps_inferred == 1


def test_rfc3164_in_node_zone(parse_text: ParseText) -> None:
    (event,), _ = parse_text("syslog", LINUX_LINE, tz=ZoneInfo("Asia/Shanghai"))

    assert event.timestamp == posix(2026, 6, 14, 7, 16, 1)


def test_line_without_tag(parse_text: ParseText) -> None:
    (event,), _ = parse_text("syslog", "Jun 19 04:09:11 combo syslogd 1.4.1: restart.")

    assert event.message == "syslogd 1.4.1: restart."
    assert "program" not in event.fields


def test_linux_loghub_file(parse_sample: ParseText) -> None:
    events, stats = parse_sample("loghub/Linux_2k.log", "syslog")
    months = {event.isotime()[:7] for event in events}

    assert stats.unparsed == 0
    assert len(events) == stats.lines_read
    assert months == {"2026-06", "2026-07"}


def test_openssh_loghub_file(parse_sample: ParseText) -> None:
    events, stats = parse_sample("loghub/OpenSSH_2k.log", "syslog")

    assert stats.unparsed == 0
    assert {event.node for event in events} == {"LabSZ"}
    assert {event.fields["program"] for event in events} == {"sshd"}
    assert events[0].isotime().startswith("2026-12-10T06:55:46")


def test_openssh_reference_in_january_gives_previous_year(parse_sample: ParseText) -> None:
    reference = posix(2027, 1, 5)

    events, _ = parse_sample("loghub/OpenSSH_2k.log", "syslog", reference_time=reference)

    assert events[0].isotime().startswith("2026-12-10")


def test_new_year_inside_file(parse_text: ParseText) -> None:
    text = ("Dec 31 23:59:59 node-01 installer[1]: last of the year\n"
            "Jan  1 00:00:02 node-01 installer[1]: first of the next\n")

    events, _ = parse_text("syslog", text, reference_time=posix(2027, 1, 1, 1))

    assert [event.isotime() for event in events] == ["2026-12-31T23:59:59.000Z",
                                                      "2027-01-01T00:00:02.000Z"]


def test_rsyslog_iso_line(parse_text: ParseText) -> None:
    line = ("2014-06-09T20:37:28.975070+02:00 node-08 kernel: [21028.143765] type=1400 "
            'audit(1402339048.973:1421): apparmor="ALLOWED" operation="open" '
            'profile="/home/bob/linuxtag/apparmor/scripts/hello" name="/dev/tty" pid=14335 '
            'comm="hello" requested_mask="rw" denied_mask="rw" fsuid=1000 ouid=0')

    (event,), stats = parse_text("syslog", line)

    assert event.node == "node-08"
    assert event.timestamp == pytest.approx(1402339048.973)
    assert event.level == Level.INFO
    assert event.fields["uptime"] == pytest.approx(21028.143765)
    assert stats.timestamps_inferred == 0


def test_rfc5424_line_priority(parse_text: ParseText) -> None:
    line = "<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - 'su root' failed"

    (event,), _ = parse_text("syslog", line)

    assert event.level == Level.CRITICAL
    assert event.node == "mymachine.example.com"
    assert event.fields["program"] == "su"
    assert event.message == "'su root' failed"
    assert event.timestamp == pytest.approx(posix(2003, 10, 11, 22, 14, 15) + 0.003)


def test_priority_prefix_on_rfc3164(parse_text: ParseText) -> None:
    (event,), _ = parse_text("syslog", "<30>Jun 14 15:16:01 combo cron[1]: job failed")

    assert event.level == Level.INFO


def test_apparmor_denial_in_kern_log(parse_text: ParseText) -> None:
    (event,), _ = parse_text("syslog", KERN_DENIED)

    assert event.level == Level.ERROR
    assert event.timestamp == pytest.approx(1279967133.365)
    assert event.fields["apparmor"] == "DENIED"
    assert event.fields["profile"] == "/usr/sbin/cupsd"
    assert event.fields["audit_id"] == "1279967133.365:54"
    assert event.message.startswith('apparmor="DENIED" operation="open"')
    assert event.raw == KERN_DENIED


def test_allowed_with_failure_words_is_info(parse_text: ParseText) -> None:
    line = ('Aug 13 22:15:30 node-02 kernel: audit: type=1400 audit(1534223730.194:56): '
            'apparmor="ALLOWED" operation="sendmsg" info="Failed name lookup - disconnected path" '
            'error=-13 profile="/usr/sbin/mysqld" name="run/systemd/notify" pid=2292')

    (event,), _ = parse_text("syslog", line)

    assert event.level == Level.INFO


def test_kernlog_samples(parse_sample: ParseText) -> None:
    events, stats = parse_sample("samples/apparmor-kernlog-syslog.log", "syslog")
    denied = [event for event in events if event.fields.get("apparmor") == "DENIED"]

    assert stats.unparsed == 0
    assert len(events) == stats.lines_read
    assert all(event.level == Level.ERROR for event in denied)
    assert len(denied) == 5


def test_dmesg_line_without_wall_clock(parse_text: ParseText) -> None:
    (event,), _ = parse_text("syslog", "[    2.345678] usb 1-1: new high-speed USB device",
                             default_node="node-03")

    assert event.timestamp is None
    assert event.fields["uptime"] == pytest.approx(2.345678)
    assert event.fields["program"] == "kernel"
    assert event.message == "usb 1-1: new high-speed USB device"
    assert event.node == "node-03"


def test_dmesg_audit_line_takes_audit_time(parse_sample: ParseText) -> None:
    path = "../cases/perm.apparmor_denied/globaleaks-dmesg-exec-gcc-denied.log"
    events, stats = parse_sample(path, "syslog")

    assert stats.parsed == 3
    assert [event.fields["name"] for event in events] == ["/sbin/ldconfig", "/usr/bin/gcc-4.6",
                                                           "/sbin/ldconfig"]
    assert events[0].timestamp == pytest.approx(1374659797.646)


def test_dmesg_ctime_stamp(parse_text: ParseText) -> None:
    line = "[Tue Nov  6 03:38:51 2018] Out of memory: Killed process 42"

    (event,), _ = parse_text("syslog", line)

    assert event.timestamp == posix(2018, 11, 6, 3, 38, 51)
    assert event.level == Level.CRITICAL


def test_grep_prefix(parse_sample: ParseText) -> None:
    path = "../cases/perm.apparmor_denied/tor2web-kernlog-grep-exec-denied.log"
    events, _ = parse_sample(path, "syslog")

    assert [event.fields["grep_file"] for event in events] == ["/var/log/kern.log"] * 2
    assert events[0].fields["profile"] == "usr.bin.tor2web"
    assert events[0].node == "node-01"


def test_journal_audit_transport_line(parse_sample: ParseText) -> None:
    events, _ = parse_sample("samples/apparmor-journal-short-mysqld.log", "syslog")

    assert [event.fields["program"] for event in events] == ["audit", "kernel"]
    assert all(event.fields["operation"] == "mknod" for event in events)
    assert all(event.level == Level.ERROR for event in events)


def test_journal_catalog_is_continuation(parse_sample: ParseText) -> None:
    events, stats = parse_sample("samples/apparmor-journal-short-mariadb-timeout.log", "syslog")

    assert stats.continuation == 7
    assert events[-1].message.startswith("Failed to start MariaDB 10.1.34 database server.\n"
                                         "-- Subject: Unit mariadb.service has failed")
    assert events[-1].level == Level.ERROR


def test_journal_markers_parsed_without_event(parse_text: ParseText) -> None:
    text = ("-- Logs begin at Mon 2026-11-30 10:00:00 UTC, end at Fri 2026-12-04 11:00:00 UTC. --\n"
            "Dec 04 10:00:00 node-01 systemd[1]: Started Example installer.\n"
            "-- Reboot --\n")

    events, stats = parse_text("syslog", text)

    assert len(events) == 1
    assert stats.parsed == 3


def test_systemd_exit_status(parse_text: ParseText) -> None:
    line = ("Dec 04 10:00:00 node-01 systemd[1]: log2ram.service: Main process exited, "
            "code=exited, status=203/EXEC")

    (event,), _ = parse_text("syslog", line)

    assert event.fields["exit_code"] == 203
    assert event.level == Level.ERROR


def test_oom_kill_is_critical(parse_text: ParseText) -> None:
    line = ("Dec 04 10:00:00 node-01 kernel: Out of memory: Killed process 4242 (compile) "
            "total-vm:2097152kB")

    (event,), _ = parse_text("syslog", line)

    assert event.level == Level.CRITICAL


def test_transaction_id_in_message(parse_text: ParseText) -> None:
    line = 'Dec 04 10:00:00 node-01 installer[77]: ERROR txn=run-0042 msg="go install failed"'

    (event,), _ = parse_text("syslog", line)

    assert event.transaction_id == "run-0042"
    assert event.level == Level.ERROR


def test_indented_line_continues(parse_text: ParseText) -> None:
    text = "Dec 04 10:00:00 node-01 app[7]: multi-line\n    second part\n"

    (event,), stats = parse_text("syslog", text)

    assert event.message == "multi-line\n    second part"
    assert stats.continuation == 1


def test_unparsed_line(parse_text: ParseText) -> None:
    events, stats = parse_text("syslog", LINUX_LINE + "\nnot a syslog line")

    assert len(events) == 1
    assert stats.unparsed_examples == [(2, "not a syslog line")]


def test_sniff_rejects_installer_lines() -> None:
    lines = ["2026-12-03T02:14:07.123Z ERROR go: downloading x v1.0.0"] * 3

    assert syslog.sniff(lines) == 0.0
