"""The investigation pipeline: source, align, detect, diagnose.

`investigate` is what `rca investigate` runs. It returns an `Investigation`
that the report renderers turn into Markdown, HTML or JSON.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from rca.align import align, apply_clock_offsets
from rca.dedupe import deduplicate
from rca.detect import detect, without_echoes
from rca.errors import SourceError
from rca.i18n import ENGLISH, N_, gettext
from rca.model import Event, FileStats, Investigation, Transaction
from rca.settings import Settings
from rca.skew import collect_bounds, estimate_offsets

if TYPE_CHECKING:
    from rca.kb import KnowledgeBase

log = logging.getLogger(__name__)

ES_SCHEMES = ("es://", "es+https://")


@dataclass(slots=True)
class Query:
    """The part of the sources to investigate: a time range and one run. Times are POSIX seconds."""

    since: float | None = None
    until: float | None = None
    transaction: str | None = None


def investigate(sources: Sequence[str], settings: Settings, kb: KnowledgeBase,
                query: Query | None = None) -> Investigation:
    """Read `sources`, group events into runs, and diagnose every failed run."""
    query = query or Query()
    events, files, warnings = _read_sources(sources, settings, query)
    skew = estimate_offsets(collect_bounds(events), settings.clock_offsets)
    apply_clock_offsets(events, skew.offsets())
    warnings.extend(skew.warnings)
    events = [event for event in events if in_range(event, query)]

    alignment = align(events, margin=settings.margin)
    transactions = alignment.transactions
    if query.transaction:
        transactions = [txn for txn in transactions if txn.id == query.transaction]

    detect(transactions, is_causal=lambda event: bool(kb.match(event, 0, [event])),
           causal_lead=settings.causal_lead,
           clock_uncertainty={node: estimate.uncertainty
                              for node, estimate in skew.estimates.items()})
    diagnose_failed(transactions, kb)

    transactions.sort(key=lambda txn: (not txn.failed, txn.start is None, txn.start or 0.0,
                                       txn.id))
    return Investigation(
        sources=list(sources),
        transactions=transactions,
        files=files,
        warnings=warnings,
        generated_at=time.time(),
        unassigned_events=len(alignment.unassigned),
        window_margin=settings.margin,
        clock_offsets={node: (estimate.offset, estimate.uncertainty)
                       for node, estimate in sorted(skew.estimates.items())},
    )


def diagnose_failed(transactions: list[Transaction], kb: KnowledgeBase) -> None:
    from rca.diagnose import diagnose_transaction

    for txn in transactions:
        if txn.failed:
            diagnosis = diagnose_transaction(txn, kb)
            # Context rules can cite the journald copy of a record as evidence too.
            diagnosis.evidence = without_echoes(diagnosis.evidence)
            txn.diagnosis = diagnosis


def _read_sources(sources: Sequence[str], settings: Settings,
                  query: Query) -> tuple[list[Event], list[FileStats], list[str]]:
    events: list[Event] = []
    files: list[FileStats] = []
    warnings: list[str] = []
    paths: list[Path] = []
    for source in sources:
        if source.startswith(ES_SCHEMES):
            es_events, es_warnings = _read_elasticsearch(source, settings, query)
            events.extend(es_events)
            warnings.extend(es_warnings)
        else:
            path = Path(source)
            if not path.exists():
                raise SourceError(N_("%(source)s: no such file or folder. Give an incident "
                                     "folder, a log file, or es://HOST:PORT/INDEX."),
                                  source=source)
            paths.append(path)

    if paths:
        from rca.sources.files import FileSettings, read_paths

        file_settings = FileSettings(
            default_timezone=settings.zone_for(""),
            node_timezones={node: settings.zone_for(node) for node in settings.node_timezones},
            lang=settings.lang or "en",
        )
        file_events, file_stats = read_paths(paths, file_settings)
        events.extend(file_events)
        files.extend(file_stats)
    return events, files, warnings


def _read_elasticsearch(url: str, settings: Settings,
                        query: Query) -> tuple[list[Event], list[str]]:
    from rca.sources.elasticsearch import ElasticsearchSource, EsSettings

    es_settings = EsSettings.from_url(url, base=settings.elasticsearch)
    result = ElasticsearchSource(es_settings).fetch(
        since=query.since, until=query.until, transaction=query.transaction,
        margin=settings.margin,
    )
    log.info("elasticsearch: %d events in %d requests", len(result.events), result.requests)

    # Filebeat delivers at least once, so one record can be indexed twice under
    # two document ids.
    dropped: list[Event] = []
    events = list(deduplicate(result.events, dropped.append))
    warnings = list(result.warnings)
    if dropped:
        lang = settings.lang or ENGLISH
        _ = gettext(lang)
        warnings.append(_("%(url)s: %(count)s documents were copies of other documents and "
                          "were counted once") % {"url": es_settings.display_url,
                                                  "count": len(dropped)})
    return events, warnings


def in_range(event: Event, query: Query) -> bool:
    if event.timestamp is None:
        return True
    if query.since is not None and event.timestamp < query.since:
        return False
    return query.until is None or event.timestamp <= query.until
