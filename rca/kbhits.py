"""The work behind ``rca kb hits``: how many documents each rule matches in Elasticsearch.

Every rule's condition is compiled into a query (`rca.kb.compile_es`), and
all of them are counted in one ``_msearch`` request with ``size: 0``, so no
document leaves the cluster. Each rule is its own search, so a query the
cluster rejects fails only that rule's count.

Before that, one ``_field_caps`` request looks at how the indices map
``message``. A ``wildcard`` field (``message`` itself, or a sub-field such as
``message.wildcard``) lets ``contains`` and ``~`` tests run exactly; a
``keyword`` ``message`` is used the same way, though values longer than its
``ignore_above`` are not indexed and cannot match. Otherwise the tests search
the analyzed text and the counts are approximate. ``keyword`` sub-fields are
not used: dynamic mappings give them ``ignore_above: 256``, which would drop
long lines without a sign.

A count covers single documents: context clauses (``with``, ``without``) are
not checked, and rules with them are marked approximate.
"""

from __future__ import annotations

import logging
import math
import time
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, TextIO

from rca import i18n
from rca.i18n import N_
from rca.kb import KnowledgeBase, load_knowledge_base
from rca.kb.compile_es import Approximation, CompiledQuery, EsFields, compile_rule
from rca.parsers import ecs
from rca.sources.elasticsearch import ElasticsearchSource, EsResult, EsSettings

# NOTE: the client factory and the retrying call are private to the
# Elasticsearch source. They are used here so that both commands connect, retry
# and report errors the same way.
from rca.sources.elasticsearch import _Session as Session

logger = logging.getLogger(__name__)

MESSAGE_FIELD: Final = "message"
# Field types that hold the whole message as one value.
WHOLE_VALUE_TYPES: Final = frozenset({"wildcard", "keyword"})

_RULE_HITS = N_("rule hits")
_FIELD_CAPS = N_("field mapping")


@dataclass(slots=True)
class RuleCount:
    """One rule's count, or the reason its search failed."""

    rule: str
    query: CompiledQuery
    hits: int | None = None
    error: str | None = None


@dataclass(slots=True)
class HitsReport:
    """The counts of one run, in knowledge-base order, with the message field used."""

    counts: list[RuleCount] = field(default_factory=list)
    fields: EsFields = field(default_factory=EsFields)
    warnings: list[str] = field(default_factory=list)


def hits(kb_paths: Sequence[Path] | None, es_settings: EsSettings, since: float | None,
         until: float | None, out: TextIO, lang: str) -> int:
    """Count each rule's matching documents between `since` and `until` and print a table.

    Times are POSIX seconds; None leaves that side open. `kb_paths` names rule
    files or folders; None means the shipped knowledge base. The table is
    written to `out` in `lang`.

    Returns 0 when every rule was counted, 1 when a rule's search failed.

    Raises:
        SourceError: the cluster cannot be reached or rejects the requests.
    """
    kb = load_knowledge_base(kb_paths)
    report = count_hits(kb, es_settings, since, until, lang=lang)
    write_table(report, es_settings, since, until, out, lang)
    return 1 if any(count.error is not None for count in report.counts) else 0


def count_hits(kb: KnowledgeBase, es_settings: EsSettings, since: float | None,
               until: float | None, *, lang: str = i18n.ENGLISH) -> HitsReport:
    """Count every rule of `kb` in two requests: ``_field_caps``, then ``_msearch``.

    Raises:
        SourceError: the cluster cannot be reached or rejects the requests.
    """
    _ = i18n.gettext(lang)
    source = ElasticsearchSource(es_settings, lang=lang)
    client = source._client()
    session = Session(client, es_settings, EsResult(), _, time.sleep)
    report = HitsReport()
    try:
        capabilities = session._call(_FIELD_CAPS, lambda: client.field_caps(
            index=es_settings.index, fields=f"{MESSAGE_FIELD},{MESSAGE_FIELD}.*",
            include_unmapped=True, ignore_unavailable=True, allow_no_indices=True))
        report.fields = message_fields(capabilities)
        report.counts = [RuleCount(compiled.rule.qualified_name,
                                   compile_rule(compiled.rule, report.fields))
                         for compiled in kb.rules]
        searches = msearch_body(report.counts, since, until)
        if report.counts:
            response = session._call(_RULE_HITS, lambda: client.msearch(
                index=es_settings.index, searches=searches))
            _read_responses(report, response, es_settings, _)
    finally:
        client.close()
    report.warnings.extend(session.result.warnings)
    logger.info("%s: counted %d rules in %d requests", es_settings.display_url,
                len(report.counts), session.result.requests)
    return report


