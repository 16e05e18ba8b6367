"""Language choice, translators, locale formatting and the completeness of the zh-CN catalog."""

# Chinese text uses full-width punctuation on purpose

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from rca import i18n
from rca.errors import ConfigError, UsageError

REPO = Path(__file__).resolve().parents[1]
CATALOG = REPO / "rca" / "locale" / "zh_CN" / "LC_MESSAGES" / "rca.po"
REFRESH_HINT = (
    "Refresh the catalog from the repository root and translate the new entries:\n"
    "  .venv/bin/pybabel extract -F babel.cfg -o /tmp/rca.pot .\n"
    "  .venv/bin/pybabel update -i /tmp/rca.pot -d rca/locale -D rca -l zh_CN"
)
TRANSLATION_FUNCTIONS = {"_", "gettext", "ngettext", "N_"}
PERCENT_PLACEHOLDER = re.compile(r"%(?:\((\w+)\))?[-#0 +]*\d*(?:\.\d+)?([diouxXeEfFgGcrsa%])")
BRACE_PLACEHOLDER = re.compile(r"(?<!\{)\{(\w*)[^{}]*\}(?!\})")


# resolve_lang


@pytest.mark.parametrize(
    ("cli_value", "expected"),
    [("en", "en"), ("zh-CN", "zh-CN"), ("zh_CN", "zh-CN"), ("ZH-cn", "zh-CN"), ("zh", "zh-CN"),
     ("en-US", "en"), ("zh-Hans", "zh-CN")],
    ids=["en", "zh-CN", "underscore", "case", "zh", "en-US", "zh-Hans"],
)
def test_resolve_lang_cli_value(cli_value: str, expected: str) -> None:
    assert i18n.resolve_lang(cli_value, environ={"LANG": "C"}) == expected


def test_resolve_lang_cli_beats_environment() -> None:
    environ = {"RCA_LANG": "zh-CN", "LC_ALL": "zh_CN.UTF-8"}

    assert i18n.resolve_lang("en", environ=environ) == "en"


def test_resolve_lang_invalid_cli_value() -> None:
    with pytest.raises(UsageError, match=r"--lang value 'fr': expected one of en, zh-CN"):
        i18n.resolve_lang("fr", environ={})


def test_resolve_lang_invalid_cli_value_in_chinese_locale() -> None:
    with pytest.raises(UsageError, match=r"--lang 的值 'de' 无效：应为 en, zh-CN 之一"):
        i18n.resolve_lang("de", environ={"LANG": "zh_CN.UTF-8"})


def test_resolve_lang_rca_lang_beats_locale() -> None:
    assert i18n.resolve_lang(None, environ={"RCA_LANG": "en", "LC_ALL": "zh_CN.UTF-8"}) == "en"


def test_resolve_lang_invalid_rca_lang() -> None:
    with pytest.raises(ConfigError, match=r"RCA_LANG value 'klingon'"):
        i18n.resolve_lang(None, environ={"RCA_LANG": "klingon"})


def test_resolve_lang_rca_lang_locale_name() -> None:
    assert i18n.resolve_lang(None, environ={"RCA_LANG": "zh_CN.UTF-8", "LANG": "C"}) == "zh-CN"


