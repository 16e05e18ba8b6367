"""The JSON report: one document that scripts read, so its shape is a contract.

Keys come in a fixed order (insertion order, not sorted), values are plain JSON
types, times are ISO-8601 UTC strings or null, and log text is kept as it was
read. Titles, explanations and fix texts are in the report's language; cause ids,
levels, kinds and ``decided_by`` stay as the analyzer names them.

Document shape::

    {"generated_at", "lang", "sources",
     "summary": {"runs", "failed", "succeeded", "nodes", "causes": [{"cause", "title", "count"}]},
     "transactions": [{"id", "status", "nodes", "start", "end", "event_count", "complete",
                       "first_error", "symptoms", "ambiguous_order", "cause", "cause_title",
                       "explanation", "confidence", "decided_by", "remedy",
                       "fixes": [{"text", "command"}], "references",
                       "alternatives": [{"cause", "confidence", "outranked_by"}], "evidence",
                       "links": {"run", "first_error", "nodes": {node: url}}}],
     "data_quality": {"files", "formats", "totals", "unassigned_events",
                      "clock_offsets": {node: {"offset", "uncertainty"}}, "window_margin"},
     "warnings"}

A successful run has the same keys, with null diagnosis values and empty lists.
``event_count`` is null when ``complete`` is false: the streaming path read only
the boundary and error records of that run. ``ambiguous_order`` lists errors on
other nodes that may have happened before the first error, because the clock
offsets between the nodes are uncertain. An alternative cause of a rule
decision matched too but was outranked by the knowledge base's priority, so it
names the winning cause in ``outranked_by``; a classifier's alternatives are
scores and have ``outranked_by`` null. Each per-file entry and the totals count
``lines_read = parsed + unparsed + continuation + duplicates + skimmed``, and
``clock_steps`` counts backward steps of a file's clock. ``unassigned_events``
is null when the source did not count them.
``links`` is present only when the report is rendered with a Kibana URL: Discover
URLs over the run's window, with ``first_error`` null when the run has none and
every value null or empty when the run has no timestamp.
"""

from __future__ import annotations

import io
import json
import math
from typing import Any, TextIO

from rca.model import Diagnosis, Event, FileStats, Investigation, Transaction, format_timestamp
from rca.report.describe import CauseDescriber
from rca.report.links import run_links
from rca.settings import KibanaSettings

JsonObject = dict[str, Any]

FAILED = "failed"
SUCCEEDED = "succeeded"


# Characters collected from the encoder before one write to the output stream.
_WRITE_CHUNK_CHARS = 1 << 16


def render_json(investigation: Investigation, kb: CauseDescriber, lang: str,
                *, kibana: KibanaSettings | None = None) -> str:
    """Serialize the investigation as the JSON report, ending with a newline."""
    buffer = io.StringIO()
    write_json(buffer, investigation, kb, lang, kibana=kibana)
    return buffer.getvalue()


def write_json(stream: TextIO, investigation: Investigation, kb: CauseDescriber, lang: str,
               *, kibana: KibanaSettings | None = None) -> None:
    """Write the JSON report to `stream` in chunks, ending with a newline.

    The text equals what `render_json` returns but is never held whole. With an
    indent, ``json.dumps`` encodes in pure Python and keeps every small piece
    (millions for a large incident) until it joins them into one string.
    """
    document = build_document(investigation, kb, lang, kibana=kibana)
    encoder = json.JSONEncoder(ensure_ascii=False, indent=2, default=str, allow_nan=False)
    pending: list[str] = []
    size = 0
    for piece in encoder.iterencode(document):
        pending.append(piece)
        size += len(piece)
        if size >= _WRITE_CHUNK_CHARS:
            stream.write("".join(pending))
            pending.clear()
            size = 0
    pending.append("\n")
    stream.write("".join(pending))


def build_document(investigation: Investigation, kb: CauseDescriber, lang: str,
                   *, kibana: KibanaSettings | None = None) -> JsonObject:
    """Build the JSON report as Python objects, in the documented key order.

    With `kibana` settings that name a URL, each run gets a ``links`` object.
    """
    transactions = []
    for txn in investigation.transactions:
        document = _transaction(txn, kb, lang)
        links = None if kibana is None else run_links(
            txn, kibana, margin=investigation.window_margin,
            clock_offsets=investigation.clock_offsets)
        if links is not None:
            document["links"] = {"run": links.run, "first_error": links.first_error,
                                 "nodes": dict(links.nodes)}
        transactions.append(document)
    return {
        "generated_at": format_timestamp(investigation.generated_at),
        "lang": lang,
        "sources": list(investigation.sources),
        "summary": _summary(investigation, transactions),
        "transactions": transactions,
        "data_quality": _data_quality(investigation),
        "warnings": list(investigation.warnings),
    }


def event_document(event: Event) -> JsonObject:
    """Convert an event to its JSON form, as in ``first_error``, symptoms and evidence."""
    return {
        "timestamp": format_timestamp(event.timestamp) or None,
        "node": event.node,
        "kind": str(event.kind),
        "level": event.level.name,
        "message": event.message,
        "origin": {"path": event.origin.path, "line": event.origin.line},
        "transaction_id": event.transaction_id,
        "fields": {key: event.fields[key] for key in sorted(event.fields)},
    }


