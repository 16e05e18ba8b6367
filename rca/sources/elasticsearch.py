"""Elasticsearch source: failed runs and their context, fetched with a few searches.

Source URLs::

    es://HOST[:PORT]/INDEX-PATTERN          HTTP, port 9200 unless given
    es+https://HOST[:PORT]/INDEX-PATTERN    HTTPS, port 9200 unless given

The index pattern may list several names and wildcards (``filebeat-*,logs-*``).
``USER[:PASSWORD]@`` before the host is accepted, but the settings or the
``RCA_ES_*`` variables keep credentials out of shell history. `EsSettings` contains
the same options (API key, user name and password, CA file, certificate
verification, request timeout, page size).

The source pushes the work to the cluster, so the number of requests and the
bytes returned depend on the failed runs, not on the size of the index:

1. A ``composite`` aggregation on ``transaction.id`` over error documents (a
   failure ``log.level``, a non-zero ``process.exit_code``, or a syslog priority
   of 3 or less without a level) lists every failed run, a page of `page_size`
   runs per request. Detection later picks each run's first error from its
   events, which may be a context event, so the aggregation returns only ids.
2. For a batch of failed runs, one search fetches their own events (a ``terms``
   query on ``transaction.id``).
3. For the same batch, one search fetches the audit, journald and syslog
   documents without a transaction id on the runs' nodes inside their windows.
   A run's window on a node spans its own events there, widened by the margin.
   These are the documents the alignment step joins as context.

Every search runs on one point in time and pages with ``search_after``, sorted
on ``@timestamp``, then ``log.offset``, then ``_shard_doc``. Answers with HTTP
429, 500, 502, 503 or 504 and connection errors are retried with exponential
backoff, up to `EsSettings.max_retries` times. Partial shard failures and
timed-out searches become warnings, and errors that stop the source become
`SourceError`.

The queried fields (``transaction.id``, ``host.name``, ``log.level``,
``event.module``, ``event.dataset``, ``data_stream.dataset``, ``input.type``,
``log.file.path``) must be ``keyword`` fields, as in Filebeat's index template.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import random
import time
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import unquote, urlsplit

from elasticsearch import (
    ApiError,
    AuthenticationException,
    AuthorizationException,
    ConnectionTimeout,
    Elasticsearch,
    NotFoundError,
    SSLError,
    TransportError,
    UnsupportedProductError,
)
from elasticsearch import ConnectionError as EsConnectionError

from rca import i18n
from rca.errors import ConfigError, SourceError, UsageError
from rca.i18n import N_
from rca.model import Event
from rca.parsers import ecs

if TYPE_CHECKING:
    from rca.settings import ElasticsearchSettings

log = logging.getLogger(__name__)

SCHEMES: Final = {"es": "http", "es+https": "https", "http": "http", "https": "https"}
DEFAULT_PORT: Final = 9200
RETRY_ON_STATUS: Final = (429, 500, 502, 503, 504)
MAX_RETRY_BACKOFF: Final = 30.0
# A context query lists one clause per node window. This cap keeps it well below
# the cluster's limit on boolean clauses: 1024 by default in Elasticsearch 7,
# derived from the heap size in 8.x.
MAX_WINDOWS_PER_QUERY: Final = 256

SORT: Final = [
    {ecs.TIMESTAMP_FIELD: {"order": "asc"}},
    {ecs.OFFSET_FIELD: {"order": "asc", "unmapped_type": "long"}},
    {"_shard_doc": {"order": "asc"}},
]

# Metadata the ECS mapping drops anyway; leaving it out of hits saves bytes.
SOURCE_FILTER: Final = {"excludes": [pattern for name in ecs.METADATA_FIELDS
                                     for pattern in (name, f"{name}.*")]}

Sleep = Callable[[float], None]

# Labels of the searches named in warnings.
_FAILED_RUNS = N_("failed runs")
_RUN_EVENTS = N_("run events")
_CONTEXT_EVENTS = N_("context events")
_POINT_IN_TIME = N_("point in time")


@dataclass(slots=True)
class EsSettings:
    """Connection and paging options of one Elasticsearch source.

    `url` is the cluster's base URL (``http://HOST:PORT``); `index` the index
    pattern. Times are in seconds; `keep_alive` is an Elasticsearch duration.
    `retry_backoff` is the base of the exponential backoff between retries
    (0 retries at once), capped at 30 s.
    """

    url: str
    index: str
    api_key: str = dataclasses.field(default="", repr=False)
    username: str = ""
    password: str = dataclasses.field(default="", repr=False)
    ca_certs: str = ""
    verify_certs: bool = True
    request_timeout: float = 30.0
    page_size: int = 1000
    max_retries: int = 3
    retry_backoff: float = 0.5
    keep_alive: str = "2m"
    transactions_per_query: int = 50

    @classmethod
    def from_url(cls, url: str, base: ElasticsearchSettings | None = None,
                 *, lang: str = i18n.ENGLISH) -> EsSettings:
        """Parse ``es://``, ``es+https://``, ``http://`` or ``https://`` URLs.

        Options not in the URL come from `base` (the ``[elasticsearch]``
        settings). User name and password in the URL win over `base`.

        Raises:
            UsageError: the scheme is unknown, or the host or index is missing.
        """
        _ = i18n.gettext(lang)
        split = urlsplit(url)
        scheme = SCHEMES.get(split.scheme.lower())
        if scheme is None:
            raise UsageError(_("%(url)s: unknown scheme. Use es://HOST:PORT/INDEX for HTTP or "
                               "es+https://HOST:PORT/INDEX for HTTPS.") % {"url": url})
        try:
            host, port = split.hostname, split.port or DEFAULT_PORT
        except ValueError as error:
            raise UsageError(_("%(url)s: invalid port: %(reason)s.")
                             % {"url": _redact(url), "reason": error}) from error
        if not host:
            raise UsageError(_("%(url)s: the host is missing. Write es://HOST:PORT/INDEX.")
                             % {"url": _redact(url)})
        index = unquote(split.path.strip("/")) or (base.index if base is not None else "")
        if not index or "/" in index:
            raise UsageError(_("%(url)s: give one index pattern after the host, as in "
                               "es://HOST:PORT/filebeat-*.") % {"url": _redact(url)})

        settings = cls(url=f"{scheme}://{_host_part(host)}:{port}", index=index)
        if base is not None:
            for option in dataclasses.fields(cls):
                if option.name not in {"url", "index"} and hasattr(base, option.name):
                    setattr(settings, option.name, getattr(base, option.name))
        if split.username:
            settings.username = unquote(split.username)
            settings.password = unquote(split.password or "")
        return settings

    @property
    def display_url(self) -> str:
        """The source as a user writes it, without credentials."""
        scheme = "es+https" if self.url.startswith("https:") else "es"
        return f"{scheme}://{self.url.split('://', 1)[1]}/{self.index}"


@dataclass(slots=True)
class EsResult:
    """Events, warnings and request count of one fetch.

    `requests` counts the HTTP requests sent, retries after HTTP 429 and 5xx
    included; the client's own retries after a connection error are not seen.
    `failed_transactions` lists the failed runs found, in id order.
    """

    events: list[Event] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    requests: int = 0
    failed_transactions: list[str] = field(default_factory=list)


class ElasticsearchSource:
    """Reads failed runs and their context events from one index pattern."""

    def __init__(self, settings: EsSettings, *, lang: str = i18n.ENGLISH,
                 sleep: Sleep = time.sleep) -> None:
        """Check the settings; messages and warnings are written in `lang`.

        `sleep` waits between retries; tests pass a recorder.

        Raises:
            ConfigError: `page_size` or `transactions_per_query` is below 1.
        """
        self._ = i18n.gettext(lang)
        for name in ("page_size", "transactions_per_query"):
            value = getattr(settings, name)
            if value < 1:
                raise ConfigError(self._("Invalid %(name)s %(value)s: it must be 1 or more.")
                                  % {"name": name, "value": value})
        self.settings = settings
        self._sleep = sleep

    def fetch(self, *, since: float | None, until: float | None, transaction: str | None,
              margin: float) -> EsResult:
        """Fetch the failed runs in [since, until] with their context events.

        With `transaction`, fetch that run whatever its outcome, and its context.
        Times are POSIX seconds; `margin` widens each node's window on both sides.

        Raises:
            SourceError: the cluster cannot be reached or rejects the requests.
        """
        result = EsResult()
        client = self._client()
        session = _Session(client, self.settings, result, self._, self._sleep)
        try:
            session.open_point_in_time()
            try:
                self._fetch(session, result, since=since, until=until,
                            transaction=transaction, margin=margin)
            finally:
                session.close_point_in_time()
        finally:
            client.close()
        log.info("%s: %d events of %d failed runs in %d requests, %d warnings",
                 self.settings.display_url, len(result.events),
                 len(result.failed_transactions), result.requests, len(result.warnings))
        return result

    def _fetch(self, session: _Session, result: EsResult, *, since: float | None,
               until: float | None, transaction: str | None, margin: float) -> None:
        if transaction is not None:
            failed = [transaction]
        else:
            failed = list(session.failed_transactions(_time_range(since, until)))
            result.failed_transactions = failed
        log.debug("%s: %d failed runs", self.settings.display_url, len(failed))

        seen: set[tuple[str, str]] = set()
        batch_size = self.settings.transactions_per_query
        for start in range(0, len(failed), batch_size):
            batch = failed[start:start + batch_size]
            own = session.collect(_own_events_query(batch), _RUN_EVENTS, seen)
            result.events.extend(own)
            windows = node_windows(own, margin)
            for chunk in _chunks(windows, MAX_WINDOWS_PER_QUERY):
                result.events.extend(session.collect(_context_query(chunk), _CONTEXT_EVENTS,
                                                     seen))

        if transaction is not None and not any(event.transaction_id == transaction
                                               for event in result.events):
            result.warnings.append(self._("%(url)s: no document has transaction.id "
                                          "%(transaction)s.")
                                   % {"url": self.settings.display_url,
                                      "transaction": transaction})

    def _client(self) -> Elasticsearch:
        settings = self.settings
        # The client retries connection errors and timeouts with backoff, but
        # retries HTTP statuses at once (elastic-transport 9.4), so statuses are
        # left to `_Session._call`, which backs off.
        options: dict[str, Any] = {
            "request_timeout": settings.request_timeout,
            "max_retries": settings.max_retries,
            "retry_on_status": (),
            "retry_on_timeout": True,
            "verify_certs": settings.verify_certs,
        }
        if settings.retry_backoff > 0:
            options["retry_backoff_base"] = settings.retry_backoff
            options["retry_backoff_cap"] = MAX_RETRY_BACKOFF
        if settings.api_key:
            options["api_key"] = settings.api_key
        elif settings.username:
            options["basic_auth"] = (settings.username, settings.password)
        if settings.ca_certs:
            options["ca_certs"] = settings.ca_certs
        return Elasticsearch(settings.url, **options)


class _Session:
    """One fetch's client calls: the point in time, paging, warnings and errors."""

    def __init__(self, client: Elasticsearch, settings: EsSettings, result: EsResult,
                 translate: i18n.Translator, sleep: Sleep) -> None:
        self.client = client
        self.settings = settings
        self.result = result
        self._ = translate
        self._sleep = sleep
        self.pit_id: str | None = None
        self._warned: set[str] = set()
        self._sequence = 0

    # -- point in time ----------------------------------------------------

    def open_point_in_time(self) -> None:
        body = self._call(_POINT_IN_TIME, lambda: self.client.open_point_in_time(
            index=self.settings.index, keep_alive=self.settings.keep_alive))
        self.pit_id = str(body["id"])
        if body.get("_shards", {}).get("total") == 0:
            self._warn(self._("%(url)s: the index pattern %(index)s matches no index.")
                       % {"url": self.settings.display_url, "index": self.settings.index})

    def close_point_in_time(self) -> None:
        """Release the point in time; a failure only costs server memory until it expires."""
        if self.pit_id is None:
            return
        self.result.requests += 1
        try:
            self.client.close_point_in_time(id=self.pit_id)
        except (ApiError, TransportError) as error:
            log.warning("%s: closing the point in time failed, it expires after %s: %s",
                        self.settings.display_url, self.settings.keep_alive, error)
        self.pit_id = None

    # -- searches ---------------------------------------------------------

    def search(self, body: dict[str, Any], label: str) -> dict[str, Any]:
        """Run one search on the point in time and keep its newest id."""
        body = {**body, "pit": {"id": self.pit_id, "keep_alive": self.settings.keep_alive}}
        response = self._call(label, lambda: self.client.search(body=body))
        self.pit_id = str(response.get("pit_id", self.pit_id))
        return response

    def failed_transactions(self, time_range: dict[str, Any] | None) -> Iterator[str]:
        """Page through a composite aggregation of failed runs, in id order."""
        after: dict[str, Any] | None = None
        page_size = self.settings.page_size
        while True:
            response = self.search(_failed_runs_body(time_range, page_size, after),
                                   _FAILED_RUNS)
            aggregation = response.get("aggregations", {}).get("failed", {})
            buckets = aggregation.get("buckets", [])
            for bucket in buckets:
                yield str(bucket["key"]["transaction"])
            after = aggregation.get("after_key")
            if len(buckets) < page_size or after is None:
                return

    def collect(self, query: dict[str, Any], label: str, seen: set[tuple[str, str]]
                ) -> list[Event]:
        """Fetch every document matching `query` as events, skipping ids in `seen`."""
        events: list[Event] = []
        for hit in self.scan(query, label):
            key = (str(hit.get("_index")), str(hit.get("_id")))
            if key in seen:
                continue
            seen.add(key)
            self._sequence += 1
            events.append(ecs.event_from_hit(hit, sequence=self._sequence))
        # NOTE: records of one audit event that land on different pages or in
        # different queries stay separate events.
        return ecs.merge_audit_records(events)

    def scan(self, query: dict[str, Any], label: str) -> Iterator[dict[str, Any]]:
        """Yield every hit of `query`, a page of `page_size` per request."""
        page_size = self.settings.page_size
        search_after: list[Any] | None = None
        while True:
            body: dict[str, Any] = {"size": page_size, "query": query, "sort": SORT,
                                    "_source": SOURCE_FILTER, "track_total_hits": False}
            if search_after is not None:
                body["search_after"] = search_after
            hits = self.search(body, label).get("hits", {}).get("hits", [])
            yield from hits
            if len(hits) < page_size:
                return
            search_after = hits[-1]["sort"]

    # -- responses and errors ---------------------------------------------

    def _call(self, label: str, call: Callable[[], Any]) -> dict[str, Any]:
        """Make one API call, retrying HTTP 429 and 5xx responses with backoff."""
        attempt = 0
        while True:
            self.result.requests += 1
            try:
                response = call()
                break
            except ApiError as error:
                if error.meta.status not in RETRY_ON_STATUS or attempt >= self.settings.max_retries:
                    raise _source_error(error, self.settings, self._) from error
                delay = self._backoff(attempt)
                log.warning("%s: HTTP %s in the %s search, retry %d of %d in %.1f s",
                            self.settings.display_url, error.meta.status, label, attempt + 1,
                            self.settings.max_retries, delay)
                self._sleep(delay)
                attempt += 1
            except TransportError as error:
                raise _source_error(error, self.settings, self._) from error
        body: dict[str, Any] = dict(response.body)
        self._check_partial(body, label)
        return body

    def _backoff(self, attempt: int) -> float:
        """Exponential backoff with jitter: half fixed, half random, capped at 30 s."""
        ceiling: float = min(MAX_RETRY_BACKOFF, self.settings.retry_backoff * 2.0**attempt)
        return ceiling / 2 + random.uniform(0, ceiling / 2)

    def _check_partial(self, body: Mapping[str, Any], label: str) -> None:
        _ = self._
        values: dict[str, Any] = {"url": self.settings.display_url, "search": _(label)}
        shards = body.get("_shards", {})
        failed = int(shards.get("failed", 0) or 0)
        if failed:
            failures = shards.get("failures") or [{}]
            reason = failures[0].get("reason", {})
            values.update(failed=failed, total=shards.get("total", "?"),
                          reason=reason.get("reason") or reason.get("type") or "?")
            self._warn(_("%(url)s: %(failed)s of %(total)s shards failed in the %(search)s "
                         "search (%(reason)s), so the results may be incomplete.") % values)
        if body.get("timed_out"):
            self._warn(_("%(url)s: the %(search)s search timed out, so the results may be "
                         "incomplete.") % values)

    def _warn(self, message: str) -> None:
        if message not in self._warned:
            self._warned.add(message)
            self.result.warnings.append(message)
            log.warning("%s", message)


