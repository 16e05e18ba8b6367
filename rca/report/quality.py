"""The data-quality section of a report: which files were read, and how well.

Every line of an input file is counted in one bucket (parsed, not parsed,
continuation, duplicate, skimmed by the streaming scan), so the buckets add up
to the lines read, and skipped files keep their reason. Backward clock steps
are counted per file beside the buckets. The section also
shows events that joined no run and the estimated clock offset of each node.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from rca import i18n
from rca.model import FileStats, Investigation
from rca.report.text import clip, printable

# Characters of an unparsed line shown as an example.
EXAMPLE_LIMIT = 300


@dataclass(frozen=True, slots=True)
class FileRow:
    """Line accounting of one input file, with the reason in `skipped` when it was not read."""

    path: str
    node: str
    format: str
    skipped: str | None
    lines_read: int
    parsed: int
    unparsed: int
    continuation: int
    duplicates: int
    skimmed: int
    timestamps_inferred: int
    clock_steps: int
    warnings: list[str]
    unparsed_examples: list[tuple[int, str]]


@dataclass(slots=True)
class FormatRow:
    """Line accounting summed over the files read with one format."""

    format: str
    files: int = 0
    lines_read: int = 0
    parsed: int = 0
    unparsed: int = 0
    continuation: int = 0
    duplicates: int = 0
    skimmed: int = 0
    timestamps_inferred: int = 0
    clock_steps: int = 0

    def add(self, stats: FileStats) -> None:
        self.files += 1
        self.lines_read += stats.lines_read
        self.parsed += stats.parsed
        self.unparsed += stats.unparsed
        self.continuation += stats.continuation
        self.duplicates += stats.duplicates
        self.skimmed += stats.skimmed
        self.timestamps_inferred += stats.timestamps_inferred
        self.clock_steps += stats.clock_steps


@dataclass(frozen=True, slots=True)
class ClockOffsetRow:
    node: str
    offset: str
    uncertainty: str


@dataclass(frozen=True, slots=True)
class DataQualityView:
    files: list[FileRow]
    formats: list[FormatRow]
    totals: FormatRow
    skipped: list[FileRow]
    unassigned_events: int | None
    """None when the source did not count events outside every run."""
    clock_offsets: list[ClockOffsetRow]
    window_margin: str


def build_data_quality(investigation: Investigation, lang: str) -> DataQualityView:
    """Build the data-quality section: line counts per file, per format and in total,
    skipped files, events outside every run, and clock offsets."""
    _ = i18n.gettext(lang)
    files = [_file_row(stats) for stats in investigation.files]
    formats: dict[str, FormatRow] = {}
    totals = FormatRow(format="")
    for stats in investigation.files:
        if stats.skipped is not None:
            continue
        name = stats.format or _("unknown")
        formats.setdefault(name, FormatRow(format=name)).add(stats)
        totals.add(stats)

    # Each pair is (estimated offset, uncertainty) in seconds. The uncertainty is
    # infinite when no ordered pair of events bounds the node's clock.
    offsets = [
        ClockOffsetRow(
            node=printable(node),
            offset=_seconds_label(offset, lang, signed=True),
            uncertainty=(
                "±" + _seconds_label(uncertainty, lang)
                if math.isfinite(uncertainty) else _("unbounded")
            ),
        )
        for node, (offset, uncertainty) in sorted(investigation.clock_offsets.items())
    ]
    return DataQualityView(
        files=files,
        formats=sorted(formats.values(), key=lambda row: row.format),
        totals=totals,
        skipped=[row for row in files if row.skipped is not None],
        unassigned_events=investigation.unassigned_events,
        clock_offsets=offsets,
        window_margin=_("%(seconds)s s") % {
            "seconds": i18n.format_number(investigation.window_margin, lang)
        },
    )


def _file_row(stats: FileStats) -> FileRow:
    return FileRow(
        path=printable(stats.path),
        node=printable(stats.node),
        format=stats.format,
        skipped=printable(stats.skipped) if stats.skipped is not None else None,
        lines_read=stats.lines_read,
        parsed=stats.parsed,
        unparsed=stats.unparsed,
        continuation=stats.continuation,
        duplicates=stats.duplicates,
        skimmed=stats.skimmed,
        timestamps_inferred=stats.timestamps_inferred,
        clock_steps=stats.clock_steps,
        warnings=[printable(warning) for warning in stats.warnings],
        unparsed_examples=[
            (number, clip(printable(text), EXAMPLE_LIMIT))
            for number, text in stats.unparsed_examples
        ],
    )


def _seconds_label(seconds: float, lang: str, *, signed: bool = False) -> str:
    _ = i18n.gettext(lang)
    number = f"{seconds:+.3f}" if signed else f"{seconds:.3f}"
    return _("%(seconds)s s") % {"seconds": number}
