"""Time stamps as logs write them, turned into UTC POSIX seconds (float).

Forms read here:

* ISO-8601 and RFC 3339: ``2026-12-03T02:14:07.123Z``, ``2026-12-03 02:14:07,123``,
  ``2014-06-09T20:37:28.975070+02:00``. A stamp without a zone is read in the
  node's time zone (a `tzinfo` the caller passes, UTC by default).
* Syslog (RFC 3164) ``Jun 14 15:16:01``, which has no year and no zone. The zone is
  the node's; the year is inferred by `SyslogClock`, described there.
* ctime ``Tue Nov  6 03:38:51 2018`` (``ausearch`` separators, ``dmesg -T``).
* The audit stamp ``msg=audit(1700000000.123:4242)``: seconds, a dot, milliseconds.
* journald's microsecond counters (``__REALTIME_TIMESTAMP=1700000000123456``).

Parsers match the compiled patterns below at the start of a line and convert the
match, so each line is scanned once.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import re

MONTHS: dict[str, int] = {
    name: number
    for number, name in enumerate(
        ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
        start=1,
    )
}

# Groups: year, month, day, hour, minute, second, fraction, zone.
ISO_RE = re.compile(
    r"(\d{4})-(\d\d)-(\d\d)[T ](\d\d):(\d\d):(\d\d)(?:[.,](\d{1,9}))?(Z|z|[+-]\d\d(?::?\d\d)?)?"
)
ISO_ZONE_GROUP = 8

# Groups: month name, day, hour, minute, second, fraction.
_MONTH_NAMES = "|".join(MONTHS)
SYSLOG_RE = re.compile(rf"({_MONTH_NAMES}) +(\d{{1,2}}) (\d\d):(\d\d):(\d\d)(?:\.(\d{{1,9}}))?")

# Groups: month name, day, hour, minute, second, year.
CTIME_RE = re.compile(
    rf"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) ({_MONTH_NAMES}) +(\d{{1,2}}) (\d\d):(\d\d):(\d\d) (\d{{4}})"
)

# A line whose month is this far before the previous line's month starts a new year.
_YEAR_WRAP_MONTHS = 6
# A first line may be this far after the reference time and still be in its year.
FUTURE_TOLERANCE_SECONDS = 31 * 86400.0

_EPOCH_ORDINAL = dt.date(1970, 1, 1).toordinal()

# The range `datetime` can show: 0001-01-01 to 9999-12-31 UTC. A numeric stamp
# outside it is garbage (a damaged journal field, a counter taken for a time),
# and reports could not print it.
MIN_TIMESTAMP = -62135596800.0
MAX_TIMESTAMP = 253402300799.0

_Clock = tuple[int, int, int]  # hour, minute, second


@functools.lru_cache(maxsize=4096)
def _epoch_day(year: int, month: int, day: int) -> int:
    """Days from 1970-01-01 to a date; raises ValueError for an invalid date."""
    return dt.date(year, month, day).toordinal() - _EPOCH_ORDINAL


def wall_clock_seconds(
    year: int, month: int, day: int, hour: int, minute: int, second: int, tz: dt.tzinfo
) -> float | None:
    """Convert a wall-clock time in `tz` to POSIX seconds, or None if it is invalid."""
    if hour > 23 or minute > 59 or second > 60:
        return None
    try:
        days = _epoch_day(year, month, day)
    except ValueError:
        return None
    if tz is dt.UTC:
        return float(days * 86400 + hour * 3600 + minute * 60 + second)
    # Leap second 60 is folded into the next minute's first second.
    moment = dt.datetime(year, month, day, hour, minute, min(second, 59), tzinfo=tz)
    return moment.timestamp() + (second - min(second, 59))


def _fraction(digits: str | None) -> float:
    return float("0." + digits) if digits else 0.0


def _zone_offset(zone: str) -> int:
    """Seconds east of UTC for ``Z``, ``+08:00``, ``+0800`` or ``+08``."""
    if zone in ("Z", "z"):
        return 0
    sign = -1 if zone[0] == "-" else 1
    digits = zone[1:].replace(":", "")
    minutes = int(digits[2:4]) if len(digits) >= 4 else 0
    return sign * (int(digits[:2]) * 3600 + minutes * 60)


def iso_timestamp(match: re.Match[str], tz: dt.tzinfo = dt.UTC) -> float | None:
    """Convert a match of `ISO_RE` to POSIX seconds; a stamp without zone is in `tz`."""
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    if zone is None:
        base = wall_clock_seconds(
            int(year), int(month), int(day), int(hour), int(minute), int(second), tz
        )
        return None if base is None else base + _fraction(fraction)
    base = wall_clock_seconds(
        int(year), int(month), int(day), int(hour), int(minute), int(second), dt.UTC
    )
    if base is None:
        return None
    return base + _fraction(fraction) - _zone_offset(zone)


def iso_has_zone(match: re.Match[str]) -> bool:
    """True when a match of `ISO_RE` carries a zone (``Z`` or an offset)."""
    return match.group(ISO_ZONE_GROUP) is not None


def parse_iso(text: str, tz: dt.tzinfo = dt.UTC) -> float | None:
    """Parse a whole string as ISO-8601 / RFC 3339, or return None."""
    match = ISO_RE.fullmatch(text.strip())
    return None if match is None else iso_timestamp(match, tz)


def ctime_timestamp(match: re.Match[str], tz: dt.tzinfo = dt.UTC) -> float | None:
    """Convert a match of `CTIME_RE` (``Tue Nov  6 03:38:51 2018``) read in `tz`."""
    month, day, hour, minute, second, year = match.groups()
    return wall_clock_seconds(
        int(year), MONTHS[month], int(day), int(hour), int(minute), int(second), tz
    )


def audit_timestamp(seconds: str, millis: str) -> float | None:
    """Convert the parts of an audit stamp ``1700000000.123`` to POSIX seconds, or None."""
    return in_range(int(seconds) + int(millis) / 1000.0)


def in_range(timestamp: float) -> float | None:
    """Return `timestamp` if a date can show it (years 1 to 9999), else None."""
    return timestamp if MIN_TIMESTAMP <= timestamp <= MAX_TIMESTAMP else None


def microseconds_timestamp(value: str) -> float | None:
    """Convert journald's microseconds since the epoch (a decimal string) to seconds."""
    value = value.strip()
    if not value.isdigit() or not value.isascii():
        return None
    return in_range(int(value) / 1_000_000)