def message_fields(capabilities: Mapping[str, Any]) -> EsFields:
    """Choose how to search the message from a ``_field_caps`` response.

    The response must come from a request with ``include_unmapped=true``, so
    that a field missing from some indices shows the type ``unmapped`` there.
    The choice is ``message`` itself when every index that has it maps it as
    ``wildcard`` or ``keyword``. Otherwise it is a ``wildcard`` sub-field present
    in every index that has ``message``, and failing that the analyzed ``message``.
    """
    fields = capabilities.get("fields", {})
    message = fields.get(MESSAGE_FIELD, {})
    message_types = set(message) - {"unmapped"}
    if message_types and message_types <= WHOLE_VALUE_TYPES:
        return EsFields(message_keyword=MESSAGE_FIELD)
    without_message = set(message.get("unmapped", {}).get("indices") or [])
    for name in sorted(fields):
        types = fields[name]
        if not name.startswith(f"{MESSAGE_FIELD}.") or set(types) - {"unmapped"} != {"wildcard"}:
            continue
        without_field = set(types.get("unmapped", {}).get("indices") or [])
        if without_field <= without_message:
            return EsFields(message_keyword=name)
    return EsFields()


def msearch_body(counts: Sequence[RuleCount], since: float | None, until: float | None
                 ) -> list[dict[str, Any]]:
    """Build the header and body pairs of the ``_msearch`` request, one search per rule."""
    time_filter: list[dict[str, Any]] = []
    if since is not None or until is not None:
        bounds: dict[str, Any] = {"format": "epoch_millis"}
        if since is not None:
            bounds["gte"] = math.floor(since * 1000)
        if until is not None:
            bounds["lte"] = math.ceil(until * 1000)
        time_filter.append({"range": {ecs.TIMESTAMP_FIELD: bounds}})
    searches: list[dict[str, Any]] = []
    for count in counts:
        searches.append({})
        searches.append({
            "size": 0,
            "track_total_hits": True,
            "query": {"bool": {"filter": [*time_filter, count.query.query]}},
        })
    return searches


def _read_responses(report: HitsReport, response: Mapping[str, Any], settings: EsSettings,
                    _: i18n.Translator) -> None:
    responses = response.get("responses", [])
    if len(responses) != len(report.counts):
        logger.warning("%s: _msearch returned %d responses for %d searches",
                       settings.display_url, len(responses), len(report.counts))
    for count, item in zip(report.counts, responses, strict=False):
        error = item.get("error")
        if error is not None:
            count.error = _error_text(error)
            logger.warning("%s: counting %s failed: %s", settings.display_url, count.rule,
                           count.error)
            continue
        count.hits = int(item.get("hits", {}).get("total", {}).get("value", 0))
        shards = item.get("_shards", {})
        failed = int(shards.get("failed", 0) or 0)
        if failed or item.get("timed_out"):
            message = _("%(url)s: the count of %(rule)s may be too low: %(failed)s of "
                        "%(total)s shards failed or the search timed out.") % {
                "url": settings.display_url, "rule": count.rule, "failed": failed,
                "total": shards.get("total", "?")}
            if message not in report.warnings:
                report.warnings.append(message)
    for count in report.counts[len(responses):]:
        count.error = _("the cluster returned no response for this search")


def _error_text(error: Any) -> str:
    if isinstance(error, Mapping):
        cause = error.get("caused_by") or {}
        reason = str(error.get("reason") or error.get("type") or error)
        if isinstance(cause, Mapping) and cause.get("reason"):
            reason = f"{reason}: {cause['reason']}"
        return reason
    return str(error)


