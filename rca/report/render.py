"""Render an investigation as Markdown, HTML or JSON, in English or Simplified Chinese.

Markdown and HTML come from the Jinja templates in ``rca/report/templates``. The
HTML environment autoescapes, and the Markdown environment escapes every printed
value with `rca.report.markdown` unless a Markdown helper produced it. JSON is
built as Python objects by `rca.report.jsondoc`, because a template cannot
guarantee valid JSON.
"""

from __future__ import annotations

import logging
from typing import Final

from rca import i18n
from rca.errors import UsageError
from rca.model import Diagnosis, Investigation
from rca.report.describe import CauseDescriber
from rca.report.environment import report_environment
from rca.report.jsondoc import render_json
from rca.report.text import clip, one_line, printable
from rca.report.view import build_report, decided_by_label

logger = logging.getLogger(__name__)

FORMATS: Final = ("md", "html", "json")
_TEMPLATES: Final = {"md": "report.md.j2", "html": "report.html.j2"}
# Characters of the path and the fix shown in one line of `rca diagnose`.
_LINE_FIX_LIMIT: Final = 200


def render(investigation: Investigation, kb: CauseDescriber, *, format: str, lang: str) -> str:
    """Render the report of an investigation.

    Args:
        investigation: the runs, files and warnings to report.
        kb: describes each diagnosis in `lang` (title, explanation, fixes).
        format: ``md``, ``html`` or ``json``.
        lang: ``en`` or ``zh-CN``.

    Raises:
        UsageError: `format` or `lang` is not supported.
    """
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
    if format == "json":
        return render_json(investigation, kb, lang)
    view = build_report(investigation, kb, lang)
    template = report_environment(format, lang).get_template(_TEMPLATES[format])
    return template.render(report=view).rstrip("\n") + "\n"


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