def _transaction(txn: Transaction, kb: CauseDescriber, lang: str) -> JsonObject:
    document: JsonObject = {
        "id": txn.id,
        "status": FAILED if txn.failed else SUCCEEDED,
        "nodes": list(txn.nodes),
        "start": format_timestamp(txn.start) or None,
        "end": format_timestamp(txn.end) or None,
        # A partial run (read by the streaming path) has no meaningful event count.
        "event_count": len(txn.events) if txn.complete else None,
        "complete": txn.complete,
        "first_error": event_document(txn.first_error) if txn.first_error else None,
        "symptoms": [event_document(event) for event in txn.symptoms],
        "ambiguous_order": [event_document(event) for event in txn.ambiguous_order],
    }
    document.update(_diagnosis(txn.diagnosis if txn.failed else None, kb, lang))
    return document


def _diagnosis(diagnosis: Diagnosis | None, kb: CauseDescriber, lang: str) -> JsonObject:
    if diagnosis is None:
        return {
            "cause": None,
            "cause_title": None,
            "explanation": None,
            "confidence": None,
            "decided_by": None,
            "remedy": None,
            "fixes": [],
            "references": [],
            "alternatives": [],
            "evidence": [],
        }
    text = kb.describe(diagnosis, lang)
    outranked = is_rule_decision(diagnosis)
    return {
        "cause": diagnosis.cause,
        "cause_title": text.title,
        "explanation": text.explanation,
        "confidence": _rounded(diagnosis.confidence),
        "decided_by": diagnosis.decided_by,
        "remedy": text.remedy,
        "fixes": [{"text": fix.text, "command": fix.command} for fix in text.fixes],
        "references": list(text.references),
        "alternatives": [
            {"cause": cause, "confidence": _rounded(probability),
             "outranked_by": diagnosis.cause if outranked else None}
            for cause, probability in diagnosis.alternatives
        ],
        "evidence": [event_document(event) for event in diagnosis.evidence],
    }


def is_rule_decision(diagnosis: Diagnosis) -> bool:
    """Tell whether a rule decided, so every alternative lost on the rules' priority."""
    return diagnosis.decided_by.startswith("rule:")


def _summary(investigation: Investigation, transactions: list[JsonObject]) -> JsonObject:
    counts: dict[str, JsonObject] = {}
    for txn in transactions:
        if txn["status"] != FAILED or txn["cause"] is None:
            continue
        entry = counts.setdefault(
            txn["cause"], {"cause": txn["cause"], "title": txn["cause_title"], "count": 0}
        )
        entry["count"] += 1
    causes = sorted(counts.values(), key=lambda entry: (-entry["count"], entry["cause"]))
    failed = sum(1 for txn in transactions if txn["status"] == FAILED)
    return {
        "runs": len(transactions),
        "failed": failed,
        "succeeded": len(transactions) - failed,
        "nodes": investigation.nodes,
        "causes": causes,
    }


def _data_quality(investigation: Investigation) -> JsonObject:
    formats: dict[str, JsonObject] = {}
    totals = _line_counts()
    for stats in investigation.files:
        if stats.skipped is not None:
            continue
        entry = formats.setdefault(
            stats.format, {"format": stats.format, "files": 0} | _line_counts()
        )
        entry["files"] += 1
        for target in (entry, totals):
            _add_line_counts(target, stats)
    return {
        "files": [_file(stats) for stats in investigation.files],
        "formats": [formats[name] for name in sorted(formats)],
        "totals": totals,
        "unassigned_events": investigation.unassigned_events,
        "clock_offsets": {
            node: {"offset": _finite(offset), "uncertainty": _finite(uncertainty)}
            for node, (offset, uncertainty) in sorted(investigation.clock_offsets.items())
        },
        "window_margin": investigation.window_margin,
    }


def _finite(seconds: float) -> float | None:
    # JSON has no infinity or NaN: an unbounded clock uncertainty is written as null.
    return seconds if math.isfinite(seconds) else None


def _rounded(probability: float) -> float | None:
    return round(probability, 4) if math.isfinite(probability) else None


def _file(stats: FileStats) -> JsonObject:
    return {
        "path": stats.path,
        "node": stats.node,
        "format": stats.format,
        "status": "skipped" if stats.skipped is not None else "read",
        "skipped_reason": stats.skipped,
        **_line_counts(stats),
        "warnings": list(stats.warnings),
        "unparsed_examples": [
            {"line": number, "text": text} for number, text in stats.unparsed_examples
        ],
    }


def _line_counts(stats: FileStats | None = None) -> JsonObject:
    counts = {
        "lines_read": 0,
        "parsed": 0,
        "unparsed": 0,
        "continuation": 0,
        "duplicates": 0,
        "timestamps_inferred": 0,
        "skimmed": 0,
        "clock_steps": 0,
    }
    if stats is not None:
        _add_line_counts(counts, stats)
    return counts


def _add_line_counts(counts: JsonObject, stats: FileStats) -> None:
    counts["lines_read"] += stats.lines_read
    counts["parsed"] += stats.parsed
    counts["unparsed"] += stats.unparsed
    counts["continuation"] += stats.continuation
    counts["duplicates"] += stats.duplicates
    counts["timestamps_inferred"] += stats.timestamps_inferred
    counts["skimmed"] += stats.skimmed
    counts["clock_steps"] += stats.clock_steps
