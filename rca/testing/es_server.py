"""A loopback Elasticsearch for tests and benchmarks.

`FakeElasticsearch` runs `http.server` in a thread bound to 127.0.0.1 on a free
port, keeps documents in memory per index, and responds to the real requests of the
official Python client (version 9) with the response shapes Elasticsearch
documents: ``GET /``, ``_search`` (query DSL, sort, ``search_after``,
``collapse``, aggregations, point in time), ``_msearch``, ``_field_caps``,
``_pit`` open and close, ``_bulk``, ``_count``, index create, delete and
refresh. The query semantics are in `rca.testing.es_dsl`.

Every response carries ``X-Elastic-Product: Elasticsearch``, and a request
sent in compatibility mode (``compatible-with=9`` in ``Accept`` or
``Content-Type``, as the v9 client does) gets its response in the same media type.

Tests can load documents straight into memory (`add_documents`), make requests
fail (`inject_error`, `failing_shards`, `time_out_searches`, `require_api_key`,
`require_basic_auth`), and read what the client sent (`requests`)::

    with FakeElasticsearch() as server:
        server.add_documents("logs-1", [{"@timestamp": "2026-12-03T02:14:07.123Z"}])
        client = Elasticsearch(server.url)
        ...
        assert [r.path for r in server.requests] == ["/logs-1/_search"]
"""

from __future__ import annotations

import base64
import fnmatch
import gzip
import itertools
import json
import logging
import re
import threading
import time
import uuid
import zlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from rca.testing.es_dsl import (
    Dsl,
    DslError,
    ShardReport,
    StoredDocument,
    aggregate,
    check_sortable,
    collapse_hits,
    compare_sort_values,
    flatten,
    numeric_fields,
    parse_sort,
    render_hit,
    sort_documents,
)

log = logging.getLogger(__name__)

VERSION = "9.0.0"
MAX_RESULT_WINDOW = 10_000
_COMPAT_RE = re.compile(r"compatible-with=(\d+)")
_DEFAULT_ERROR_TYPES = {
    400: "illegal_argument_exception",
    401: "security_exception",
    403: "security_exception",
    404: "resource_not_found_exception",
    429: "es_rejected_execution_exception",
    500: "internal_server_error",
    502: "bad_gateway",
    503: "unavailable_shards_exception",
    504: "gateway_timeout",
}


@dataclass(frozen=True, slots=True)
class RecordedRequest:
    """One HTTP request the server received, and its response.

    Header names are lower case; `response` is the JSON body sent back and
    `response_bytes` its size.
    """

    method: str
    path: str
    params: dict[str, str]
    body: Any
    headers: dict[str, str]
    status: int
    response: Any
    response_bytes: int

    @property
    def endpoint(self) -> str:
        """The API the request called: ``search``, ``open_pit``, ``bulk``..."""
        return _endpoint_name(self.method, self.path)


@dataclass(slots=True)
class _InjectedError:
    status: int
    error_type: str
    reason: str
    remaining: int
    path_contains: str | None
    method: str | None


@dataclass(slots=True)
class _PointInTime:
    documents: list[StoredDocument]
    indices: list[str]
    keep_alive: float
    expires: float
    results: dict[tuple[str, str, frozenset[int]],
                  tuple[list[tuple[list[Any], StoredDocument]], list[StoredDocument]]] = field(
        default_factory=dict)


@dataclass(slots=True)
class _Index:
    documents: dict[str, StoredDocument] = field(default_factory=dict)