def epoch_number_timestamp(value: str) -> float | None:
    """Convert a numeric epoch in seconds, milliseconds, microseconds or nanoseconds.

    The unit is chosen by magnitude: below 1e11 it is seconds (up to the year 5138),
    below 1e14 milliseconds, below 1e17 microseconds, else nanoseconds.
    """
    try:
        number = float(value)
    except ValueError:
        return None
    if not (0 <= number < math.inf):  # also rejects NaN
        return None
    for limit, scale in ((1e11, 1.0), (1e14, 1e3), (1e17, 1e6)):
        if number < limit:
            return number / scale
    return in_range(number / 1e9)


class SyslogClock:
    """Assigns years to the year-less ``Mon DD HH:MM:SS`` stamps of one file.

    Syslog text has no year, so it is inferred from a reference time, normally the
    file's modification time (the last line was written shortly before it):

    * The first stamp gets the reference time's year, unless that puts it more than
      `FUTURE_TOLERANCE_SECONDS` (31 days) after the reference time: then it gets
      the previous year. A file written in late December whose modification time
      falls in January thus keeps its December lines in the old year.
    * Later stamps follow the month order of the file. A month at least six months
      before the previous line's month (December to January) starts the next year.
      The exception is a stamp that the next year would put more than the same
      tolerance after the reference time (a file whose lines are not in time
      order). That line keeps the current year, and the month order stays where
      it was.
    * A month at least six months after the previous one (a stray January line
      followed by a December one) belongs to the previous year and leaves the
      current year as is.

    The stamp is wall-clock time in the node's time zone.
    """

    __slots__ = ("_last_stamp", "_last_value", "_month", "_reference", "_reference_year", "_tz",
                 "_year")

    def __init__(self, reference_time: float, tz: dt.tzinfo = dt.UTC) -> None:
        self._reference = reference_time
        self._tz = tz
        self._reference_year = dt.datetime.fromtimestamp(reference_time, tz).year
        self._year: int | None = None
        self._month = 0
        # Busy logs repeat a stamp on consecutive lines; the last result is reused.
        self._last_stamp = ""
        self._last_value: float | None = None

    def timestamp(self, match: re.Match[str]) -> float | None:
        """Convert a match of `SYSLOG_RE` to POSIX seconds, inferring the year."""
        stamp = match.group(0)
        if stamp != self._last_stamp:
            self._last_value = self._convert(match)
            self._last_stamp = stamp
        return self._last_value

    def _convert(self, match: re.Match[str]) -> float | None:
        name, day_text, hour, minute, second, fraction = match.groups()
        month = MONTHS[name]
        day = int(day_text)
        clock = (int(hour), int(minute), int(second))
        year = self._year_for(month, day, clock)
        base = wall_clock_seconds(year, month, day, *clock, self._tz)
        return None if base is None else base + _fraction(fraction)

    def _year_for(self, month: int, day: int, clock: _Clock) -> int:
        if self._year is None:
            self._year = self._first_year(month, day, clock)
        elif self._month - month >= _YEAR_WRAP_MONTHS:
            if self._after_reference(self._year + 1, month, day, clock):
                return self._year
            self._year += 1
        elif month - self._month >= _YEAR_WRAP_MONTHS:
            return self._year - 1
        self._month = month
        return self._year

    def _first_year(self, month: int, day: int, clock: _Clock) -> int:
        year = self._reference_year
        if self._after_reference(year, month, day, clock):
            return year - 1
        return year

    def _after_reference(self, year: int, month: int, day: int, clock: _Clock) -> bool:
        """True when the stamp in `year` lies beyond the reference time's tolerance."""
        seconds = wall_clock_seconds(year, month, day, *clock, self._tz)
        return seconds is None or seconds > self._reference + FUTURE_TOLERANCE_SECONDS

