"""Reports rendered with Kibana settings link runs, first errors and nodes to Discover.

Every link is read back as a browser or a Markdown viewer would (the standard
library's HTML parser, markdown-it for Markdown) and its rison state decoded,
so a link counts only if Kibana would open the right window, data view and query.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote

import pytest
from markdown_it import MarkdownIt

from rca.kb import KnowledgeBase, load_knowledge_base
from rca.model import Investigation, Level, SourceKind, Transaction
from rca.pipeline import investigate
from rca.report.links import DiscoverState, decode_discover_url
from rca.report.render import markdown_link, render
from rca.settings import KibanaSettings, Settings

from .report_fixtures import T0, FakeKnowledgeBase, build_investigation, make_event
from .report_html_check import check_page

REPO = Path(__file__).resolve().parents[2]
INCIDENT = REPO / "fixtures" / "incidents" / "2026-12-03-delve-rollout"
KIBANA = KibanaSettings(url="https://kibana.example.com", space="ops", data_view="rca-logs")
LANGS = ["en", "zh-CN"]

NASTY_NODE = "web \"rhel\" 02 it's!) 节点 | `x` <b>"
NASTY_OTHER_NODE = "db!01\\back&amp;[1]"
NASTY_RUN_ID = 'run "42" it\'s !done! (a b 运行 | `t`'
NASTY_KIBANA = KibanaSettings(url="https://kibana.example.com/base", space="ops team",
                              data_view="logs-*,'fleet' (all)!")


# -- reading links back ------------------------------------------------------------


@dataclass
class FoundLink:
    """One Kibana link of an HTML page and where it sits."""

    href: str
    kind: str
    rel: str
    title: str
    section: str | None
    row: int | None
    text: str = ""


@dataclass
class LinkPage:
    links: list[FoundLink] = field(default_factory=list)
    # Internal anchors (#run-N) per table row, to tell which run a row is about.
    row_anchors: dict[int, list[str]] = field(default_factory=dict)
    # Per failed-run section, whether each node cell or lane name held a Kibana link.
    node_cells: list[tuple[str | None, bool]] = field(default_factory=list)


class _LinkParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.page = LinkPage()
        self.sections: list[str | None] = []
        self.rows = 0
        self.row: int | None = None
        self.link: FoundLink | None = None
        self.cells: list[tuple[str, list[bool]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        classes = values.get("class", "").split()
        if tag == "section":
            self.sections.append(values.get("id"))
        elif tag == "tr":
            self.rows += 1
            self.row = self.rows
        elif (tag == "td" and "node" in classes) or (tag == "div" and "lane-name" in classes):
            self.cells.append((tag, [False]))
        elif tag == "a" and "kibana" in classes:
            kinds = [name.removeprefix("kibana-") for name in classes if name != "kibana"]
            assert len(kinds) == 1, classes
            self.link = FoundLink(href=values.get("href", ""), kind=kinds[0],
                                  rel=values.get("rel", ""), title=values.get("title", ""),
                                  section=self.sections[-1] if self.sections else None,
                                  row=self.row)
            if self.cells:
                self.cells[-1][1][0] = True
        elif tag == "a" and values.get("href", "").startswith("#") and self.row is not None:
            self.page.row_anchors.setdefault(self.row, []).append(values["href"][1:])

    def handle_endtag(self, tag: str) -> None:
        if tag == "section":
            self.sections.pop()
        elif tag == "tr":
            self.row = None
        elif tag == "a" and self.link is not None:
            self.page.links.append(self.link)
            self.link = None
        elif self.cells and tag == self.cells[-1][0]:
            _tag, linked = self.cells.pop()
            self.page.node_cells.append((self.sections[-1] if self.sections else None,
                                         linked[0]))

    def handle_data(self, data: str) -> None:
        if self.link is not None:
            self.link.text += data


def parse_links(page: str) -> LinkPage:
    parser = _LinkParser()
    parser.feed(page)
    parser.close()
    return parser.page


def markdown_links(report: str) -> list[tuple[str, str]]:
    """(href, link text) of every link, as a CommonMark viewer with GitHub tables reads them."""
    tokens = MarkdownIt("commonmark").enable("table").parse(report)
    found: list[tuple[str, str]] = []
    for token in tokens:
        children = token.children or []
        for index, child in enumerate(children):
            if child.type != "link_open":
                continue
            text = []
            for inner in children[index + 1:]:
                if inner.type == "link_close":
                    break
                text.append(inner.content)
            found.append((str(child.attrs["href"]), "".join(text)))
    return found


def kql_value(query: str, field_name: str) -> str:
    """Read back the quoted value of ``field:"..."``, the whole query."""
    prefix = f'{field_name}:"'
    assert query.startswith(prefix), query
    assert query.endswith('"'), query
    value: list[str] = []
    escaped = False
    for char in query[len(prefix):-1]:
        if escaped:
            value.append(char)
            escaped = False
        elif char == "\\":
            escaped = True
        else:
            assert char != '"', f"unescaped quote in {query!r}"
            value.append(char)
    assert not escaped
    return "".join(value)


def query_of(state: DiscoverState) -> str:
    query = state.app_state["query"]
    assert query["language"] == "kuery"
    return str(query["query"])


def window_of(state: DiscoverState) -> tuple[float, float]:
    time_range = state.global_state["time"]
    start = dt.datetime.fromisoformat(time_range["from"].replace("Z", "+00:00")).timestamp()
    end = dt.datetime.fromisoformat(time_range["to"].replace("Z", "+00:00")).timestamp()
    return start, end


def assert_window(state: DiscoverState, start: float, end: float) -> None:
    """The link's range is [start, end] to the millisecond, rounded outwards."""
    found_start, found_end = window_of(state)
    assert start - 0.001 < found_start <= start
    assert end <= found_end < end + 0.001