# ---------------------------------------------------------------------------
# Queries


def _failed_runs_body(time_range: dict[str, Any] | None, page_size: int,
                      after: dict[str, Any] | None) -> dict[str, Any]:
    filters: list[dict[str, Any]] = [{"exists": {"field": ecs.TRANSACTION_FIELD}}, failure_query()]
    if time_range is not None:
        filters.append({"range": {ecs.TIMESTAMP_FIELD: time_range}})
    composite: dict[str, Any] = {
        "size": page_size,
        "sources": [{"transaction": {"terms": {"field": ecs.TRANSACTION_FIELD}}}],
    }
    if after is not None:
        composite["after"] = after
    return {
        "size": 0,
        "track_total_hits": False,
        "query": {"bool": {"filter": filters}},
        "aggs": {"failed": {"composite": composite}},
    }


def failure_query() -> dict[str, Any]:
    """Documents that `rca.parsers.ecs` maps to failure events.

    A failure word in ``log.level`` (in any of three cases, since keyword
    fields compare exactly), a non-zero ``process.exit_code``, or a syslog
    priority of 3 (error) or less on a document without ``log.level``.
    """
    levels = [variant for word in ecs.ERROR_LEVEL_WORDS
              for variant in (word, word.upper(), word.title())]
    return {"bool": {"should": [
        {"terms": {ecs.LEVEL_FIELD: levels}},
        {"bool": {"filter": [{"exists": {"field": ecs.EXIT_CODE_FIELD}}],
                  "must_not": [{"term": {ecs.EXIT_CODE_FIELD: 0}}]}},
        {"bool": {"filter": [{"range": {ecs.PRIORITY_FIELD: {"lte": 3}}}],
                  "must_not": [{"exists": {"field": ecs.LEVEL_FIELD}}]}},
    ], "minimum_should_match": 1}}


