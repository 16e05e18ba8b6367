"""Turn an investigation into the localized values the Markdown and HTML templates print.

Everything here is plain text: log-derived strings are made printable and cut to a
readable length, and the templates escape them for their format. Numbers stay
numbers so each template formats them, and words a person reads come from the
catalog of the report's language. Kibana Discover URLs (``url`` fields) are set
only when the report is built with Kibana settings, and are None otherwise.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import ClassVar, Final
from urllib.parse import urlsplit

from rca import i18n
from rca.model import UNKNOWN_CAUSE, Diagnosis, Event, Investigation, Level, Transaction
from rca.report.describe import CauseDescriber, CauseText
from rca.report.jsondoc import is_rule_decision
from rca.report.links import RunLinks, run_links
from rca.report.quality import DataQualityView, build_data_quality
from rca.report.text import clip, one_line, printable
from rca.report.timeline import LaneChart, build_lanes, find_event, select_timeline
from rca.settings import KibanaSettings

logger = logging.getLogger(__name__)

# Characters of a log message shown in a table cell, and in the first-error block.
CELL_MESSAGE_LIMIT: Final = 300
BLOCK_MESSAGE_LIMIT: Final = 4000
TOOLTIP_MESSAGE_LIMIT: Final = 160
# Evidence events listed per diagnosis; the rest are counted as omitted.
EVIDENCE_LIMIT: Final = 20
NO_TIME: Final = "—"


@dataclass(frozen=True, slots=True)
class EventRow:
    """One event as a timeline or evidence row."""

    omitted: ClassVar[int] = 0

    time: str
    node: str
    kind: str
    level: str
    level_class: str
    message: str
    origin: str
    is_error: bool
    is_first_error: bool = False
    node_url: str | None = None


@dataclass(frozen=True, slots=True)
class OmittedRow:
    """A gap in a shortened timeline: how many events are not shown there."""

    omitted: int


@dataclass(frozen=True, slots=True)
class MarkView:
    """One mark on a node's lane, whose `tooltip` names the time, the count and a message."""

    position: float
    level_class: str
    tooltip: str
    is_first_error: bool


@dataclass(frozen=True, slots=True)
class LaneView:
    node: str
    marks: list[MarkView]
    event_count: int
    has_first_error: bool
    url: str | None = None


@dataclass(frozen=True, slots=True)
class LaneChartView:
    """The cross-node timeline: one lane per node on a common time axis."""

    lanes: list[LaneView]
    start: str
    end: str
    first_error_position: float | None
    untimed_events: int


@dataclass(frozen=True, slots=True)
class FixView:
    text: str
    command: str | None


@dataclass(frozen=True, slots=True)
class ReferenceView:
    """A reference from the knowledge base, with `url` set only for an http(s) address."""

    text: str
    url: str | None


@dataclass(frozen=True, slots=True)
class DiagnosisView:
    """The root cause of a failed run in the report's language (`cause` is None if undiagnosed)."""

    cause: str | None
    title: str
    explanation: str
    confidence: str = ""
    decided_by: str = ""
    remedy: str = ""
    remedy_label: str = ""
    fixes: list[FixView] = field(default_factory=list)
    references: list[ReferenceView] = field(default_factory=list)
    alternatives: list[tuple[str, str]] = field(default_factory=list)
    """Other causes with their confidence. The confidence is empty when `outranked`
    is True, because a rule decided and the knowledge base's priority put the
    winner first although the other causes matched too."""
    outranked: bool = False
    evidence: list[EventRow] = field(default_factory=list)
    evidence_omitted: int = 0

    @property
    def first_fix(self) -> FixView | None:
        return self.fixes[0] if self.fixes else None


@dataclass(frozen=True, slots=True)
class RunView:
    """One install run, with its diagnosis, first error and timeline when it failed.

    `node_urls` maps each printed node name to its Discover link over the run's window.
    `complete` is False when only the run's boundary and error records were read,
    so `event_count` is not the run's number of events and is not printed.
    `ambiguous` lists errors on other nodes whose order relative to the first
    error is within `ambiguous_uncertainty` (a duration label) of clock offset.
    """

    anchor: str
    id: str
    nodes: list[str]
    start: str
    end: str
    duration: str
    event_count: int
    complete: bool = True
    failed: bool = False
    diagnosis: DiagnosisView | None = None
    first_error: EventRow | None = None
    first_error_message: str = ""
    symptom_count: int = 0
    ambiguous: list[EventRow] = field(default_factory=list)
    ambiguous_uncertainty: str = ""
    timeline: list[EventRow | OmittedRow] = field(default_factory=list)
    timeline_shown: int = 0
    lanes: LaneChartView | None = None
    url: str | None = None
    first_error_url: str | None = None
    node_urls: dict[str, str] = field(default_factory=dict)

    @property
    def timeline_omitted(self) -> int:
        return self.event_count - self.timeline_shown