def event_times(txn: Transaction) -> list[float]:
    return [event.timestamp for event in txn.events if event.timestamp is not None]


# -- the fixture incident ----------------------------------------------------------


@pytest.fixture(scope="module")
def real_kb() -> KnowledgeBase:
    return load_knowledge_base()


@pytest.fixture(scope="module")
def incident(real_kb: KnowledgeBase) -> Investigation:
    result = investigate([str(INCIDENT)], Settings(), real_kb)
    assert result.failed, "the fixture incident has failed runs"
    assert not result.clock_offsets, "the fixture's links are checked without clock offsets"
    return result


@pytest.fixture(scope="module", params=LANGS)
def incident_page(request: pytest.FixtureRequest, incident: Investigation,
                  real_kb: KnowledgeBase) -> LinkPage:
    return parse_links(render(incident, real_kb, format="html", lang=request.param,
                              kibana=KIBANA))


def run_of_link(link: FoundLink, page: LinkPage, investigation: Investigation) -> Transaction:
    """The run a link belongs to: its section, its row's anchor, or its row's run link."""
    by_id = {txn.id: txn for txn in investigation.transactions}
    anchors = {f"run-{position}": txn
               for position, txn in enumerate(investigation.failed, start=1)}
    if link.section in anchors:
        return anchors[link.section]
    for anchor in page.row_anchors.get(link.row or -1, []):
        if anchor in anchors:
            return anchors[anchor]
    row_runs = [found for found in page.links if found.row == link.row and found.kind == "run"]
    assert len(row_runs) == 1, f"no run for the link {link}"
    return by_id[kql_value(query_of(decode_discover_url(row_runs[0].href)), "transaction.id")]


def test_html_every_link_opens_data_view(incident_page: LinkPage) -> None:
    assert incident_page.links
    for link in incident_page.links:
        state = decode_discover_url(link.href)

        assert state.base == "https://kibana.example.com/s/ops"
        assert state.app_state["dataSource"] == {"dataViewId": "rca-logs", "type": "dataView"}
        assert link.rel == "noopener"
        assert link.title


def test_html_every_window_is_run_span_with_margin(incident_page: LinkPage,
                                                   incident: Investigation) -> None:
    margin = incident.window_margin
    for link in incident_page.links:
        txn = run_of_link(link, incident_page, incident)
        assert txn.start is not None
        assert txn.end is not None

        assert_window(decode_discover_url(link.href), txn.start - margin, txn.end + margin)


