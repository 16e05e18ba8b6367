"""`render_to` and `write_json`: the report written to a stream equals the rendered string."""

from __future__ import annotations

import io
import json
from collections.abc import Callable

import pytest

from rca.errors import UsageError
from rca.model import Investigation
from rca.report import jsondoc
from rca.report.render import render, render_to
from rca.settings import KibanaSettings

from .report_fixtures import FakeKnowledgeBase, build_investigation, hostile_investigation


class CountingStream(io.StringIO):
    """A text stream that counts the calls to `write`."""

    def __init__(self) -> None:
        super().__init__()
        self.writes = 0

    def write(self, text: str) -> int:
        self.writes += 1
        return super().write(text)


INVESTIGATIONS: dict[str, Callable[[], Investigation]] = {
    "two-node": build_investigation,
    "hostile": hostile_investigation,
}


@pytest.mark.parametrize("lang", ["en", "zh-CN"])
@pytest.mark.parametrize("format", ["md", "html", "json"])
@pytest.mark.parametrize("name", list(INVESTIGATIONS))
def test_render_to_equals_render(kb: FakeKnowledgeBase, name: str, format: str,
                                 lang: str) -> None:
    investigation = INVESTIGATIONS[name]()
    stream = io.StringIO()

    render_to(stream, investigation, kb, format=format, lang=lang)

    assert stream.getvalue() == render(investigation, kb, format=format, lang=lang)


def test_render_to_equals_render_with_links(investigation: Investigation,
                                            kb: FakeKnowledgeBase) -> None:
    kibana = KibanaSettings(url="http://127.0.0.1:5601", data_view="rca")
    stream = io.StringIO()

    render_to(stream, investigation, kb, format="json", lang="en", kibana=kibana)

    rendered = render(investigation, kb, format="json", lang="en", kibana=kibana)
    assert stream.getvalue() == rendered
    assert '"links"' in rendered


def test_write_json_matches_one_shot_dumps(investigation: Investigation,
                                           kb: FakeKnowledgeBase) -> None:
    document = jsondoc.build_document(investigation, kb, "en")
    expected = json.dumps(document, ensure_ascii=False, indent=2, default=str,
                          allow_nan=False) + "\n"
    stream = io.StringIO()

    jsondoc.write_json(stream, investigation, kb, "en")

    assert stream.getvalue() == expected


def test_write_json_writes_in_chunks(investigation: Investigation, kb: FakeKnowledgeBase,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    whole = render(investigation, kb, format="json", lang="en")
    monkeypatch.setattr(jsondoc, "_WRITE_CHUNK_CHARS", 64)
    stream = CountingStream()

    jsondoc.write_json(stream, investigation, kb, "en")

    assert stream.writes > len(whole) // 1000
    assert stream.getvalue() == whole


@pytest.mark.parametrize(("format", "lang"), [("pdf", "en"), ("json", "fr")],
                         ids=["unknown-format", "unknown-language"])
def test_render_to_rejects_before_writing(investigation: Investigation, kb: FakeKnowledgeBase,
                                          format: str, lang: str) -> None:
    stream = io.StringIO()

    with pytest.raises(UsageError):
        render_to(stream, investigation, kb, format=format, lang=lang)
    assert stream.getvalue() == ""
