"""The data-quality section: line counts per format, skipped files and clock offsets."""

from __future__ import annotations

from rca.model import FileStats, Investigation
from rca.report.quality import build_data_quality

from .report_fixtures import build_investigation


def test_totals_leave_out_skipped_files() -> None:
    quality = build_data_quality(build_investigation(), "en")

    assert quality.totals.files == 3
    assert quality.totals.lines_read == 250
    assert [row.path for row in quality.skipped] == ["node-a/core.bin"]


def test_file_without_format_counted_as_unknown() -> None:
    investigation = Investigation(
        sources=["x"], files=[FileStats(path="a.log", lines_read=2, unparsed=2)]
    )

    quality = build_data_quality(investigation, "zh-CN")

    assert [row.format for row in quality.formats] == ["未知"]
    assert quality.formats[0].unparsed == 2


def test_clock_offset_labels() -> None:
    investigation = Investigation(sources=["x"], clock_offsets={"b": (-0.25, 0.004)})

    row = build_data_quality(investigation, "en").clock_offsets[0]

    assert row.offset == "-0.250 s"
    assert row.uncertainty == "±0.004 s"


def test_skimmed_and_clock_steps_summed() -> None:
    files = [
        FileStats(path="a.log", format="syslog", lines_read=10, parsed=4, skimmed=6,
                  clock_steps=1),
        FileStats(path="b.log", format="syslog", lines_read=5, parsed=3, duplicates=1,
                  skimmed=1, clock_steps=2),
    ]

    quality = build_data_quality(Investigation(sources=["x"], files=files), "en")

    assert quality.formats[0].skimmed == 7
    assert quality.formats[0].clock_steps == 3
    assert quality.totals.skimmed == 7
    assert [row.clock_steps for row in quality.files] == [1, 2]


def test_uncounted_unassigned_events_kept_as_none() -> None:
    investigation = Investigation(sources=["x"], unassigned_events=None)

    assert build_data_quality(investigation, "en").unassigned_events is None
