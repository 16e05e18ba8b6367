"""Time stamp parsing: ISO-8601, syslog year inference, audit and journald stamps."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from zoneinfo import ZoneInfo

import pytest

from rca.parsers.timestamps import (
    CTIME_RE,
    SYSLOG_RE,
    SyslogClock,
    audit_timestamp,
    ctime_timestamp,
    epoch_number_timestamp,
    microseconds_timestamp,
    parse_iso,
)

UTC = dt.UTC
SHANGHAI = ZoneInfo("Asia/Shanghai")


def posix(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0,
          micro: int = 0, tz: dt.tzinfo = UTC) -> float:
    return dt.datetime(year, month, day, hour, minute, second, micro, tzinfo=tz).timestamp()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-12-03T02:14:07.123Z", posix(2026, 12, 3, 2, 14, 7, 123000)),
        ("2026-12-03 02:14:07,123", posix(2026, 12, 3, 2, 14, 7, 123000)),
        ("2026-12-03T10:14:07+08:00", posix(2026, 12, 3, 2, 14, 7)),
        ("2026-12-03T10:14:07+0800", posix(2026, 12, 3, 2, 14, 7)),
        ("2026-12-02T21:14:07-05", posix(2026, 12, 3, 2, 14, 7)),
        ("2014-06-09T20:37:28.975070+02:00", posix(2014, 6, 9, 18, 37, 28, 975070)),
        ("2026-12-03T02:14:07", posix(2026, 12, 3, 2, 14, 7)),
        ("2026-12-03T02:14:07.123456789Z", posix(2026, 12, 3, 2, 14, 7, 123456)),
    ],
    ids=["z-millis", "space-comma", "offset-colon", "offset-compact", "offset-hours",
         "rfc3339-micros", "no-zone", "nanos"],
)
def test_parse_iso_forms(text: str, expected: float) -> None:
    assert parse_iso(text) == pytest.approx(expected, abs=1e-6)


def test_parse_iso_without_zone_uses_node_zone() -> None:
    assert parse_iso("2026-12-03 10:14:07", SHANGHAI) == posix(2026, 12, 3, 2, 14, 7)


def test_parse_iso_with_zone_ignores_node_zone() -> None:
    assert parse_iso("2026-12-03T02:14:07Z", SHANGHAI) == posix(2026, 12, 3, 2, 14, 7)


@pytest.mark.parametrize(
    "text",
    ["2026-13-03T02:14:07Z", "2026-02-30T02:14:07Z", "2026-12-03T25:14:07Z", "not a time", ""],
    ids=["month-13", "feb-30", "hour-25", "words", "empty"],
)
def test_parse_iso_rejects_invalid(text: str) -> None:
    assert parse_iso(text) is None


def clock_at(reference: dt.datetime, tz: dt.tzinfo = UTC) -> SyslogClock:
    return SyslogClock(reference.timestamp(), tz)


def syslog_time(clock: SyslogClock, stamp: str) -> float | None:
    match = SYSLOG_RE.match(stamp)
    assert match is not None, stamp
    return clock.timestamp(match)


def test_syslog_year_is_reference_year() -> None:
    clock = clock_at(dt.datetime(2026, 6, 20, tzinfo=UTC))

    assert syslog_time(clock, "Jun 14 15:16:01") == posix(2026, 6, 14, 15, 16, 1)


def test_syslog_december_in_january_previous_year() -> None:
    clock = clock_at(dt.datetime(2027, 1, 3, tzinfo=UTC))

    assert syslog_time(clock, "Dec 31 23:59:58") == posix(2026, 12, 31, 23, 59, 58)


def test_syslog_line_slightly_after_reference_keeps_year() -> None:
    clock = clock_at(dt.datetime(2026, 6, 1, tzinfo=UTC))

    assert syslog_time(clock, "Jun 20 08:00:00") == posix(2026, 6, 20, 8)


def test_syslog_file_spanning_new_year_bumps_year() -> None:
    clock = clock_at(dt.datetime(2027, 1, 2, tzinfo=UTC))

    first = syslog_time(clock, "Dec 31 23:59:59")
    second = syslog_time(clock, "Jan  1 00:00:01")

    assert first == posix(2026, 12, 31, 23, 59, 59)
    assert second == posix(2027, 1, 1, 0, 0, 1)


def test_syslog_month_back_by_one_keeps_year() -> None:
    clock = clock_at(dt.datetime(2026, 3, 1, tzinfo=UTC))

    syslog_time(clock, "Feb  1 00:00:00")
    earlier = syslog_time(clock, "Jan 31 23:59:59")

    assert earlier == posix(2026, 1, 31, 23, 59, 59)


def test_syslog_stray_late_month_is_previous_year() -> None:
    clock = clock_at(dt.datetime(2026, 2, 1, tzinfo=UTC))

    syslog_time(clock, "Jan 10 00:00:00")
    stray = syslog_time(clock, "Dec 30 00:00:00")
    after = syslog_time(clock, "Jan 11 00:00:00")

    assert stray == posix(2025, 12, 30)
    assert after == posix(2026, 1, 11)


def test_syslog_wrap_beyond_reference_keeps_year() -> None:
    clock = clock_at(dt.datetime(2026, 12, 4, tzinfo=UTC))

    syslog_time(clock, "Sep  9 12:51:50")
    unordered = syslog_time(clock, "Mar  3 07:48:21")

    assert unordered == posix(2026, 3, 3, 7, 48, 21)


def test_syslog_stamp_read_in_node_zone() -> None:
    clock = clock_at(dt.datetime(2026, 6, 20, tzinfo=UTC), SHANGHAI)

    assert syslog_time(clock, "Jun 14 08:00:00") == posix(2026, 6, 14, 0, 0, 0)


def test_syslog_fraction_kept() -> None:
    clock = clock_at(dt.datetime(2026, 12, 10, tzinfo=UTC))

    assert syslog_time(clock, "Dec 07 12:17:08.250") == posix(2026, 12, 7, 12, 17, 8, 250000)


def test_syslog_february_29_in_leap_year() -> None:
    clock = clock_at(dt.datetime(2028, 3, 1, tzinfo=UTC))

    assert syslog_time(clock, "Feb 29 10:00:00") == posix(2028, 2, 29, 10)


def test_syslog_february_29_goes_to_previous_leap_year() -> None:
    clock = clock_at(dt.datetime(2029, 1, 10, tzinfo=UTC))

    assert syslog_time(clock, "Feb 29 10:00:00") == posix(2028, 2, 29, 10)


def test_ctime_stamp() -> None:
    match = CTIME_RE.match("Tue Nov  6 03:38:51 2018")
    assert match is not None

    assert ctime_timestamp(match) == posix(2018, 11, 6, 3, 38, 51)


def test_audit_stamp_millis() -> None:
    assert audit_timestamp("1677601548", "669") == pytest.approx(1677601548.669)


def test_journald_microseconds() -> None:
    assert microseconds_timestamp("1724080855230058") == pytest.approx(1724080855.230058)


def test_journald_microseconds_rejects_text() -> None:
    assert microseconds_timestamp("soon") is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1700000000", 1700000000.0),
        ("1700000000.5", 1700000000.5),
        ("1700000000123", 1700000000.123),
        ("1700000000123456", 1700000000.123456),
        ("1700000000123456789", 1700000000.123456789),
    ],
    ids=["seconds", "fraction", "millis", "micros", "nanos"],
)
def test_epoch_number_units(value: str, expected: float) -> None:
    assert epoch_number_timestamp(value) == pytest.approx(expected)


@pytest.mark.parametrize("value", ["-5", "nan", "inf", "yesterday"],
                         ids=["negative", "nan", "inf", "words"])
def test_epoch_number_rejects(value: str) -> None:
    assert epoch_number_timestamp(value) is None


@pytest.mark.parametrize(
    "convert",
    [
        lambda: microseconds_timestamp("179698080746000096980807460000"),
        lambda: epoch_number_timestamp("1e30"),
        lambda: audit_timestamp("99999999999999", "123"),
    ],
    ids=["journald-microseconds", "epoch-number", "audit"],
)
def test_stamp_beyond_year_9999_rejected(convert: Callable[[], float | None]) -> None:
    assert convert() is None