def context_kind_query() -> dict[str, Any]:
    """Documents that `rca.parsers.ecs` classifies as audit, journald or syslog."""
    datasets = list(ecs.AUDIT_DATASETS + ecs.JOURNALD_DATASETS + ecs.SYSLOG_DATASETS)
    should: list[dict[str, Any]] = [
        {"terms": {"event.module": list(ecs.AUDIT_MODULES)}},
        {"terms": {"input.type": list(ecs.JOURNALD_INPUTS)}},
        {"terms": {"log.file.path": list(ecs.AUDIT_PATHS + ecs.SYSLOG_PATHS)}},
    ]
    should.extend({"terms": {name: datasets}} for name in ecs.DATASET_FIELDS)
    return {"bool": {"should": should, "minimum_should_match": 1}}


def _own_events_query(transactions: Sequence[str]) -> dict[str, Any]:
    return {"bool": {"filter": [{"terms": {ecs.TRANSACTION_FIELD: list(transactions)}}]}}


def _context_query(windows: Sequence[tuple[str, float, float]]) -> dict[str, Any]:
    clauses = [
        {"bool": {"filter": [
            {"term": {ecs.HOST_FIELD: node}},
            {"range": {ecs.TIMESTAMP_FIELD: _millis_range(start, end)}},
        ]}}
        for node, start, end in windows
    ]
    return {"bool": {
        "filter": [context_kind_query(),
                   {"bool": {"should": clauses, "minimum_should_match": 1}}],
        "must_not": [{"exists": {"field": ecs.TRANSACTION_FIELD}}],
    }}