def test_html_every_window_covers_run_events(incident_page: LinkPage,
                                             incident: Investigation) -> None:
    for link in incident_page.links:
        txn = run_of_link(link, incident_page, incident)
        start, end = window_of(decode_discover_url(link.href))

        assert start <= min(event_times(txn)), link.href
        assert max(event_times(txn)) <= end, link.href


def test_html_run_links_query_transaction(incident_page: LinkPage,
                                          incident: Investigation) -> None:
    run_links = [link for link in incident_page.links if link.kind == "run"]
    assert {run_of_link(link, incident_page, incident).id for link in run_links} == {
        txn.id for txn in incident.transactions}
    for link in run_links:
        txn = run_of_link(link, incident_page, incident)

        assert kql_value(query_of(decode_discover_url(link.href)), "transaction.id") == txn.id
        assert link.text.strip() == txn.id


def test_html_node_links_query_their_node(incident_page: LinkPage,
                                          incident: Investigation) -> None:
    node_links = [link for link in incident_page.links if link.kind == "node"]
    assert node_links
    for link in node_links:
        txn = run_of_link(link, incident_page, incident)
        node = kql_value(query_of(decode_discover_url(link.href)), "host.name")

        assert node == link.text.strip()
        assert node in txn.nodes


def test_html_first_error_links_query_its_node(incident_page: LinkPage,
                                               incident: Investigation) -> None:
    first_error_links = [link for link in incident_page.links if link.kind == "first-error"]
    linked_runs = set()
    for link in first_error_links:
        txn = run_of_link(link, incident_page, incident)
        assert txn.first_error is not None
        linked_runs.add(txn.id)

        assert kql_value(query_of(decode_discover_url(link.href)),
                         "host.name") == txn.first_error.node
    assert linked_runs == {txn.id for txn in incident.failed}


def test_html_failed_run_sections_link_run_and_nodes(incident_page: LinkPage,
                                                     incident: Investigation) -> None:
    for position, txn in enumerate(incident.failed, start=1):
        in_section = [link for link in incident_page.links if link.section == f"run-{position}"]

        assert [link.kind for link in in_section].count("run") == 1, txn.id
        assert [link.kind for link in in_section].count("first-error") == 1, txn.id
        assert {link.text.strip() for link in in_section if link.kind == "node"} == set(
            txn.nodes), txn.id


def test_html_every_node_cell_is_linked(incident_page: LinkPage) -> None:
    in_runs = [linked for section, linked in incident_page.node_cells
               if section is not None and section.startswith("run-")]

    assert in_runs
    assert all(in_runs)


@pytest.mark.parametrize("lang", LANGS)
def test_html_with_links_stays_well_formed(incident: Investigation, real_kb: KnowledgeBase,
                                           lang: str) -> None:
    page = check_page(render(incident, real_kb, format="html", lang=lang, kibana=KIBANA))

    assert page.nesting_errors == []
    assert page.unclosed == []
    assert page.resources == []
    assert {name for tag, name, _value in page.attributes if tag == "a"} == {
        "class", "href", "rel", "title"}


def test_markdown_links_decode_like_json(incident: Investigation, real_kb: KnowledgeBase
                                         ) -> None:
    document = json.loads(render(incident, real_kb, format="json", lang="en", kibana=KIBANA))
    expected = set()
    for txn in document["transactions"]:
        links = txn["links"]
        expected.add(links["run"])
        expected.update(links["nodes"].values())
        if links["first_error"] is not None:
            expected.add(links["first_error"])

    for lang in LANGS:
        report = render(incident, real_kb, format="md", lang=lang, kibana=KIBANA)
        found = {href for href, _text in markdown_links(report) if "/app/discover" in href}

        assert found == expected, lang


def test_markdown_run_links_in_headings(incident: Investigation, real_kb: KnowledgeBase
                                        ) -> None:
    report = render(incident, real_kb, format="md", lang="en", kibana=KIBANA)
    headings = [line for line in report.splitlines() if line.startswith("## ")]
    linked = []
    for heading in headings:
        for href, text in markdown_links(heading):
            linked.append((text, kql_value(query_of(decode_discover_url(href)),
                                           "transaction.id")))

    assert linked == [(txn.id, txn.id) for txn in incident.failed]


