"""The Jinja environments of the Markdown and HTML reports, one per format and language.

Both formats get the same helpers: ``_`` and ``ngettext`` translate and fill in
``%(name)s`` values, ``label`` adds the language's colon, ``span`` writes a time
span, and the ``code_list`` filter joins identifiers the way the language lists
things (`join_list`). Each helper escapes what it fills in for its format and marks its result
as safe, so the template does not escape it a second time.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from babel.lists import format_list
from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup, escape

from rca import i18n
from rca.report import markdown
from rca.report.view import DiagnosisView, RunView


@dataclass(frozen=True, slots=True)
class _Markup:
    """The escaping functions of one output format: values, code, and finished safe text."""

    escape: Callable[[Any], str]
    escape_message: Callable[[str], str]
    code: Callable[[Any], str]
    table_code: Callable[[Any], str]
    safe: Callable[[str], str]


_HTML = _Markup(
    escape=escape,
    escape_message=escape,
    code=lambda value: Markup("<code>%s</code>") % value,
    table_code=lambda value: Markup("<code>%s</code>") % value,
    safe=Markup,
)
_MARKDOWN = _Markup(
    escape=markdown.escape_text,
    escape_message=markdown.escape_format,
    code=markdown.code_span,
    table_code=lambda value: markdown.code_span(value, in_table=True),
    safe=markdown.MarkdownSafe,
)


NO_VALUE = "—"


def join_list(items: Sequence[str], lang: str) -> str:
    """Join formatted items as the language lists them: ``a, b, and c`` or ``a、b、c``.

    Babel's Chinese pattern puts ``和`` between the last two items with no space,
    which runs node names together (``app-02和deploy-01``), so Chinese lists use
    the enumeration comma ``、`` between all items.
    """
    if not items:
        return ""
    if lang == i18n.CHINESE:
        return "、".join(items)
    return format_list(list(items), locale=i18n.babel_locale(lang))


def html_path_code(path: str) -> Markup:
    """Show a path as HTML code that may wrap only after a ``/``, never inside a name.

    Each ``/``-terminated part is a span that the stylesheet keeps on one line
    (a hyphen would otherwise allow a break), and a ``<wbr>`` between the parts
    is the only break opportunity.
    """
    names = str(path).split("/")
    parts = [name + "/" for name in names[:-1]] + [names[-1]]
    spans = [Markup("<span>%s</span>") % part for part in parts if part]
    return Markup('<code class="path">%s</code>') % Markup("<wbr>").join(spans)


@functools.cache
def report_environment(format: str, lang: str) -> Environment:
    """Build the Jinja environment for ``md`` or ``html`` in `lang`, with its helpers."""
    html = format == "html"
    markup = _HTML if html else _MARKDOWN
    environment = Environment(
        loader=PackageLoader("rca.report", "templates"),
        autoescape=html,
        finalize=None if html else _finalize_markdown,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    translate = i18n.gettext(lang)
    translate_plural = i18n.ngettext(lang)
    def fill(message: str, variables: dict[str, Any]) -> str:
        values = {name: markup.escape(value) for name, value in variables.items()}
        return markup.safe(markup.escape_message(message) % values)

    def gettext(message: str, /, **variables: Any) -> str:
        return fill(translate(message), variables)

    def ngettext(singular: str, plural: str, count: int, /, **variables: Any) -> str:
        return fill(translate_plural(singular, plural, count), variables)

    def join(items: Iterable[str]) -> str:
        return markup.safe(join_list(list(items), lang))

    def label(name: str) -> str:
        return gettext("%(label)s:", label=name)

    def span(run: RunView) -> str:
        if run.duration:
            return gettext(
                "%(start)s – %(end)s UTC (%(duration)s)",
                start=run.start, end=run.end, duration=run.duration,
            )
        return gettext(
            "%(start)s – %(end)s UTC",
            start=run.start, end=run.end,
        )

    def alternatives(diagnosis: DiagnosisView) -> str:
        if diagnosis.outranked:
            return join(
                gettext("%(cause)s (also matched, outranked by %(winner)s)",
                        cause=markup.code(cause), winner=markup.code(diagnosis.cause))
                for cause, _confidence in diagnosis.alternatives
            )
        return join(
            gettext("%(cause)s (%(confidence)s)", cause=markup.code(cause), confidence=confidence)
            for cause, confidence in diagnosis.alternatives
        )

    def number(value: int | float | None) -> str:
        return NO_VALUE if value is None else i18n.format_number(value, lang)

    environment.globals.update(
        _=gettext, gettext=gettext, ngettext=ngettext, label=label, span=span,
        alternatives=alternatives, lang=lang,
    )
    environment.filters.update(
        num=number,
        path_code=html_path_code if html else markup.table_code,
        code=markup.code,
        cell_code=markup.table_code,
        code_list=lambda items: join(markup.code(item) for item in items),
        cell_code_list=lambda items: join(markup.table_code(item) for item in items),
        codeblock=markdown.code_block,
        paragraphs=markdown.escape_paragraphs,
        autolink=markdown.autolink,
    )
    return environment


def _finalize_markdown(value: object) -> str:
    if value is None:
        return ""
    return markdown.escape_text(value)