def node_windows(events: Sequence[Event], margin: float) -> list[tuple[str, float, float]]:
    """Compute each node's windows: per run, its events there widened by `margin`.

    Overlapping windows of one node are merged.

    Returns (node, start, end) in node then time order. Events without a
    timestamp or a node set no window.
    """
    spans: dict[tuple[str, str], list[float]] = {}
    for event in events:
        if event.timestamp is None or not event.node or event.transaction_id is None:
            continue
        span = spans.setdefault((event.node, event.transaction_id),
                                [event.timestamp, event.timestamp])
        span[0] = min(span[0], event.timestamp)
        span[1] = max(span[1], event.timestamp)

    by_node: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for (node, _transaction), (start, end) in spans.items():
        by_node[node].append((start - margin, end + margin))

    windows: list[tuple[str, float, float]] = []
    for node in sorted(by_node):
        merged: list[list[float]] = []
        for start, end in sorted(by_node[node]):
            if merged and start <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], end)
            else:
                merged.append([start, end])
        windows.extend((node, start, end) for start, end in merged)
    return windows


def _time_range(since: float | None, until: float | None) -> dict[str, Any] | None:
    if since is None and until is None:
        return None
    bounds: dict[str, Any] = {"format": "epoch_millis"}
    if since is not None:
        bounds["gte"] = math.floor(since * 1000)
    if until is not None:
        bounds["lte"] = math.ceil(until * 1000)
    return bounds