# ---------------------------------------------------------------------------
# The table


def write_table(report: HitsReport, settings: EsSettings, since: float | None,
                until: float | None, out: TextIO, lang: str) -> None:
    """Print the counts as a table, then the reasons behind approximate counts and failures."""
    _ = i18n.gettext(lang)
    out.write(_heading(settings, since, until, lang) + "\n")
    if report.fields.message_keyword is not None:
        out.write(_("Message tests search the whole values of %(field)s.")
                  % {"field": report.fields.message_keyword} + "\n")
    else:
        out.write(_("Message tests search the analyzed field %(field)s, so they are "
                    "approximate; a wildcard sub-field such as message.wildcard makes them "
                    "exact.") % {"field": report.fields.message_text} + "\n")
    for warning in report.warnings:
        out.write(warning + "\n")
    out.write("\n")

    reasons = _reason_letters(report.counts)
    header = (_("rule"), _("hits"), _("approximate"))
    rows = [(count.rule, _hits_cell(count, lang, _), _approximate_cell(count, reasons, _))
            for count in report.counts]
    widths = [max(_width(row[column]) for row in [header, *rows]) for column in range(3)]
    for row in [header, *rows]:
        out.write(f"{_pad(row[0], widths[0])}  {_pad(row[1], widths[1], right=True)}  "
                  f"{row[2]}".rstrip() + "\n")

    counted = [count for count in report.counts if count.hits is not None]
    failed = [count for count in report.counts if count.error is not None]
    out.write("\n" + _("%(rules)s rules: %(matched)s with hits, %(unmatched)s without, "
                       "%(failed)s failed.") % {
        "rules": i18n.format_number(len(report.counts), lang),
        "matched": i18n.format_number(sum(1 for count in counted if count.hits), lang),
        "unmatched": i18n.format_number(sum(1 for count in counted if not count.hits), lang),
        "failed": i18n.format_number(len(failed), lang)} + "\n")
    if reasons:
        out.write(_("Approximate counts may include or miss documents, because:") + "\n")
        for reason, letter in reasons.items():
            out.write(f"  {letter}: {_(reason.explanation)}\n")
    if failed:
        out.write(_("Failed searches:") + "\n")
        for count in failed:
            out.write(f"  {count.rule}: {count.error}\n")


def _heading(settings: EsSettings, since: float | None, until: float | None,
             lang: str) -> str:
    _ = i18n.gettext(lang)
    values = {"source": settings.display_url}
    if since is not None:
        values["since"] = i18n.format_datetime(since, lang)
    if until is not None:
        values["until"] = i18n.format_datetime(until, lang)
    if since is not None and until is not None:
        return _("Rule hits in %(source)s from %(since)s to %(until)s:") % values
    if since is not None:
        return _("Rule hits in %(source)s since %(since)s:") % values
    if until is not None:
        return _("Rule hits in %(source)s until %(until)s:") % values
    return _("Rule hits in %(source)s:") % values


def _reason_letters(counts: Sequence[RuleCount]) -> dict[Approximation, str]:
    """Assign a letter to each reason that applies, in the order of `Approximation`."""
    used = {reason for count in counts for reason in count.query.approximations}
    ordered = [reason for reason in Approximation if reason in used]
    return {reason: chr(ord("a") + index) for index, reason in enumerate(ordered)}


def _hits_cell(count: RuleCount, lang: str, _: i18n.Translator) -> str:
    if count.hits is None:
        return _("error")
    return i18n.format_number(count.hits, lang)


def _approximate_cell(count: RuleCount, letters: Mapping[Approximation, str],
                      _: i18n.Translator) -> str:
    if not count.query.approximate:
        return _("no")
    codes = ", ".join(letters[reason] for reason in Approximation
                      if reason in count.query.approximations)
    return _("yes (%(reasons)s)") % {"reasons": codes}


def _width(text: str) -> int:
    """Columns a text takes in a terminal: wide East Asian characters take two."""
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def _pad(text: str, width: int, *, right: bool = False) -> str:
    padding = " " * max(0, width - _width(text))
    return padding + text if right else text + padding