def test_resolve_lang_empty_rca_lang_ignored() -> None:
    assert i18n.resolve_lang(None, environ={"RCA_LANG": " ", "LANG": "zh_CN"}) == "zh-CN"


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({"LANG": "zh_CN.UTF-8"}, "zh-CN"),
        ({"LANG": "zh_CN"}, "zh-CN"),
        ({"LANG": "zh"}, "zh-CN"),
        ({"LANG": "zh_SG.UTF-8"}, "zh-CN"),
        ({"LANG": "zh-Hans"}, "zh-CN"),
        ({"LANG": "zh_CN.GB18030@stroke"}, "zh-CN"),
        ({"LANG": "zh_TW.UTF-8"}, "en"),
        ({"LANG": "zh_HK"}, "en"),
        ({"LANG": "de_DE.UTF-8"}, "en"),
        ({"LANG": "C"}, "en"),
        ({"LANG": "POSIX"}, "en"),
        ({"LANG": "C.UTF-8"}, "en"),
        ({}, "en"),
        ({"LC_ALL": "C", "LANG": "zh_CN.UTF-8"}, "en"),
        ({"LC_ALL": "", "LC_MESSAGES": "zh_CN.UTF-8", "LANG": "en_US.UTF-8"}, "zh-CN"),
        ({"LC_MESSAGES": "en_US.UTF-8", "LANG": "zh_CN.UTF-8"}, "en"),
    ],
    ids=["zh_CN.UTF-8", "zh_CN", "zh", "zh_SG", "zh-Hans", "codeset-modifier", "zh_TW", "zh_HK",
         "de_DE", "C", "POSIX", "C.UTF-8", "unset", "LC_ALL-first", "empty-skipped",
         "LC_MESSAGES-before-LANG"],
)
def test_resolve_lang_from_locale(environ: dict[str, str], expected: str) -> None:
    assert i18n.resolve_lang(None, environ=environ) == expected


# Translators and formatting


def test_gettext_english_is_identity() -> None:
    assert i18n.gettext("en")("First error") == "First error"


def test_gettext_chinese() -> None:
    assert i18n.gettext("zh-CN")("First error") == "首个错误"


def test_gettext_missing_message_stays_english() -> None:
    message = "no such message in the catalog"

    assert i18n.gettext("zh-CN")(message) == message


@pytest.mark.parametrize(
    ("lang", "count", "expected"),
    [("en", 1, "1 event omitted"), ("en", 3, "3 events omitted"),
     ("zh-CN", 1, "省略 1 个事件"), ("zh-CN", 3, "省略 3 个事件")],
    ids=["en-one", "en-many", "zh-one", "zh-many"],
)
def test_ngettext(lang: str, count: int, expected: str) -> None:
    translate = i18n.ngettext(lang)

    assert translate("%(count)s event omitted", "%(count)s events omitted", count) % {
        "count": count
    } == expected


def test_gettext_rejects_unknown_language() -> None:
    with pytest.raises(ValueError, match="'fr'"):
        i18n.gettext("fr")


@pytest.mark.parametrize(
    ("lang", "expected"),
    [("en", "12,345"), ("zh-CN", "12,345")],
    ids=["en", "zh-CN"],
)
def test_format_number(lang: str, expected: str) -> None:
    assert i18n.format_number(12345, lang) == expected


def test_format_percent() -> None:
    assert i18n.format_percent(0.923, "en") == "92%"


@pytest.mark.parametrize(
    ("seconds", "lang", "expected"),
    [(0.25, "en", "250 ms"), (0.25, "zh-CN", "250 毫秒"), (6, "en", "6 seconds"),
     (6, "zh-CN", "6秒钟"), (180, "en", "3 minutes")],
    ids=["ms-en", "ms-zh", "seconds-en", "seconds-zh", "minutes-en"],
)
def test_format_duration(seconds: float, lang: str, expected: str) -> None:
    assert i18n.format_duration(seconds, lang) == expected


def test_format_datetime_chinese() -> None:
    # 2026-12-03T02:14:07Z
    assert i18n.format_datetime(1796264047.0, "zh-CN") == "2026年12月3日 UTC 02:14:07"


# The zh-CN catalog covers every message of the package