def _millis_range(start: float, end: float) -> dict[str, Any]:
    return {"gte": math.floor(start * 1000), "lte": math.ceil(end * 1000),
            "format": "epoch_millis"}


def _chunks(items: Sequence[tuple[str, float, float]], size: int
            ) -> Iterator[Sequence[tuple[str, float, float]]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


# ---------------------------------------------------------------------------
# Errors


def _source_error(error: ApiError | TransportError, settings: EsSettings,
                  _: i18n.Translator) -> SourceError:
    """Turn a client error into a message that names the source and what to do."""
    values: dict[str, Any] = {"url": settings.display_url, "index": settings.index,
                              "timeout": settings.request_timeout,
                              "retries": settings.max_retries}
    if isinstance(error, ApiError):
        values.update(status=error.meta.status, reason=_reason(error))
    else:
        values["reason"] = str(error.message)

    if isinstance(error, AuthenticationException):
        text = _("%(url)s: authentication failed (HTTP 401: %(reason)s). Set an API key "
                 "(RCA_ES_API_KEY) or a user name and password (RCA_ES_USERNAME and "
                 "RCA_ES_PASSWORD).")
    elif isinstance(error, AuthorizationException):
        text = _("%(url)s: access denied (HTTP 403: %(reason)s). The user needs the read "
                 "privilege on %(index)s.")
    elif isinstance(error, NotFoundError) and _error_type(error) == "index_not_found_exception":
        text = _("%(url)s: index %(index)s not found (%(reason)s). Check the index pattern; "
                 "a wildcard such as filebeat-* also matches data streams.")
    elif isinstance(error, UnsupportedProductError):
        text = _("%(url)s: the server is not Elasticsearch. Check the host and port.")
    elif isinstance(error, ApiError) and error.meta.status in RETRY_ON_STATUS:
        text = _("%(url)s: the cluster still returned HTTP %(status)s after %(retries)s "
                 "retries (%(reason)s). Try again later or lower page_size.")
    elif isinstance(error, ApiError):
        text = _("%(url)s: the request failed with HTTP %(status)s (%(reason)s). The fields "
                 "transaction.id, host.name and log.level must be keyword fields.")
    elif isinstance(error, SSLError):
        text = _("%(url)s: TLS verification failed (%(reason)s). Give the cluster's CA "
                 "file in ca_certs (RCA_ES_CA_CERTS).")
    elif isinstance(error, ConnectionTimeout):
        text = _("%(url)s: the request timed out after %(timeout)s s and %(retries)s "
                 "retries. Check the cluster's health, or raise request_timeout.")
    elif isinstance(error, EsConnectionError):
        text = _("%(url)s: cannot connect (%(reason)s). Check the host and port, and that "
                 "Elasticsearch is running.")
    else:
        text = _("%(url)s: the request failed (%(reason)s).")
    return SourceError(text % values)


def _error_type(error: ApiError) -> str:
    body = error.body
    if isinstance(body, Mapping) and isinstance(body.get("error"), Mapping):
        return str(body["error"].get("type", ""))
    return ""


def _reason(error: ApiError) -> str:
    body = error.body
    if isinstance(body, Mapping) and isinstance(body.get("error"), Mapping):
        detail = body["error"]
        return f"{detail.get('type', '')}: {detail.get('reason', '')}".strip(": ")
    return str(error.message)


def _redact(url: str) -> str:
    split = urlsplit(url)
    if split.password is None:
        return url
    netloc = split.netloc.replace(f":{split.password}@", ":***@", 1)
    return split._replace(netloc=netloc).geturl()


def _host_part(host: str) -> str:
    return f"[{host}]" if ":" in host else host
