"""CLI helpers: time parsing and atomic output."""

from pathlib import Path

import pytest

from rca.cli import _write_output, parse_time
from rca.errors import UsageError
from rca.testing.events import at


def test_iso_time_with_zone():
    assert parse_time("2026-12-03T02:00:00Z", "--since") == at("02:00:00")


def test_iso_time_without_zone_is_utc():
    assert parse_time("2026-12-03T02:00:00", "--since") == at("02:00:00")


def test_iso_time_with_offset():
    assert parse_time("2026-12-03T10:00:00+08:00", "--since") == at("02:00:00")


@pytest.mark.parametrize(("text", "seconds"), [("90m", 5400), ("12h", 43200), ("7d", 604800),
                                                ("30s", 30), ("1w", 604800)],
                         ids=["minutes", "hours", "days", "seconds", "weeks"])
def test_age_counts_back_from_now(text, seconds):
    assert parse_time(text, "--since", now=1_000_000.0) == 1_000_000.0 - seconds


def test_none_stays_none():
    assert parse_time(None, "--since") is None


def test_invalid_time_names_option_and_value():
    with pytest.raises(UsageError, match="--until 'yesterday'"):
        parse_time("yesterday", "--until")


def test_output_file_written_whole(tmp_path):
    target = tmp_path / "report.md"

    _write_output("# report\n", str(target))

    assert target.read_text() == "# report\n"
    assert [path.name for path in tmp_path.iterdir()] == ["report.md"]


def test_output_to_device_writes_through():
    _write_output("# report\n", "/dev/null")

    assert Path("/dev/null").is_char_device()


def test_output_from_writer_function(tmp_path):
    target = tmp_path / "report.json"

    _write_output(lambda stream: stream.write('{"transactions": []}\n'), str(target))

    assert target.read_text() == '{"transactions": []}\n'