def test_json_links_per_run(incident: Investigation, real_kb: KnowledgeBase) -> None:
    document = json.loads(render(incident, real_kb, format="json", lang="en", kibana=KIBANA))
    margin = incident.window_margin
    by_id = {txn.id: txn for txn in incident.transactions}

    for entry in document["transactions"]:
        txn = by_id[entry["id"]]
        links = entry["links"]
        assert txn.start is not None
        assert txn.end is not None

        assert set(links) == {"run", "first_error", "nodes"}
        assert set(links["nodes"]) == set(txn.nodes)
        assert_window(decode_discover_url(links["run"]), txn.start - margin, txn.end + margin)
        assert (links["first_error"] is None) == (txn.first_error is None)


def test_json_keeps_other_keys(incident: Investigation, real_kb: KnowledgeBase) -> None:
    plain = json.loads(render(incident, real_kb, format="json", lang="en"))
    linked = json.loads(render(incident, real_kb, format="json", lang="en", kibana=KIBANA))
    for entry in linked["transactions"]:
        del entry["links"]

    assert linked == plain


@pytest.mark.parametrize("kibana", [None, KibanaSettings(), KibanaSettings(data_view="x")],
                         ids=["none", "empty", "no-url"])
@pytest.mark.parametrize("format", ["md", "html", "json"])
def test_no_kibana_url_no_links(kibana: KibanaSettings | None, format: str) -> None:
    investigation = build_investigation()
    kb = FakeKnowledgeBase()

    report = render(investigation, kb, format=format, lang="en", kibana=kibana)

    assert report == render(investigation, kb, format=format, lang="en")
    assert "/app/discover" not in report


# -- hand-built runs ---------------------------------------------------------------


def test_clock_offset_shifts_node_window() -> None:
    # node-b's clock runs 0.35 s ahead, so its documents carry times 0.35 s later.
    investigation = build_investigation()
    document = json.loads(render(investigation, FakeKnowledgeBase(), format="json", lang="en",
                                 kibana=KIBANA))
    entry = next(item for item in document["transactions"] if item["id"] == "run-0042")
    txn = investigation.transactions[0]
    assert txn.start is not None
    assert txn.end is not None

    assert_window(decode_discover_url(entry["links"]["nodes"]["node-a"]),
                  txn.start - 30.0, txn.end + 30.0)
    assert_window(decode_discover_url(entry["links"]["nodes"]["node-b"]),
                  txn.start + 0.35 - 30.0, txn.end + 0.35 + 30.0)
    assert_window(decode_discover_url(entry["links"]["run"]),
                  txn.start - 30.0, txn.end + 0.35 + 30.0)


def test_run_without_time_has_no_links() -> None:
    investigation = build_investigation()
    untimed = dataclasses.replace(investigation.transactions[3], start=None, end=None)
    investigation.transactions[3] = untimed
    document = json.loads(render(investigation, FakeKnowledgeBase(), format="json", lang="en",
                                 kibana=KIBANA))
    entry = next(item for item in document["transactions"] if item["id"] == untimed.id)

    assert entry["links"] == {"run": None, "first_error": None, "nodes": {}}


def nasty_investigation() -> Investigation:
    """A failed run whose id and node names carry quotes, rison and Markdown specials."""
    events = [
        make_event(0.0, NASTY_NODE, "run started", line=1, txn=NASTY_RUN_ID),
        make_event(1.0, NASTY_OTHER_NODE, "run started", path="db/install.log", line=1,
                   txn=NASTY_RUN_ID),
        make_event(4.5, NASTY_OTHER_NODE, "avc:  denied  { write }", level=Level.ERROR,
                   kind=SourceKind.AUDIT, path="db/audit.log", line=7),
        make_event(5.25, NASTY_NODE, "install failed", level=Level.ERROR, line=2,
                   txn=NASTY_RUN_ID, fields={"exit_code": 1}),
    ]
    txn = Transaction(
        id=NASTY_RUN_ID, events=events, nodes=sorted([NASTY_NODE, NASTY_OTHER_NODE]),
        start=T0, end=T0 + 5.25, failed=True, first_error=events[2], symptoms=[events[3]],
        diagnosis=None,
    )
    return Investigation(sources=["nasty"], transactions=[txn], generated_at=T0,
                         window_margin=12.5)