def extracted_messages() -> dict[str | tuple[str, ...], list[str]]:
    """Extract the messages of ``rca/`` as babel.cfg configures, with their locations."""
    with (REPO / "babel.cfg").open(encoding="utf-8") as config:
        method_map, options_map = parse_mapping_cfg(config)

    def inside_package(path: str) -> bool:
        parts = Path(path).relative_to(REPO).parts
        return parts[:1] == ("rca",) and not any(part.startswith((".", "_")) for part in parts)

    messages: dict[str | tuple[str, ...], list[str]] = {}
    for filename, line, message, _comments, _context in extract_from_dir(
        REPO, method_map, options_map, directory_filter=inside_package
    ):
        messages.setdefault(message, []).append(f"{filename}:{line}")
    return messages


def load_catalog():  # type: ignore[no-untyped-def]  # babel ships no type hints
    with CATALOG.open("rb") as handle:
        return read_po(handle, locale="zh_CN")


def placeholders(text: str) -> tuple[list[str], list[str]]:
    percent = sorted(f"{name}:{kind}" for name, kind in PERCENT_PLACEHOLDER.findall(text)
                     if kind != "%")
    braces = sorted(BRACE_PLACEHOLDER.findall(text))
    return percent, braces


def test_messages_found_in_package() -> None:
    messages = extracted_messages()

    assert "First error" in messages
    assert any(location.startswith("rca/report/templates/") for location in messages["First error"])


def test_every_message_translated() -> None:
    catalog = load_catalog()
    missing = []
    for message_id, locations in extracted_messages().items():
        key = message_id[0] if isinstance(message_id, tuple) else message_id
        entry = catalog.get(key)
        strings = () if entry is None else (
            entry.string if isinstance(entry.string, tuple) else (entry.string,)
        )
        if entry is None or entry.fuzzy or not strings or not all(strings):
            missing.append(f"{locations[0]}: {key!r}")

    assert missing == [], "messages without a zh-CN translation:\n" + "\n".join(missing) + (
        "\n" + REFRESH_HINT
    )


def test_translations_keep_placeholders() -> None:
    mismatched = []
    for entry in load_catalog():
        if not entry.id or not entry.string:
            continue
        sources = entry.id if isinstance(entry.id, tuple) else (entry.id,)
        targets = entry.string if isinstance(entry.string, tuple) else (entry.string,)
        expected = placeholders(sources[-1])
        for target in targets:
            if target and placeholders(target) != expected:
                mismatched.append(f"{sources[0]!r} -> {target!r}")

    assert mismatched == [], "\n".join(mismatched)


def test_catalog_passes_babel_checks() -> None:
    problems = [
        f"{entry.id!r}: {error}" for entry, errors in load_catalog().check() for error in errors
    ]

    assert problems == [], "\n".join(problems)


def hidden_translation_calls(tree: ast.AST) -> Iterator[tuple[int, str]]:
    """Find translation calls whose text the extractor cannot see."""
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        first = node.args[0]
        if isinstance(node.func, ast.Call) and _function_name(node.func) in TRANSLATION_FUNCTIONS:
            yield node.lineno, "translate with `_ = i18n.gettext(lang)` and then `_(\"...\")`"
        elif _function_name(node) in TRANSLATION_FUNCTIONS and isinstance(first, ast.JoinedStr):
            yield node.lineno, "an f-string cannot be translated; use %(name)s placeholders"


def _function_name(call: ast.Call) -> str:
    if isinstance(call.func, ast.Name):
        return call.func.id
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    return ""


def test_no_hidden_translation_calls() -> None:
    found = []
    for path in sorted((REPO / "rca").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        found += [f"{path.relative_to(REPO)}:{line}: {advice}"
                  for line, advice in hidden_translation_calls(tree)]

    assert found == [], "\n".join(found)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ('i18n.gettext(lang)("text")', 1),
        ('_(f"value {x}")', 1),
        ('_ = i18n.gettext(lang)\n_("text")', 0),
        ('ngettext(lang)("one", "many", n)', 1),
    ],
    ids=["chained", "f-string", "bound", "chained-plural"],
)
def test_hidden_translation_call_detection(source: str, expected: int) -> None:
    assert len(list(hidden_translation_calls(ast.parse(source)))) == expected