class FakeElasticsearch:
    """An in-memory Elasticsearch on 127.0.0.1, for tests and benchmarks.

    `shards` is the number of shards of every index. A document's shard comes
    from a CRC32 of its id, where Elasticsearch uses murmur3; the difference
    only changes which documents share a shard. `date_fields` are the fields
    mapped as dates and `text_fields` the analyzed text fields; other strings
    are keywords. `subfields` maps multi-field names to their type
    (``{"message.wildcard": "wildcard"}``); each is indexed from the value of
    the field its name extends.
    """

    def __init__(self, *, shards: int = 1,
                 date_fields: Iterable[str] = ("@timestamp", "event.created", "event.ingested"),
                 text_fields: Iterable[str] = (),
                 subfields: Mapping[str, str] | None = None) -> None:
        if shards < 1:
            raise ValueError(f"shards must be 1 or more, not {shards}")
        self.shards = shards
        self.dsl = Dsl(frozenset(date_fields), frozenset(text_fields), dict(subfields or {}))
        self.failing_shards: set[int] = set()
        self.time_out_searches = False
        self._indices: dict[str, _Index] = {}
        self._pits: dict[str, _PointInTime] = {}
        self._requests: list[RecordedRequest] = []
        self._errors: list[_InjectedError] = []
        self._api_key: str | None = None
        self._basic: tuple[str, str] | None = None
        self._sequence = itertools.count(1)
        self._lock = threading.RLock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle --------------------------------------------------------

    def start(self) -> FakeElasticsearch:
        """Bind to a free port on 127.0.0.1 and serve in a daemon thread."""
        handler = type("Handler", (_Handler,), {"fake": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        # A short poll interval keeps `stop` fast; the default is half a second.
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.02},
                                        name="fake-elasticsearch", daemon=True)
        self._thread.start()
        log.debug("fake Elasticsearch listening on %s", self.url)
        return self

    def stop(self) -> None:
        """Stop serving and release the port."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> FakeElasticsearch:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the fake Elasticsearch is not started")
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        """The base URL, ``http://127.0.0.1:PORT``."""
        return f"http://127.0.0.1:{self.port}"

    def source_url(self, index: str) -> str:
        """Return the analyzer's source URL for `index`: ``es://127.0.0.1:PORT/INDEX``."""
        return f"es://127.0.0.1:{self.port}/{index}"

    # -- data -------------------------------------------------------------

    def add_documents(self, index: str, documents: Iterable[Mapping[str, Any]],
                      ids: Iterable[str] | None = None) -> list[str]:
        """Index documents directly in memory, without HTTP, and return their ids.

        `ids`, when given, names each document in order; otherwise ids are random.

        Raises:
            DslError: a date field of a document contains a value that is not a date.
            ValueError: `ids` and `documents` differ in length.
        """
        sources = list(documents)
        names = list(ids) if ids is not None else [_new_id() for _source in sources]
        stored: list[str] = []
        with self._lock:
            for source, doc_id in zip(sources, names, strict=True):
                self._store(index, doc_id, dict(source))
                stored.append(doc_id)
        return stored

    def create_index(self, index: str) -> None:
        """Create an empty index."""
        with self._lock:
            self._indices.setdefault(index, _Index())

    def document_count(self, index: str | None = None) -> int:
        """Count the documents in `index`, or in every index."""
        with self._lock:
            if index is not None:
                return len(self._indices[index].documents)
            return sum(len(item.documents) for item in self._indices.values())

    def _store(self, index: str, doc_id: str, source: dict[str, Any]) -> StoredDocument:
        values = flatten(source, self.dsl.date_fields)
        for name in self.dsl.subfields:
            parent = values.get(name.rpartition(".")[0])
            if parent:
                values[name] = list(parent)
        document = StoredDocument(index=index, id=doc_id, source=source, values=values,
                                  shard=zlib.crc32(doc_id.encode()) % self.shards,
                                  seq=next(self._sequence))
        self._indices.setdefault(index, _Index()).documents[doc_id] = document
        return document

    # -- faults and credentials -------------------------------------------

    def inject_error(self, status: int, *, times: int = 1, error_type: str | None = None,
                     reason: str | None = None, path_contains: str | None = None,
                     method: str | None = None) -> None:
        """Make the next `times` matching requests fail with HTTP `status`.

        A request matches when its path contains `path_contains` and its method
        is `method`; None matches any.
        """
        with self._lock:
            self._errors.append(_InjectedError(
                status=status,
                error_type=error_type or _DEFAULT_ERROR_TYPES.get(status, "exception"),
                reason=reason or f"injected HTTP {status}",
                remaining=times,
                path_contains=path_contains,
                method=method,
            ))

    def require_api_key(self, api_key: str) -> None:
        """Accept only requests with ``Authorization: ApiKey <api_key>``."""
        self._api_key = api_key

    def require_basic_auth(self, username: str, password: str) -> None:
        """Accept only requests with this user name and password (HTTP Basic)."""
        self._basic = (username, password)

    # -- request log ------------------------------------------------------

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request received so far, oldest first."""
        with self._lock:
            return list(self._requests)

    def clear_requests(self) -> None:
        with self._lock:
            self._requests.clear()

    @property
    def open_pits(self) -> int:
        """How many points in time are open."""
        with self._lock:
            return len(self._pits)

    # -- request handling -------------------------------------------------

    def handle(self, method: str, target: str, headers: Mapping[str, str],
               raw_body: bytes) -> tuple[int, dict[str, str], bytes]:
        """Respond to one request: (status, extra headers, JSON body as bytes).

        Header names in `headers` are lower case.
        """
        split = urlsplit(target)
        path = unquote(split.path) or "/"
        params = dict(parse_qsl(split.query, keep_blank_values=True))
        body: Any
        extra_headers: dict[str, str]
        with self._lock:
            try:
                body = _decode_body(path, raw_body)
            except DslError as error:
                body = raw_body.decode("utf-8", "replace")
                status, extra_headers, payload = error.status, {}, _error_body(error)
            else:
                status, extra_headers, payload = self._answer(method, path, params, headers, body)
            data = b"" if payload is None else json.dumps(payload).encode()
            self._requests.append(RecordedRequest(
                method=method, path=path, params=params, body=body,
                headers=dict(headers),
                status=status, response=payload, response_bytes=len(data),
            ))
        return status, extra_headers, data

    def _answer(self, method: str, path: str, params: dict[str, str],
                headers: Mapping[str, str], body: Any) -> tuple[int, dict[str, str], Any]:
        try:
            auth_error = self._check_auth(headers, path)
            if auth_error is not None:
                return auth_error
            injected = self._take_injected(method, path)
            if injected is not None:
                raise DslError(injected.status, injected.error_type, injected.reason)
            return 200, {}, self._route(method, path, params, body)
        except DslError as error:
            return error.status, {}, _error_body(error)
        except (AttributeError, KeyError, TypeError, ValueError) as error:
            # A request body of an unexpected shape; Elasticsearch rejects it as well.
            log.warning("fake Elasticsearch: cannot read %s %s: %r", method, path, error)
            malformed = DslError(400, "parsing_exception", f"malformed request: {error!r}")
            return 400, {}, _error_body(malformed)

    def _check_auth(self, headers: Mapping[str, str], path: str
                    ) -> tuple[int, dict[str, str], Any] | None:
        if self._api_key is None and self._basic is None:
            return None
        given = headers.get("authorization", "")
        if self._api_key is not None and given == f"ApiKey {self._api_key}":
            return None
        if self._basic is not None:
            expected = base64.b64encode(":".join(self._basic).encode()).decode()
            if given == f"Basic {expected}":
                return None
        reason = ("unable to authenticate with provided credentials" if given
                  else f"missing authentication credentials for REST request [{path}]")
        error = DslError(401, "security_exception", reason)
        challenge = 'ApiKey, Basic realm="security", charset="UTF-8"'
        body = _error_body(error)
        body["error"]["header"] = {"WWW-Authenticate": [challenge]}
        return 401, {"WWW-Authenticate": challenge}, body

    def _take_injected(self, method: str, path: str) -> _InjectedError | None:
        for injected in self._errors:
            if injected.method is not None and injected.method != method:
                continue
            if injected.path_contains is None or injected.path_contains in path:
                injected.remaining -= 1
                if injected.remaining <= 0:
                    self._errors.remove(injected)
                return injected
        return None

    def _route(self, method: str, path: str, params: dict[str, str], body: Any) -> Any:
        parts = [part for part in path.split("/") if part]
        if not parts:
            if method in {"GET", "HEAD"}:
                return _info()
        elif parts == ["_search"] and method in {"GET", "POST"}:
            return self._search(None, params, body or {})
        elif parts == ["_msearch"] and method in {"GET", "POST"}:
            return self._msearch(None, params, body or [])
        elif parts == ["_pit"] and method == "DELETE":
            return self._close_pit(body or {})
        elif parts == ["_bulk"] and method in {"POST", "PUT"}:
            return self._bulk(None, params, body or [])
        elif parts == ["_count"] and method in {"GET", "POST"}:
            return self._count("*", body or {})
        elif len(parts) == 2 and parts[1] == "_search" and method in {"GET", "POST"}:
            return self._search(parts[0], params, body or {})
        elif len(parts) == 2 and parts[1] == "_msearch" and method in {"GET", "POST"}:
            return self._msearch(parts[0], params, body or [])
        elif len(parts) == 2 and parts[1] == "_field_caps" and method in {"GET", "POST"}:
            return self._field_caps(parts[0], params, body or {})
        elif len(parts) == 2 and parts[1] == "_pit" and method == "POST":
            return self._open_pit(parts[0], params)
        elif len(parts) == 2 and parts[1] == "_bulk" and method in {"POST", "PUT"}:
            return self._bulk(parts[0], params, body or [])
        elif len(parts) == 2 and parts[1] == "_count" and method in {"GET", "POST"}:
            return self._count(parts[0], body or {})
        elif len(parts) == 2 and parts[1] == "_refresh" and method in {"GET", "POST"}:
            return {"_shards": self._shard_report(self._resolve(parts[0])).as_dict()}
        elif len(parts) == 1 and not parts[0].startswith("_"):
            return self._index_api(method, parts[0])
        raise DslError(405 if parts else 400, "illegal_argument_exception",
                       f"Incorrect HTTP method for uri [{path}] and method [{method}]")

    # -- indices ----------------------------------------------------------

    def _resolve(self, expression: str) -> list[str]:
        """Index names matching a comma-separated list of names and wildcards.

        A concrete name that does not exist is an error; a wildcard that matches
        nothing matches no index, as with the default ``allow_no_indices``.
        """
        names: list[str] = []
        for part in expression.split(","):
            part = part.strip()
            if part in {"_all", "*"}:
                names.extend(self._indices)
            elif "*" in part or "?" in part:
                names.extend(name for name in self._indices if fnmatch.fnmatchcase(name, part))
            elif part in self._indices:
                names.append(part)
            else:
                error = DslError(404, "index_not_found_exception", f"no such index [{part}]")
                raise error
        return list(dict.fromkeys(names))

    def _index_api(self, method: str, index: str) -> Any:
        if method == "PUT":
            if index in self._indices:
                raise DslError(400, "resource_already_exists_exception",
                               f"index [{index}/{uuid.uuid4().hex[:22]}] already exists")
            self._indices[index] = _Index()
            return {"acknowledged": True, "shards_acknowledged": True, "index": index}
        if method == "DELETE":
            for name in self._resolve(index):
                del self._indices[name]
            return {"acknowledged": True}
        if method in {"GET", "HEAD"}:
            return {name: {"aliases": {}, "mappings": {}, "settings": {}}
                    for name in self._resolve(index)}
        raise DslError(405, "illegal_argument_exception",
                       f"Incorrect HTTP method for uri [/{index}] and method [{method}]")

    def _documents(self, indices: Sequence[str]) -> list[StoredDocument]:
        documents: list[StoredDocument] = []
        for name in indices:
            documents.extend(self._indices[name].documents.values())
        return documents

    def _shard_report(self, indices: Sequence[str]) -> ShardReport:
        failing = sorted(shard for shard in self.failing_shards if shard < self.shards)
        return ShardReport(total=self.shards * len(indices),
                           failed_shards=[(name, shard) for name in indices for shard in failing])

    # -- point in time ----------------------------------------------------

    def _open_pit(self, expression: str, params: Mapping[str, str]) -> Any:
        if "keep_alive" not in params:
            raise DslError(400, "action_request_validation_exception",
                           "Validation Failed: 1: [keep_alive] is not specified;")
        keep_alive = _parse_duration(params["keep_alive"])
        indices = self._resolve(expression)
        pit_id = base64.urlsafe_b64encode(uuid.uuid4().bytes * 2).decode().rstrip("=")
        self._pits[pit_id] = _PointInTime(documents=self._documents(indices), indices=indices,
                                          keep_alive=keep_alive,
                                          expires=time.monotonic() + keep_alive)
        return {"id": pit_id, "_shards": self._shard_report(indices).as_dict()}

    def _close_pit(self, body: Mapping[str, Any]) -> Any:
        pit_id = body.get("id")
        if not isinstance(pit_id, str):
            raise DslError(400, "action_request_validation_exception",
                           "Validation Failed: 1: point in time id is missing;")
        found = self._pits.pop(pit_id, None) is not None
        return {"succeeded": True, "num_freed": 1 if found else 0}

    def _pit_for(self, spec: Any) -> tuple[str, _PointInTime]:
        if not isinstance(spec, Mapping) or not isinstance(spec.get("id"), str):
            raise DslError(400, "parsing_exception", "[pit] requires an [id]")
        pit = self._pits.get(spec["id"])
        if pit is None or pit.expires < time.monotonic():
            self._pits.pop(spec["id"], None)
            raise DslError(404, "search_context_missing_exception",
                           "No search context found for id [1]")
        if "keep_alive" in spec:
            pit.keep_alive = _parse_duration(str(spec["keep_alive"]))
        pit.expires = time.monotonic() + pit.keep_alive
        return spec["id"], pit

    # -- search -----------------------------------------------------------

    def _search(self, expression: str | None, params: Mapping[str, str],
                body: Mapping[str, Any]) -> Any:
        pit_id: str | None = None
        pit: _PointInTime | None = None
        if "pit" in body:
            if expression is not None:
                raise DslError(400, "action_request_validation_exception",
                               "Validation Failed: 1: [indices] cannot be used with point in "
                               "time. Do not specify any index with point in time.;")
            pit_id, pit = self._pit_for(body["pit"])
            indices = pit.indices
        else:
            indices = self._resolve(expression or "*")

        size = int(body.get("size", params.get("size", 10)))
        start = int(body.get("from", params.get("from", 0)))
        if start + size > MAX_RESULT_WINDOW:
            raise DslError(400, "illegal_argument_exception",
                           f"Result window is too large, from + size must be less than or "
                           f"equal to: [{MAX_RESULT_WINDOW}] but was [{start + size}].")
        fields = parse_sort(body["sort"]) if "sort" in body else []
        search_after = body.get("search_after")
        collapse = body.get("collapse")
        _check_paging(fields, search_after, start, collapse)

        ordered, matched = self._ordered(pit, indices, body, fields)
        if search_after is not None:
            ordered = [(values, document) for values, document in ordered
                       if compare_sort_values(values, search_after, fields) > 0]

        response: dict[str, Any] = {"took": 1, "timed_out": self.time_out_searches,
                                    "_shards": self._shard_report(indices).as_dict()}
        if pit_id is not None:
            response["pit_id"] = pit_id
        hits: dict[str, Any] = {}
        total = _total_hits(body.get("track_total_hits", True if pit else 10_000), len(matched))
        if total is not None:
            hits["total"] = total
        hits["max_score"] = None if fields else 1.0
        hits["hits"] = self._render(ordered, body, bool(fields), start, size)
        response["hits"] = hits
        if "aggs" in body or "aggregations" in body:
            aggs = body.get("aggs", body.get("aggregations", {}))
            response["aggregations"] = aggregate(aggs, matched, self.dsl)
        return response

    def _msearch(self, default_index: str | None, params: Mapping[str, str], lines: Any) -> Any:
        """Run each header and body pair as a search; a failed search is its own error item."""
        if not isinstance(lines, list) or len(lines) % 2:
            raise DslError(400, "illegal_argument_exception",
                           "The msearch request must be NDJSON header and body pairs")
        responses: list[dict[str, Any]] = []
        for header, body in zip(lines[::2], lines[1::2], strict=True):
            index = header.get("index", default_index) if isinstance(header, Mapping) else None
            if isinstance(index, list):
                index = ",".join(str(name) for name in index)
            try:
                response = self._search(index, {}, body or {})
            except DslError as error:
                responses.append(_error_body(error))
            else:
                response["status"] = 200
                responses.append(response)
        return {"took": 1, "responses": responses}

    def _field_caps(self, expression: str, params: Mapping[str, str], body: Mapping[str, Any]
                    ) -> Any:
        """Report the type of each field matching ``fields``, as the stored values suggest.

        With ``include_unmapped=true``, the indices that lack a field are listed
        under the type ``unmapped``. With ``ignore_unavailable=true``, missing
        indices are left out instead of failing the request.
        """
        requested = params.get("fields", body.get("fields", "*"))
        if isinstance(requested, list):
            requested = ",".join(str(name) for name in requested)
        patterns = [part.strip() for part in str(requested).split(",") if part.strip()]
        if str(params.get("ignore_unavailable", "false")).lower() == "true":
            expression = ",".join(part for part in expression.split(",")
                                  if "*" in part or "?" in part or part.strip() in self._indices)
        indices = self._resolve(expression) if expression else []
        types: dict[str, dict[str, list[str]]] = {}
        for name in indices:
            for document in self._indices[name].documents.values():
                for field_name, values in document.values.items():
                    if values and any(fnmatch.fnmatchcase(field_name, pattern)
                                      for pattern in patterns):
                        field_type = self._field_type(field_name, values[0])
                        found = types.setdefault(field_name, {}).setdefault(field_type, [])
                        if name not in found:
                            found.append(name)
        if str(params.get("include_unmapped", "false")).lower() == "true":
            for by_type in types.values():
                missing = [name for name in indices
                           if not any(name in found for found in by_type.values())]
                if missing:
                    by_type["unmapped"] = missing
        fields: dict[str, Any] = {}
        for field_name, by_type in sorted(types.items()):
            fields[field_name] = {}
            for field_type, found in by_type.items():
                caps: dict[str, Any] = {"type": field_type, "metadata_field": False,
                                        "searchable": True,
                                        "aggregatable": field_type not in {"text", "wildcard"}}
                if len(by_type) > 1:
                    caps["indices"] = found
                fields[field_name][field_type] = caps
        return {"indices": indices, "fields": fields}

    def _field_type(self, name: str, value: Any) -> str:
        if name in self.dsl.subfields:
            return self.dsl.subfields[name]
        if name in self.dsl.text_fields:
            return "text"
        if name in self.dsl.date_fields:
            return "date"
        if isinstance(value, bool):
            return "boolean"
        if isinstance(value, int):
            return "long"
        if isinstance(value, float):
            return "float"
        return "keyword"

    def _ordered(self, pit: _PointInTime | None, indices: list[str], body: Mapping[str, Any],
                 fields: list[Any]) -> tuple[list[tuple[list[Any], StoredDocument]],
                                             list[StoredDocument]]:
        """Matching documents in sort order, and in index order.

        A point in time is a snapshot, so the result of one query and sort on it
        never changes and is kept for the following pages.
        """
        failing = frozenset(self.failing_shards)
        key = (json.dumps(body.get("query"), sort_keys=True),
               json.dumps(body.get("sort"), sort_keys=True), failing)
        if pit is not None and key in pit.results:
            return pit.results[key]

        candidates = pit.documents if pit is not None else self._documents(indices)
        visible = [document for document in candidates if document.shard not in failing]
        check_sortable(fields, visible, with_pit=pit is not None)
        predicate = self.dsl.compile(body.get("query"))
        matched = [document for document in visible if predicate(document)]
        ordered = sort_documents(matched, fields, numeric_fields(fields, visible))
        if pit is not None:
            pit.results[key] = (ordered, matched)
        return ordered, matched

    def _render(self, ordered: list[tuple[list[Any], StoredDocument]], body: Mapping[str, Any],
                sorted_hits: bool, start: int, size: int) -> list[dict[str, Any]]:
        source_spec = body.get("_source")
        collapse = body.get("collapse")
        if collapse is None:
            return [render_hit(document, source_spec=source_spec,
                               sort=values if sorted_hits else None)
                    for values, document in ordered[start:start + size]]
        rendered: list[dict[str, Any]] = []
        for values, document, extra in collapse_hits(ordered, collapse, self.dsl):
            hit = render_hit(document, source_spec=source_spec,
                             sort=values if sorted_hits else None)
            hit.update(extra)
            rendered.append(hit)
        return rendered[start:start + size]

    def _count(self, expression: str, body: Mapping[str, Any]) -> Any:
        indices = self._resolve(expression)
        predicate = self.dsl.compile(body.get("query"))
        failing = set(self.failing_shards)
        count = sum(1 for document in self._documents(indices)
                    if document.shard not in failing and predicate(document))
        return {"count": count, "_shards": self._shard_report(indices).as_dict()}

    # -- bulk -------------------------------------------------------------

    def _bulk(self, default_index: str | None, params: Mapping[str, str], lines: Any) -> Any:
        if not isinstance(lines, list):
            raise DslError(400, "illegal_argument_exception", "The bulk request must be NDJSON")
        items: list[dict[str, Any]] = []
        position = 0
        while position < len(lines):
            action_line = lines[position]
            position += 1
            if not isinstance(action_line, Mapping) or len(action_line) != 1:
                raise DslError(400, "illegal_argument_exception",
                               f"Malformed action/metadata line [{position}]")
            ((action, meta),) = action_line.items()
            index = meta.get("_index", default_index)
            doc_id = meta.get("_id")
            if action == "delete":
                items.append({action: self._bulk_delete(index, doc_id)})
                continue
            if action not in {"index", "create"} or position >= len(lines):
                raise DslError(400, "illegal_argument_exception",
                               f"Malformed action/metadata line [{position}], expected "
                               f"one of [create, delete, index] but found [{action}]")
            source = lines[position]
            position += 1
            items.append({action: self._bulk_index(action, index, doc_id, source)})
        errors = any(next(iter(item.values())).get("error") for item in items)
        return {"took": 1, "errors": errors, "items": items}

    def _bulk_index(self, action: str, index: str | None, doc_id: str | None,
                    source: Any) -> dict[str, Any]:
        if index is None:
            return _item_error("", "", 400, "action_request_validation_exception",
                               "index is missing")
        doc_id = doc_id or _new_id()
        existing = self._indices.get(index, _Index()).documents.get(doc_id)
        if action == "create" and existing is not None:
            return _item_error(index, doc_id, 409, "version_conflict_engine_exception",
                               f"[{doc_id}]: version conflict, document already exists")
        try:
            self._store(index, doc_id, dict(source))
        except DslError as error:
            return _item_error(index, doc_id, error.status, error.error_type, error.reason)
        return {"_index": index, "_id": doc_id, "_version": 1,
                "result": "updated" if existing else "created",
                "_shards": {"total": 1, "successful": 1, "failed": 0},
                "status": 200 if existing else 201}

    def _bulk_delete(self, index: str | None, doc_id: str | None) -> dict[str, Any]:
        stored = self._indices.get(index or "", _Index()).documents
        found = doc_id is not None and stored.pop(doc_id, None) is not None
        return {"_index": index, "_id": doc_id, "result": "deleted" if found else "not_found",
                "status": 200 if found else 404}


class _Handler(BaseHTTPRequestHandler):
    fake: FakeElasticsearch
    protocol_version = "HTTP/1.1"
    server_version = "fake-elasticsearch"
    # Headers and body leave in separate writes; without TCP_NODELAY, Nagle's
    # algorithm and delayed ACKs add about 40 ms to every keep-alive request.
    disable_nagle_algorithm = True

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def do_PUT(self) -> None:
        self._serve("PUT")

    def do_DELETE(self) -> None:
        self._serve("DELETE")

    def do_HEAD(self) -> None:
        self._serve("HEAD")

    def _serve(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        if self.headers.get("Content-Encoding") == "gzip" and raw:
            raw = gzip.decompress(raw)
        headers = {name.lower(): value for name, value in self.headers.items()}

        extra: dict[str, str]
        try:
            _check_media_types(headers)
        except DslError as error:
            status, extra, data = error.status, {}, json.dumps(_error_body(error)).encode()
        else:
            status, extra, data = self.fake.handle(method, self.path, headers, raw)

        self.send_response(status)
        self.send_header("X-Elastic-Product", "Elasticsearch")
        self.send_header("Content-Type", self._media_type(headers))
        self.send_header("Content-Length", str(len(data)))
        for name, value in extra.items():
            self.send_header(name, value)
        self.end_headers()
        if method != "HEAD":
            self.wfile.write(data)

    @staticmethod
    def _media_type(headers: Mapping[str, str]) -> str:
        match = _COMPAT_RE.search(headers.get("accept", ""))
        if match:
            return f"application/vnd.elasticsearch+json;compatible-with={match.group(1)}"
        return "application/json"

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("fake Elasticsearch: " + format, *args)


def _check_media_types(headers: Mapping[str, str]) -> None:
    """Reject compatibility modes other than 8 and 9, as Elasticsearch 9 does."""
    for name in ("accept", "content-type"):
        match = _COMPAT_RE.search(headers.get(name, ""))
        if match and match.group(1) not in {"8", "9"}:
            raise DslError(400, "media_type_header_exception",
                           f"Invalid media-type value on headers [{name}]: compatible-with="
                           f"{match.group(1)} is not supported")


def _decode_body(path: str, raw: bytes) -> Any:
    if not raw:
        return None
    text = raw.decode("utf-8")
    if path.rstrip("/").endswith(("_bulk", "_msearch")):
        try:
            # NDJSON lines end at "\n" only: JSON strings may hold U+2028 or U+0085
            # unescaped, which str.splitlines() would also split on.
            return [json.loads(line) for line in text.split("\n") if line.strip()]
        except json.JSONDecodeError as error:
            raise DslError(400, "x_content_parse_exception", str(error)) from error
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise DslError(400, "x_content_parse_exception", str(error)) from error


def _check_paging(fields: Sequence[Any], search_after: Any, start: int, collapse: Any) -> None:
    if search_after is None:
        return
    if not fields:
        raise DslError(400, "action_request_validation_exception",
                       "Validation Failed: 1: [search_after] requires a [sort];")
    if start > 0:
        raise DslError(400, "illegal_argument_exception",
                       "[from] parameter must be set to 0 when [search_after] is used")
    if not isinstance(search_after, list) or len(search_after) != len(fields):
        count = len(search_after) if isinstance(search_after, list) else 1
        raise DslError(400, "illegal_argument_exception",
                       f"search_after has {count} value(s) but sort has {len(fields)}.")
    if collapse is not None and (len(fields) != 1 or fields[0].name != collapse.get("field")):
        raise DslError(400, "illegal_argument_exception",
                       "Cannot use [collapse] in conjunction with [search_after] unless the "
                       "search is sorted on the same field. Multiple sort fields are not "
                       "allowed.")


def _total_hits(track: Any, count: int) -> dict[str, Any] | None:
    if track is False:
        return None
    if track is True:
        return {"value": count, "relation": "eq"}
    limit = int(track)
    if count > limit:
        return {"value": limit, "relation": "gte"}
    return {"value": count, "relation": "eq"}


def _error_body(error: DslError) -> dict[str, Any]:
    cause = {"type": error.error_type, "reason": error.reason}
    if error.error_type == "index_not_found_exception":
        index = error.reason.rpartition("[")[2].rstrip("]")
        cause.update({"resource.type": "index_or_alias", "resource.id": index,
                      "index_uuid": "_na_", "index": index})
    return {"error": {"root_cause": [dict(cause)], **cause}, "status": error.status}


def _item_error(index: str, doc_id: str, status: int, error_type: str, reason: str
                ) -> dict[str, Any]:
    return {"_index": index, "_id": doc_id, "status": status,
            "error": {"type": error_type, "reason": reason}}


def _info() -> dict[str, Any]:
    return {
        "name": "fake-node-0",
        "cluster_name": "rca-fake",
        "cluster_uuid": "fake-cluster-uuid",
        "version": {"number": VERSION, "build_flavor": "default", "build_type": "docker",
                    "build_hash": "0" * 40, "build_date": "2025-04-01T00:00:00.000Z",
                    "build_snapshot": False, "lucene_version": "10.1.0",
                    "minimum_wire_compatibility_version": "8.18.0",
                    "minimum_index_compatibility_version": "8.0.0"},
        "tagline": "You Know, for Search",
    }


def _parse_duration(text: str) -> float:
    match = re.fullmatch(r"(\d+)(ms|s|m|h|d)", text.strip())
    if not match:
        raise DslError(400, "parse_exception",
                       f"failed to parse setting [keep_alive] with value [{text}] as a time "
                       "value: unit is missing or unrecognized")
    scale = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}[match.group(2)]
    return int(match.group(1)) * scale


def _endpoint_name(method: str, path: str) -> str:
    parts = [part for part in path.split("/") if part]
    if not parts:
        return "info"
    last = parts[-1]
    if last == "_pit":
        return "close_pit" if method == "DELETE" else "open_pit"
    if last.startswith("_"):
        return last[1:]
    return {"PUT": "create_index", "DELETE": "delete_index"}.get(method, "get_index")


def _new_id() -> str:
    return base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")[:20]