@dataclass(frozen=True, slots=True)
class CauseCount:
    cause: str
    title: str
    count: int


@dataclass(frozen=True, slots=True)
class SummaryView:
    runs: int
    failed: int
    succeeded: int
    nodes: list[str]
    causes: list[CauseCount]


@dataclass(frozen=True, slots=True)
class ReportView:
    """Everything the Markdown and HTML templates print, already in the report's language."""

    lang: str
    title: str
    sources: list[str]
    generated_at: str
    warnings: list[str]
    summary: SummaryView
    failed_runs: list[RunView]
    succeeded_runs: list[RunView]
    data_quality: DataQualityView


def build_report(investigation: Investigation, kb: CauseDescriber, lang: str,
                 *, kibana: KibanaSettings | None = None) -> ReportView:
    """Build the report's values for `lang` from an investigation.

    With `kibana` settings that name a URL, runs, first errors and node mentions
    get Discover links over each run's window (`rca.report.links.run_links`).
    """
    def links(txn: Transaction) -> RunLinks | None:
        if kibana is None:
            return None
        return run_links(txn, kibana, margin=investigation.window_margin,
                         clock_offsets=investigation.clock_offsets)

    uncertainties = {node: uncertainty
                     for node, (_offset, uncertainty) in investigation.clock_offsets.items()}
    failed = [
        _failed_run(txn, _describe(txn.diagnosis, kb, lang), lang, position, links(txn),
                    uncertainties)
        for position, txn in enumerate(investigation.failed, start=1)
    ]
    succeeded = [
        _succeeded_run(txn, lang, position, links(txn))
        for position, txn in enumerate(investigation.succeeded, start=len(failed) + 1)
    ]
    summary = _summary(investigation, failed)
    return ReportView(
        lang=lang,
        title=_report_title(summary, lang),
        sources=[printable(source) for source in investigation.sources],
        generated_at=generated_label(investigation.generated_at),
        warnings=[printable(warning) for warning in investigation.warnings],
        summary=summary,
        failed_runs=failed,
        succeeded_runs=succeeded,
        data_quality=build_data_quality(investigation, lang),
    )


def decided_by_label(decided_by: str, lang: str) -> str:
    """Say in words what decided a diagnosis: a named rule, the classifier or nothing."""
    _ = i18n.gettext(lang)
    kind, _sep, name = decided_by.partition(":")
    if kind == "rule" and name:
        return _("rule %(name)s") % {"name": printable(name)}
    if decided_by == "classifier":
        return _("classifier")
    if decided_by == "none":
        return _("no rule or classifier")
    return printable(decided_by)


def remedy_label(remedy: str, lang: str) -> str:
    """Say whether a fix is safe to automate (``auto``) or needs a person (``manual``)."""
    _ = i18n.gettext(lang)
    if remedy == "auto":
        return _("safe to automate")
    return _("needs a person")


def event_row(event: Event, *, first_error: bool = False, with_date: bool = True,
              node_url: str | None = None) -> EventRow:
    """Show one event as a table row, with its message on one line and cut to a cell's length."""
    return EventRow(
        time=clock_label(event.timestamp, with_date=with_date),
        node=printable(event.node),
        kind=str(event.kind),
        level=event.level.name,
        level_class=_level_class(event.level),
        message=clip(one_line(printable(event.message)), CELL_MESSAGE_LIMIT),
        origin=printable(str(event.origin)),
        is_error=event.is_error,
        is_first_error=first_error,
        node_url=node_url,
    )


def generated_label(timestamp: float) -> str:
    """Format the report's creation time as ``2026-12-04 20:48:43 UTC`` in every language."""
    moment = dt.datetime.fromtimestamp(timestamp, tz=dt.UTC)
    return f"{moment:%Y-%m-%d %H:%M:%S} UTC"


def duration_label(seconds: float, lang: str) -> str:
    """Format a duration in hours, minutes and whole seconds: ``1 min 7 s``, ``1 分 7 秒``.

    Durations under a second are given in milliseconds, and a zero number of
    seconds after minutes is left out (``2 min``). Every unit is an
    abbreviation, so a run of 30 seconds and one of 67 seconds read alike.
    """
    _ = i18n.gettext(lang)
    if seconds < 1:
        return _("%(count)s ms") % {"count": i18n.format_number(round(seconds * 1000), lang)}
    total = round(seconds)
    hours, rest = divmod(total, 3600)
    minutes, whole_seconds = divmod(rest, 60)
    parts = []
    if hours:
        parts.append(_("%(count)s h") % {"count": i18n.format_number(hours, lang)})
    if hours or minutes:
        parts.append(_("%(count)s min") % {"count": minutes})
    if whole_seconds or not parts:
        parts.append(_("%(seconds)s s") % {"seconds": whole_seconds})
    return " ".join(parts)