def test_nasty_values_json_round_trip() -> None:
    investigation = nasty_investigation()
    document = json.loads(render(investigation, FakeKnowledgeBase(), format="json", lang="en",
                                 kibana=NASTY_KIBANA))
    links = document["transactions"][0]["links"]
    run_state = decode_discover_url(links["run"])

    assert run_state.base == "https://kibana.example.com/base/s/ops%20team"
    assert run_state.app_state["dataSource"]["dataViewId"] == NASTY_KIBANA.data_view
    assert kql_value(query_of(run_state), "transaction.id") == NASTY_RUN_ID
    assert_window(run_state, T0 - 12.5, T0 + 5.25 + 12.5)
    for node in (NASTY_NODE, NASTY_OTHER_NODE):
        assert kql_value(query_of(decode_discover_url(links["nodes"][node])), "host.name") == node
    assert kql_value(query_of(decode_discover_url(links["first_error"])),
                     "host.name") == NASTY_OTHER_NODE


@pytest.mark.parametrize("lang", LANGS)
def test_nasty_values_html_round_trip(lang: str) -> None:
    investigation = nasty_investigation()
    page = parse_links(render(investigation, FakeKnowledgeBase(), format="html", lang=lang,
                              kibana=NASTY_KIBANA))

    assert {link.kind for link in page.links} == {"run", "first-error", "node"}
    for link in page.links:
        state = decode_discover_url(link.href)
        assert_window(state, T0 - 12.5, T0 + 5.25 + 12.5)
        if link.kind == "run":
            assert kql_value(query_of(state), "transaction.id") == NASTY_RUN_ID
            assert link.text == NASTY_RUN_ID
        elif link.kind == "node":
            assert kql_value(query_of(state), "host.name") == link.text
        else:
            assert kql_value(query_of(state), "host.name") == NASTY_OTHER_NODE


@pytest.mark.parametrize("lang", LANGS)
def test_nasty_values_markdown_round_trip(lang: str) -> None:
    investigation = nasty_investigation()
    report = render(investigation, FakeKnowledgeBase(), format="md", lang=lang,
                    kibana=NASTY_KIBANA)
    document = json.loads(render(investigation, FakeKnowledgeBase(), format="json", lang=lang,
                                 kibana=NASTY_KIBANA))
    links = document["transactions"][0]["links"]
    found = markdown_links(report)

    assert {href for href, _text in found} == {links["run"], *links["nodes"].values()}
    for href, text in found:
        query = query_of(decode_discover_url(href))
        if href == links["run"]:
            assert kql_value(query, "transaction.id") == NASTY_RUN_ID
            assert text == NASTY_RUN_ID
        elif text in (NASTY_NODE, NASTY_OTHER_NODE):
            assert kql_value(query, "host.name") == text
        else:
            # The first error's time links to its node.
            assert kql_value(query, "host.name") == NASTY_OTHER_NODE


@pytest.mark.parametrize("url", [
    "https://kibana.example.com/a b)c(|d`e<f>&amp;g\\h[i]",
    "https://kibana.example.com/app/discover#/?_g=(time:(from:'x'))&_a=(q:'a!'b')",
], ids=["markdown-specials", "rison"])
@pytest.mark.parametrize("in_table", [False, True], ids=["text", "table"])
def test_markdown_link_keeps_url(url: str, in_table: bool) -> None:
    link = markdown_link("run `1`", url, 'Open "this" | that', in_table=in_table)
    report = f"| a |\n| --- |\n| {link} |\n" if in_table else f"{link}\n"

    ((href, text),) = markdown_links(report)

    assert unquote(href) == unquote(url)
    assert text == "run `1`"
