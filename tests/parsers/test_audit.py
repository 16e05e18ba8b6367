"""The audit parser: grouping records into events, decoding AVC and AppArmor denials."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from parser_helpers import ParseText, shared_file

from rca.model import Level, SourceKind
from rca.parsers import audit

NGINX_AVC = (
    "type=AVC msg=audit(1677601548.669:1599): avc:  denied  { name_bind } for  pid=26808 "
    'comm="nginx" src=12345 scontext=system_u:system_r:httpd_t:s0 '
    "tcontext=system_u:object_r:unreserved_port_t:s0 tclass=tcp_socket permissive=0"
)
NGINX_SYSCALL = (
    "type=SYSCALL msg=audit(1677601548.669:1599): arch=c000003e syscall=49 success=no exit=-13 "
    "a0=8 a1=55b9ec900ab0 a2=10 a3=7ffe401a8bb0 items=0 ppid=1 pid=26808 auid=4294967295 uid=0 "
    "gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=(none) ses=4294967295 comm=\"nginx\" "
    'exe="/usr/sbin/nginx" subj=system_u:system_r:httpd_t:s0 key=(null)'
)
NGINX_PROCTITLE = (
    "type=PROCTITLE msg=audit(1677601548.669:1599): proctitle=2F7573722F7362696E2F6E67696E78002D74"
)
APPARMOR_DENIED = (
    'type=AVC msg=audit(1279948288.415:39): apparmor="DENIED" operation="open" parent=12332 '
    'profile="/usr/sbin/cupsd" name="/home/alice/.ssh/" pid=12333 comm="ls" requested_mask="r" '
    'denied_mask="r" fsuid=0 ouid=1000'
)


def test_nginx_denial_is_one_event(parse_sample: ParseText) -> None:
    events, stats = parse_sample("samples/audit-avc-nginx-name-bind.log", "audit")

    assert len(events) == 2
    assert events[0].fields["record_types"] == ["AVC", "SYSCALL", "PROCTITLE"]
    assert stats.parsed == 4


def test_avc_fields_decoded(parse_text: ParseText) -> None:
    (event,), _ = parse_text("audit", "\n".join([NGINX_AVC, NGINX_SYSCALL, NGINX_PROCTITLE]))

    assert event.kind == SourceKind.AUDIT
    assert event.level == Level.ERROR
    assert event.fields["denied"] is True
    assert event.fields["permissions"] == ["name_bind"]
    assert event.fields["scontext"] == "system_u:system_r:httpd_t:s0"
    assert event.fields["tcontext"] == "system_u:object_r:unreserved_port_t:s0"
    assert event.fields["tclass"] == "tcp_socket"
    assert event.fields["comm"] == "nginx"
    assert event.fields["exe"] == "/usr/sbin/nginx"
    assert event.fields["pid"] == 26808
    assert event.fields["exit"] == -13
    assert event.fields["success"] == "no"
    assert event.fields["syscall"] == "49"
    assert event.fields["audit_id"] == "1677601548.669:1599"
    assert event.fields["serial"] == 1599


def test_proctitle_hex_decoded_with_spaces(parse_text: ParseText) -> None:
    (event,), _ = parse_text("audit", NGINX_PROCTITLE)

    assert event.fields["proctitle"] == "/usr/sbin/nginx -t"


def test_avc_message_summary(parse_text: ParseText) -> None:
    (event,), _ = parse_text("audit", "\n".join([NGINX_AVC, NGINX_SYSCALL]))

    assert event.message == (
        'avc: denied { name_bind } for comm="nginx" src=12345 '
        "scontext=system_u:system_r:httpd_t:s0 tcontext=system_u:object_r:unreserved_port_t:s0 "
        "tclass=tcp_socket"
    )


def test_raw_keeps_every_record(parse_text: ParseText) -> None:
    (event,), _ = parse_text("audit", "\n".join([NGINX_AVC, NGINX_SYSCALL, NGINX_PROCTITLE]))

    assert event.raw.split("\n") == [NGINX_AVC, NGINX_SYSCALL, NGINX_PROCTITLE]


def test_event_time_from_audit_stamp(parse_text: ParseText) -> None:
    (event,), _ = parse_text("audit", NGINX_AVC)

    assert event.timestamp == pytest.approx(1677601548.669)
    assert event.isotime() == "2023-02-28T16:25:48.669Z"


def test_records_out_of_order_join(parse_text: ParseText) -> None:
    (event,), _ = parse_text("audit", "\n".join([NGINX_SYSCALL, NGINX_PROCTITLE, NGINX_AVC]))

    assert event.fields["record_types"] == ["SYSCALL", "PROCTITLE", "AVC"]
    assert event.fields["comm"] == "nginx"
    assert event.level == Level.ERROR
    assert str(event.origin) == "test.log:1"


def test_identical_record_counted_as_duplicate(parse_text: ParseText) -> None:
    (event,), stats = parse_text("audit", "\n".join([NGINX_AVC, NGINX_SYSCALL, NGINX_AVC]))

    assert stats.duplicates == 1
    assert event.raw.count("avc:") == 1


def test_interleaved_events_keep_first_line_order(parse_text: ParseText) -> None:
    other = NGINX_AVC.replace(":1599)", ":1600)")
    lines = [NGINX_AVC, other, NGINX_SYSCALL, other.replace("type=AVC", "type=CWD")]

    events, _ = parse_text("audit", "\n".join(lines))

    assert [event.fields["serial"] for event in events] == [1599, 1600]
    assert [event.sequence for event in events] == [1, 2]


def test_service_start_failed_is_error(parse_sample: ParseText) -> None:
    events, _ = parse_sample("samples/audit-avc-nginx-name-bind.log", "audit")
    service = events[1]

    assert service.fields["record_types"] == ["SERVICE_START"]
    assert service.fields["unit"] == "nginx"
    assert service.fields["res"] == "failed"
    assert service.level == Level.ERROR


def test_service_start_success_is_info(parse_sample: ParseText) -> None:
    events, _ = parse_sample("samples/audit-node-prefix-cent7.log", "audit")
    services = [event for event in events if event.fields["record_types"] == ["SERVICE_START"]]

    assert services
    assert all(event.level == Level.INFO for event in services)


def test_node_prefix_gives_host_and_node(parse_sample: ParseText) -> None:
    events, stats = parse_sample("samples/audit-node-prefix-cent7.log", "audit")

    assert stats.unparsed == 0
    assert {event.node for event in events} == {"node-01.example.com"}
    assert {event.fields["host"] for event in events} == {"node-01.example.com"}


def test_layout_node_wins_over_prefix(parse_text: ParseText) -> None:
    (event,), _ = parse_text("audit", "node=node-02 " + NGINX_AVC, node="build-01")

    assert event.node == "build-01"
    assert event.fields["host"] == "node-02"


def test_same_serial_on_two_nodes_is_two_events(parse_text: ParseText) -> None:
    text = "node=node-01 " + NGINX_AVC + "\nnode=node-02 " + NGINX_AVC

    events, stats = parse_text("audit", text)

    assert [event.node for event in events] == ["node-01", "node-02"]
    assert stats.duplicates == 0


def test_multihost_edge_cases(parse_sample: ParseText) -> None:
    events, stats = parse_sample("samples/audit-avc-multihost-edgecases.log", "audit")

    without_host = [event.fields["serial"] for event in events if "host" not in event.fields]

    assert stats.unparsed == 0
    assert stats.duplicates == 1
    assert without_host == [1129]


def test_glued_records_share_event_and_node(parse_sample: ParseText) -> None:
    events, _ = parse_sample("samples/audit-avc-multihost-edgecases.log", "audit")
    (qemu,) = [event for event in events if event.fields.get("comm") == "qemu-kvm"]

    assert qemu.fields["record_types"] == ["AVC", "SYSCALL"]
    assert qemu.node == "node-11"
    assert qemu.fields["exe"] == "/usr/bin/qemu-kvm"


def test_glued_path_and_cwd_records(parse_sample: ParseText) -> None:
    events, _ = parse_sample("samples/audit-avc-multihost-edgecases.log", "audit")
    (automount,) = [event for event in events if event.fields.get("comm") == "automount"]

    assert automount.fields["record_types"] == ["PATH", "CWD", "SYSCALL", "AVC"]
    assert automount.fields["path"] == "/etc/auto.net"
    assert automount.fields["cwd"] == "/"


def test_same_key_far_apart_is_a_new_event(parse_sample: ParseText) -> None:
    events, _ = parse_sample("samples/audit-avc-multihost-edgecases.log", "audit")
    serial_910 = [event for event in events if event.fields["serial"] == 910]

    assert [event.fields["comm"] for event in serial_910] == ["vsftpd", "vssmbd"]


def test_relative_path_joined_with_cwd(parse_sample: ParseText) -> None:
    events, _ = parse_sample("samples/audit-avc-postfix-auparse.log", "audit")

    assert events[0].fields["path"] == "/var/spool/postfix/maildrop"
    assert events[0].fields["name"] == "maildrop"
    assert events[0].fields["permissions"] == ["read", "write"]


def test_old_pam_message_form(parse_sample: ParseText) -> None:
    events, _ = parse_sample("samples/audit-avc-postfix-auparse.log", "audit")
    user_acct = events[1]

    assert user_acct.fields["record_types"] == ["USER_ACCT"]
    assert user_acct.fields["acct"] == "root"
    assert user_acct.fields["exe"] == "/usr/sbin/crond"
    assert user_acct.fields["res"] == "success"
    assert user_acct.level == Level.INFO


def test_apparmor_denied(parse_text: ParseText) -> None:
    (event,), _ = parse_text("audit", APPARMOR_DENIED)

    assert event.level == Level.ERROR
    assert event.fields["apparmor"] == "DENIED"
    assert event.fields["operation"] == "open"
    assert event.fields["profile"] == "/usr/sbin/cupsd"
    assert event.fields["name"] == "/home/alice/.ssh/"
    assert event.fields["requested_mask"] == "r"
    assert event.fields["denied_mask"] == "r"
    assert event.message == ('apparmor="DENIED" operation="open" profile="/usr/sbin/cupsd" '
                             'name="/home/alice/.ssh/" comm="ls" requested_mask="r" '
                             'denied_mask="r"')


def test_apparmor_allowed_is_info(parse_text: ParseText) -> None:
    (event,), _ = parse_text("audit", APPARMOR_DENIED.replace("DENIED", "ALLOWED"))

    assert event.level == Level.INFO
    assert event.fields["denied"] is False


def test_apparmor_samples_decode_hex(parse_sample: ParseText) -> None:
    events, stats = parse_sample("samples/apparmor-audit-log.log", "audit")

    assert stats.lines_read == len(events) == 9
    assert events[6].fields["name"] == ("/home/www/foo.example.com/httpdocs/apparmor/images/"
                                        "test/image 1.jpg")
    assert events[7].fields["profile"] == "foo bar"


def test_enriched_line_not_split_at_group_separator(parse_sample: ParseText) -> None:
    events, _ = parse_sample("samples/apparmor-audit-log.log", "audit")
    enriched = events[5]

    assert enriched.fields["enriched"] == {"FSUID": "alice", "OUID": "root"}
    assert enriched.fields["name"] == "/home/alice/.config/kdedefaults/kdeglobals"
    assert "\x1d" in enriched.raw


def test_enriched_syscall_values(parse_text: ParseText) -> None:
    line = NGINX_SYSCALL + '\x1dARCH=x86_64 SYSCALL=bind AUID="unset" UID="root"'

    (event,), _ = parse_text("audit", line)

    assert event.fields["enriched"]["SYSCALL"] == "bind"
    assert event.fields["syscall"] == "49"


def test_user_avc_nested_message(parse_sample: ParseText) -> None:
    path = "../cases/perm.selinux_avc/user-avc-systemctl-restart-denied.log"
    events, _ = parse_sample(path, "audit")
    event = events[0]

    assert event.level == Level.ERROR
    assert event.fields["record_types"] == ["USER_AVC"]
    assert event.fields["permissions"] == ["start"]
    assert event.fields["tclass"] == "service"
    assert event.fields["scontext"] == "toor_u:toor_r:toor_t:s0"
    assert event.fields["exe"] == "/usr/lib/systemd/systemd"
    assert event.fields["cmdline"] == "systemctl restart rsyslog.service"
    assert event.message.startswith("avc: denied { start } for")


def test_ausearch_separators(parse_sample: ParseText) -> None:
    path = "../cases/perm.selinux_avc/podman-rootless-build-ausearch.log"
    events, stats = parse_sample(path, "audit")

    assert stats.parsed == stats.lines_read
    assert [event.fields["record_types"] for event in events] == [
        ["AVC"], ["PROCTITLE", "SYSCALL", "AVC"],
    ]
    assert events[1].fields["permissions"] == ["map"]
    assert events[1].fields["path"] == "/usr/bin/bash"


def test_ausearch_interpreted_stamp_in_node_zone(parse_text: ParseText) -> None:
    line = ("type=SYSCALL msg=audit(11/06/2018 11:38:51.656:487) : arch=x86_64 syscall=execve "
            "success=no exit=EACCES(Permission denied) comm=sh exe=/usr/bin/bash")

    (event,), _ = parse_text("audit", line, tz=ZoneInfo("Asia/Shanghai"))

    expected = dt.datetime(2018, 11, 6, 3, 38, 51, 656000, tzinfo=dt.UTC).timestamp()
    assert event.timestamp == pytest.approx(expected)
    assert event.fields["syscall"] == "execve"
    assert event.fields["exit"] == "EACCES(Permission denied)"


def test_ausearch_two_digit_year(parse_text: ParseText) -> None:
    line = "type=CWD msg=audit(03/10/22 18:48:20.282:283) : cwd=/"

    (event,), _ = parse_text("audit", line)

    assert event.isotime() == "2022-03-10T18:48:20.282Z"
    assert event.fields["cwd"] == "/"


def test_eoe_record_closes_event(parse_text: ParseText) -> None:
    eoe = "type=EOE msg=audit(1677601548.669:1599): "
    late = NGINX_PROCTITLE

    events, stats = parse_text("audit", "\n".join([NGINX_AVC, eoe, late]))

    assert len(events) == 2
    assert events[0].fields["record_types"] == ["AVC"]
    assert stats.parsed == 3


def test_unparsed_line_counted(parse_text: ParseText) -> None:
    events, stats = parse_text("audit", NGINX_AVC + "\nthis is not an audit record")

    assert len(events) == 1
    assert stats.unparsed_examples == [(2, "this is not an audit record")]


def test_mixed_record_types_all_parse(parse_sample: ParseText) -> None:
    events, stats = parse_sample("samples/audit-mixed-record-types.log", "audit")

    assert stats.unparsed == 0
    assert len(events) == stats.lines_read
    by_serial = {event.fields["serial"]: event for event in events}
    assert by_serial[19600329].fields["cmd"] == \
        "/usr/lib64/nagios/plugins/check_asterisk_sip_peers -p 202"
    assert by_serial[18877199].fields["exe"] == "/usr/libexec/strongswan/charon (deleted)"


def test_selinux_and_apparmor_share_serial(parse_sample: ParseText) -> None:
    events, _ = parse_sample("samples/audit-avc-selinux-and-apparmor-beats.log", "audit")

    assert len(events) == 2
    assert events[1].fields["apparmor"] == "DENIED"
    assert events[1].fields["record_types"] == ["AVC"]
    assert "seresult=1" in events[1].raw


@pytest.mark.parametrize(
    ("message", "tag", "apparmor", "level"),
    [
        ('audit: type=1400 audit(1534223730.194:56): apparmor="DENIED" operation="sendmsg" '
         'profile="/usr/sbin/mysqld" name="run/systemd/notify" pid=2292 comm="mysqld"',
         "kernel", "DENIED", Level.ERROR),
        ('AVC apparmor="DENIED" operation="sendmsg" profile="/usr/sbin/mysqld" '
         'name="run/systemd/notify" pid=2292 comm="mysqld"', "audit", "DENIED", Level.ERROR),
        ('apparmor="DENIED" operation="dbus_method_call"  bus="session" '
         'name="org.freedesktop.DBus" mask="send" pid=2922', "dbus", "DENIED", Level.ERROR),
        ('type=1502 audit(1225263601.980:37699): operation="inode_permission" '
         'requested_mask="r::" denied_mask="r::" fsuid=0 name="/bin/dash" pid=1144',
         "kernel", "ALLOWED", Level.INFO),
    ],
    ids=["printk", "journal-audit-transport", "dbus", "legacy-1502"],
)
def test_decode_payload(message: str, tag: str, apparmor: str, level: Level) -> None:
    payload = audit.decode_payload(message, tag)

    assert payload is not None
    assert payload.fields["apparmor"] == apparmor
    assert payload.level == level


def test_decode_payload_stamp() -> None:
    payload = audit.decode_payload(
        'audit: type=1400 audit(1534223730.194:56): apparmor="DENIED" operation="open"')

    assert payload is not None
    assert payload.time == pytest.approx(1534223730.194)
    assert payload.fields["audit_id"] == "1534223730.194:56"


def test_decode_payload_plain_text() -> None:
    assert audit.decode_payload("usb 1-1: new high-speed USB device", "kernel") is None


def test_sniff_scores_audit_lines() -> None:
    sample = shared_file("samples", "audit-avc-sepolgen-avcpath.log").read_text().split("\n")

    assert audit.sniff(sample) == 1.0


def test_open_event_limit_flushes_oldest(parse_text: ParseText,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(audit, "MAX_OPEN_EVENTS", 2)
    lines = [NGINX_AVC.replace(":1599)", f":{serial})") for serial in (1, 2, 3)]
    lines.append(NGINX_SYSCALL.replace(":1599)", ":1)"))

    events, _ = parse_text("audit", "\n".join(lines))

    assert [event.fields["serial"] for event in events] == [1, 2, 3, 1]
    assert [event.fields["record_types"] for event in events][-1] == ["SYSCALL"]