def clock_label(timestamp: float | None, *, with_date: bool = True) -> str:
    """Format a UTC time with milliseconds: ``2026-12-03 02:14:07.123``, or only the clock."""
    if timestamp is None:
        return NO_TIME
    moment = dt.datetime.fromtimestamp(timestamp, tz=dt.UTC)
    clock = moment.strftime("%H:%M:%S.") + f"{moment.microsecond // 1000:03d}"
    return f"{moment:%Y-%m-%d} {clock}" if with_date else clock


def _describe(diagnosis: Diagnosis | None, kb: CauseDescriber, lang: str) -> CauseText | None:
    if diagnosis is None:
        return None
    return kb.describe(diagnosis, lang)


def _report_title(summary: SummaryView, lang: str) -> str:
    _ = i18n.gettext(lang)
    ngettext = i18n.ngettext(lang)
    values = {
        "runs": i18n.format_number(summary.runs, lang),
        "failed": i18n.format_number(summary.failed, lang),
    }
    if summary.runs == 0:
        return _("Root-cause report: no install runs found")
    if summary.failed == 0:
        return ngettext(
            "Root-cause report: no failure in %(runs)s run",
            "Root-cause report: no failure in %(runs)s runs",
            summary.runs,
        ) % values
    return ngettext(
        "Root-cause report: %(failed)s of %(runs)s run failed",
        "Root-cause report: %(failed)s of %(runs)s runs failed",
        summary.runs,
    ) % values


def _summary(investigation: Investigation, failed: Sequence[RunView]) -> SummaryView:
    counts: dict[str, CauseCount] = {}
    for run in failed:
        if run.diagnosis is None:
            continue
        key = run.diagnosis.cause or ""
        known = counts.get(key)
        count = known.count + 1 if known else 1
        counts[key] = CauseCount(cause=key, title=run.diagnosis.title, count=count)
    causes = sorted(counts.values(), key=lambda item: (-item.count, item.cause))
    return SummaryView(
        runs=len(investigation.transactions),
        failed=len(failed),
        succeeded=len(investigation.transactions) - len(failed),
        nodes=[printable(node) for node in investigation.nodes],
        causes=causes,
    )


def _succeeded_run(txn: Transaction, lang: str, position: int, links: RunLinks | None
                   ) -> RunView:
    return RunView(
        anchor=f"run-{position}",
        id=printable(txn.id),
        nodes=[printable(node) for node in txn.nodes],
        start=clock_label(txn.start),
        end=clock_label(txn.end),
        duration=_duration(txn, lang),
        event_count=len(txn.events),
        complete=txn.complete,
        url=links.run if links else None,
        node_urls=_printed_node_urls(links),
    )


def _printed_node_urls(links: RunLinks | None) -> dict[str, str]:
    if links is None:
        return {}
    return {printable(node): url for node, url in links.nodes.items()}


def _failed_run(txn: Transaction, text: CauseText | None, lang: str, position: int,
                links: RunLinks | None, uncertainties: Mapping[str, float]) -> RunView:
    with_date = not _same_day(txn.start, txn.end)
    node_urls = links.nodes if links else {}

    def row(event: Event, *, first_error: bool = False, with_date: bool = True) -> EventRow:
        return event_row(event, first_error=first_error, with_date=with_date,
                         node_url=node_urls.get(event.node))

    first_error = None
    first_error_message = ""
    if txn.first_error is not None:
        first_error = row(txn.first_error, first_error=True)
        first_error_message = clip(printable(txn.first_error.message), BLOCK_MESSAGE_LIMIT)

    selection = select_timeline(txn.events, txn.first_error)
    first_index = find_event(txn.events, txn.first_error)
    timeline: list[EventRow | OmittedRow] = []
    previous = -1
    for index in selection.indices:
        if index > previous + 1:
            timeline.append(OmittedRow(omitted=index - previous - 1))
        timeline.append(row(txn.events[index], first_error=index == first_index,
                            with_date=with_date))
        previous = index
    if selection.indices and previous < len(txn.events) - 1:
        timeline.append(OmittedRow(omitted=len(txn.events) - 1 - previous))

    chart = build_lanes(txn.events, txn.nodes, txn.first_error)
    return RunView(
        anchor=f"run-{position}",
        id=printable(txn.id),
        nodes=[printable(node) for node in txn.nodes],
        start=clock_label(txn.start),
        end=clock_label(txn.end),
        duration=_duration(txn, lang),
        event_count=len(txn.events),
        complete=txn.complete,
        failed=True,
        diagnosis=_diagnosis_view(txn.diagnosis, text, lang, row),
        first_error=first_error,
        first_error_message=first_error_message,
        symptom_count=len(txn.symptoms),
        ambiguous=[row(event, with_date=with_date) for event in txn.ambiguous_order],
        ambiguous_uncertainty=_ambiguity_label(txn, uncertainties, lang),
        timeline=timeline,
        timeline_shown=len(selection.indices),
        lanes=(_lane_chart_view(chart, lang, with_date=with_date, node_urls=node_urls)
               if chart else None),
        url=links.run if links else None,
        first_error_url=links.first_error if links else None,
        node_urls=_printed_node_urls(links),
    )


