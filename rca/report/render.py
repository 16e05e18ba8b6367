"""Render an investigation as Markdown, HTML or JSON, in English or Simplified Chinese.

Markdown and HTML come from the Jinja templates in ``rca/report/templates``. The
HTML environment autoescapes, and the Markdown environment escapes every printed
value with `rca.report.markdown` unless a Markdown helper produced it. JSON is
built as Python objects by `rca.report.jsondoc`, because a template cannot
guarantee valid JSON.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from typing import Final, TextIO
from urllib.parse import quote

from markupsafe import Markup

from rca import i18n
from rca.errors import UsageError
from rca.i18n import N_
from rca.model import Diagnosis, Investigation
from rca.report import markdown
from rca.report.describe import CauseDescriber
from rca.report.environment import join_list, report_environment
from rca.report.jsondoc import render_json, write_json
from rca.report.text import clip, one_line, printable
from rca.report.view import build_report, decided_by_label
from rca.settings import KibanaSettings

logger = logging.getLogger(__name__)

FORMATS: Final = ("md", "html", "json")
_TEMPLATES: Final = {"md": "report.md.j2", "html": "report.html.j2"}
# Characters of the path and the fix shown in one line of `rca diagnose`.
_LINE_FIX_LIMIT: Final = 200
# Tooltips of the Kibana links, by kind of link.
_LINK_TITLES: Final = {
    "run": N_("Open this run's documents in Kibana Discover"),
    "first-error": N_("Open the first error's node in Kibana Discover, over the run's window"),
    "node": N_("Open this node's documents in Kibana Discover, over the run's window"),
}
# Characters with a meaning in a Markdown link destination or title, or that a
# table cell would split on. Whitespace and controls are percent-encoded instead.
_MARKDOWN_URL_ESCAPES: Final = frozenset("\\()[]<>&")
_MARKDOWN_URL_ENCODED: Final = frozenset("|`\"")


def render(investigation: Investigation, kb: CauseDescriber, *, format: str, lang: str,
           kibana: KibanaSettings | None = None) -> str:
    """Render the report of an investigation.

    Args:
        investigation: the runs, files and warnings to report.
        kb: describes each diagnosis in `lang` (title, explanation, fixes).
        format: ``md``, ``html`` or ``json``.
        lang: ``en`` or ``zh-CN``.
        kibana: where to link runs, first errors and nodes in Kibana Discover.
            None, or settings without a URL, leave the report without links.

    Raises:
        UsageError: `format` or `lang` is not supported.
    """
    kibana = _checked(investigation, format=format, lang=lang, kibana=kibana)
    if format == "json":
        return render_json(investigation, kb, lang, kibana=kibana)
    return _render_template(investigation, kb, format=format, lang=lang, kibana=kibana)


def render_to(stream: TextIO, investigation: Investigation, kb: CauseDescriber, *,
              format: str, lang: str, kibana: KibanaSettings | None = None) -> None:
    """Write the report of an investigation to `stream`, as `render` returns it.

    A JSON report is written while it is encoded, so the whole text is never in
    memory. Takes the arguments of `render` and raises what it raises.
    """
    kibana = _checked(investigation, format=format, lang=lang, kibana=kibana)
    if format == "json":
        write_json(stream, investigation, kb, lang, kibana=kibana)
        return
    stream.write(_render_template(investigation, kb, format=format, lang=lang, kibana=kibana))


def _checked(investigation: Investigation, *, format: str, lang: str,
             kibana: KibanaSettings | None) -> KibanaSettings | None:
    """Validate `format` and `lang`; return `kibana`, or None when it names no URL."""
    _ = i18n.gettext(lang if lang in i18n.LANGUAGES else i18n.ENGLISH)
    if lang not in i18n.LANGUAGES:
        raise UsageError(
            _("Invalid language %(value)r: expected one of %(choices)s.")
            % {"value": lang, "choices": ", ".join(i18n.LANGUAGES)}
        )
    if format not in FORMATS:
        raise UsageError(
            _("Invalid report format %(value)r: expected one of %(choices)s.")
            % {"value": format, "choices": ", ".join(FORMATS)}
        )

    logger.debug(
        "rendering %s report in %s: %s runs, %s files",
        format, lang, len(investigation.transactions), len(investigation.files),
    )
    if kibana is not None and not kibana.url:
        return None
    return kibana


def _render_template(investigation: Investigation, kb: CauseDescriber, *, format: str,
                     lang: str, kibana: KibanaSettings | None) -> str:
    view = build_report(investigation, kb, lang, kibana=kibana)
    template = report_environment(format, lang).get_template(_TEMPLATES[format])
    helpers = link_helpers(format, lang)
    return template.render(report=view, **helpers).rstrip("\n") + "\n"


def format_diagnosis_line(path: str, diagnosis: Diagnosis, kb: CauseDescriber, lang: str) -> str:
    """Summarize the diagnosis of one file on one line, for ``rca diagnose`` on a terminal.

    The line names the path, the cause title and id, the confidence, what decided
    it, and the first fix (its command when it has one). Log-derived text is made
    printable, so a terminal escape sequence in a log cannot act on the terminal.
    """
    _ = i18n.gettext(lang)
    text = kb.describe(diagnosis, lang)
    summary = _(
        "%(path)s: %(title)s (%(cause)s), confidence %(confidence)s, decided by %(decided_by)s"
    )
    line = summary % {
        "path": one_line(printable(path)),
        "title": one_line(printable(text.title)),
        "cause": diagnosis.cause,
        "confidence": i18n.format_percent(diagnosis.confidence, lang),
        "decided_by": decided_by_label(diagnosis.decided_by, lang),
    }
    if text.fixes:
        fix = text.fixes[0]
        shown = fix.command if fix.command else fix.text
        line += _("; fix: %(fix)s") % {"fix": clip(one_line(printable(shown)), _LINE_FIX_LIMIT)}
    return line


LinkHelper = Callable[..., str]


def link_helpers(format: str, lang: str) -> dict[str, LinkHelper]:
    """Return the template helpers that print Kibana links in `format` (``md`` or ``html``).

    ``kibana_link(content, url, kind)`` wraps already formatted `content` in a
    link of `kind` (``run``, ``first-error`` or ``node``), or returns it
    unchanged when `url` is None. ``node_list(nodes, urls)`` lists node names
    as code, each linked to ``urls[name]`` when present, and ``cell_node_list``
    does the same inside a Markdown table cell. Without URLs both print what
    the ``code_list`` and ``cell_code_list`` filters print.
    """
    translate = i18n.gettext(lang)
    html = format == "html"

    def kibana_link(content: str, url: str | None, kind: str, *, in_table: bool = False
                    ) -> str:
        if url is None:
            return content
        title = translate(_LINK_TITLES[kind])
        if html:
            return Markup(
                '<a class="kibana kibana-{kind}" href="{url}" rel="noopener" title="{title}">'
                "{content}</a>"
            ).format(kind=kind, url=url, title=title, content=content)
        return markdown_link(content, url, title, in_table=in_table)

    def listed(nodes: Iterable[str], urls: Mapping[str, str], *, in_table: bool) -> str:
        if html:
            items = [kibana_link(Markup("<code>%s</code>") % node, urls.get(node), "node")
                     for node in nodes]
            return Markup(join_list(items, lang))
        items = [kibana_link(markdown.code_span(node, in_table=in_table), urls.get(node), "node",
                             in_table=in_table)
                 for node in nodes]
        return markdown.MarkdownSafe(join_list(items, lang))

    def node_list(nodes: Iterable[str], urls: Mapping[str, str]) -> str:
        return listed(nodes, urls, in_table=False)

    def cell_node_list(nodes: Iterable[str], urls: Mapping[str, str]) -> str:
        return listed(nodes, urls, in_table=True)

    return {"kibana_link": kibana_link, "node_list": node_list, "cell_node_list": cell_node_list}


def markdown_link(content: str, url: str, title: str, *, in_table: bool = False
                  ) -> markdown.MarkdownSafe:
    """Write a Markdown inline link whose destination and title cannot end early.

    `content` is escaped unless it is already Markdown. In the destination,
    ``\\ ( ) [ ] < > &`` get a backslash, which CommonMark removes again, and
    whitespace, controls, ``|``, backticks and ``"`` are percent-encoded, which
    leaves the URL's meaning unchanged. In a table cell a ``|`` in the title is
    escaped as ``\\|``.
    """
    destination = "".join(_markdown_url_char(char) for char in url)
    escaped_title = title.replace("\\", "\\\\").replace('"', '\\"')
    if in_table:
        escaped_title = escaped_title.replace("|", "\\|")
    text = markdown.escape_text(content)
    return markdown.MarkdownSafe(f'[{text}]({destination} "{escaped_title}")')


def _markdown_url_char(char: str) -> str:
    if char in _MARKDOWN_URL_ESCAPES:
        return "\\" + char
    if char in _MARKDOWN_URL_ENCODED or not char.isprintable() or char.isspace():
        return quote(char, safe="")
    return char