def _ambiguity_label(txn: Transaction, uncertainties: Mapping[str, float], lang: str) -> str:
    """Say how far the clocks of the first error's node and the other nodes may be apart.

    Detection lists an error as ambiguous when it lies within the sum of the two
    nodes' uncertainties after the first error, so the largest such sum is shown.
    """
    _ = i18n.gettext(lang)
    first = txn.first_error
    if first is None or not txn.ambiguous_order:
        return ""
    slack = max(uncertainties.get(first.node, 0.0) + uncertainties.get(event.node, 0.0)
                for event in txn.ambiguous_order)
    if not math.isfinite(slack):
        return _("unbounded")
    return _("%(seconds)s s") % {"seconds": i18n.format_number(round(slack, 3), lang)}


def _lane_chart_view(chart: LaneChart, lang: str, *, with_date: bool,
                     node_urls: dict[str, str]) -> LaneChartView:
    ngettext = i18n.ngettext(lang)
    lanes = []
    for lane in chart.lanes:
        marks = []
        for mark in lane.marks:
            tooltip = ngettext(
                "%(time)s, %(count)s event: %(message)s",
                "%(time)s, %(count)s events: %(message)s",
                mark.count,
            ) % {
                "time": clock_label(mark.first_timestamp, with_date=with_date),
                "count": i18n.format_number(mark.count, lang),
                "message": clip(one_line(printable(mark.message)), TOOLTIP_MESSAGE_LIMIT),
            }
            marks.append(
                MarkView(mark.position, _level_class(mark.level), tooltip, mark.is_first_error)
            )
        lanes.append(LaneView(printable(lane.node), marks, lane.event_count,
                              lane.has_first_error, node_urls.get(lane.node)))
    return LaneChartView(
        lanes=lanes,
        start=clock_label(chart.start, with_date=with_date),
        end=clock_label(chart.end, with_date=with_date),
        first_error_position=chart.first_error_position,
        untimed_events=chart.untimed_events,
    )


def _diagnosis_view(
    diagnosis: Diagnosis | None, text: CauseText | None, lang: str,
    row: Callable[[Event], EventRow] = event_row,
) -> DiagnosisView:
    _ = i18n.gettext(lang)
    if diagnosis is None or text is None:
        return DiagnosisView(
            cause=None,
            title=_("Not diagnosed"),
            explanation=_("No diagnosis was made for this run."),
        )
    outranked = is_rule_decision(diagnosis)
    return DiagnosisView(
        cause=diagnosis.cause,
        title=printable(text.title),
        explanation=printable(text.explanation),
        confidence=i18n.format_percent(diagnosis.confidence, lang),
        decided_by=decided_by_label(diagnosis.decided_by, lang),
        remedy=text.remedy,
        remedy_label=remedy_label(text.remedy, lang),
        fixes=[
            FixView(printable(fix.text), printable(fix.command) if fix.command else None)
            for fix in text.fixes
        ],
        references=[_reference(reference) for reference in text.references],
        alternatives=[
            (cause, "" if outranked else i18n.format_percent(probability, lang))
            for cause, probability in diagnosis.alternatives
            if cause not in (diagnosis.cause, UNKNOWN_CAUSE)
        ],
        outranked=outranked,
        evidence=[row(event) for event in diagnosis.evidence[:EVIDENCE_LIMIT]],
        evidence_omitted=max(len(diagnosis.evidence) - EVIDENCE_LIMIT, 0),
    )


def _duration(txn: Transaction, lang: str) -> str:
    if txn.start is None or txn.end is None:
        return ""
    return duration_label(max(txn.end - txn.start, 0.0), lang)


def _reference(reference: str) -> ReferenceView:
    text = printable(reference)
    scheme = urlsplit(reference.strip()).scheme.lower()
    url = reference.strip() if scheme in ("http", "https") and text == reference else None
    return ReferenceView(text=text, url=url)


def _level_class(level: Level) -> str:
    if level >= Level.ERROR:
        return "error"
    if level >= Level.WARNING:
        return "warning"
    if level >= Level.NOTICE:
        return "notice"
    if level >= Level.INFO:
        return "info"
    return "debug"


def _same_day(start: float | None, end: float | None) -> bool:
    if start is None or end is None:
        return False
    day = dt.datetime.fromtimestamp(start, tz=dt.UTC).date()
    return day == dt.datetime.fromtimestamp(end, tz=dt.UTC).date()
