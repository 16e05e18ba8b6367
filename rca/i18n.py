"""Language choice, message catalogs and locale-aware formatting.

The analyzer speaks English and Simplified Chinese. English text is the message id,
and the Chinese catalog is ``rca/locale/zh_CN/LC_MESSAGES/rca.po``. It is read with
Babel at first use and compiled in memory, so installing needs no compile step.

Write every string a user reads through a translator::

    _ = i18n.gettext(lang)
    print(_("No failed runs in %(count)s files.") % {"count": n})

Placeholders use ``%(name)s``. Babel's checker compares them between the English
and the Chinese text, and the catalog test fails when they differ. Never pass an
f-string to ``_``, because the extractor cannot see its text. A string defined at
import time is marked with `N_` and translated where it is shown.

When you add or change a message, refresh the catalog from the repository root::

    .venv/bin/pybabel extract -F babel.cfg -o /tmp/rca.pot .
    .venv/bin/pybabel update -i /tmp/rca.pot -d rca/locale -D rca -l zh_CN

then translate the new entries in ``rca.po``. ``tests/test_i18n.py`` fails while a
message used in ``rca/`` has no Chinese translation.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import logging
import os
from collections.abc import Callable, Mapping
from importlib import resources
from typing import Final, Literal

import babel.dates
import babel.numbers
from babel import Locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

from rca.errors import ConfigError, UsageError

logger = logging.getLogger(__name__)

Lang = Literal["en", "zh-CN"]

ENGLISH: Final[Lang] = "en"
CHINESE: Final[Lang] = "zh-CN"
LANGUAGES: Final[tuple[Lang, ...]] = (ENGLISH, CHINESE)

# The POSIX order: LC_ALL overrides LC_MESSAGES, which overrides LANG.
LOCALE_VARIABLES: Final[tuple[str, ...]] = ("LC_ALL", "LC_MESSAGES", "LANG")

_CATALOG_DIRS: Final[dict[Lang, str]] = {CHINESE: "zh_CN"}
_BABEL_LOCALES: Final[dict[Lang, str]] = {ENGLISH: "en", CHINESE: "zh_Hans_CN"}

# Chinese locale tags read as Simplified Chinese. Traditional Chinese regions and
# scripts (zh_TW, zh_HK, zh-Hant) are not, and fall back to English.
_SIMPLIFIED_CHINESE_SUBTAGS: Final[frozenset[str]] = frozenset({"", "cn", "sg", "hans"})

Translator = Callable[[str], str]
PluralTranslator = Callable[[str, str, int], str]


def N_(message: str) -> str:
    """Mark a string for extraction without translating it yet."""
    return message


def resolve_lang(cli_value: str | None, environ: Mapping[str, str] = os.environ) -> Lang:
    """Choose the report and message language.

    The order is ``--lang``, then ``RCA_LANG``, then the first of ``LC_ALL``,
    ``LC_MESSAGES`` and ``LANG`` that is set and not empty. A locale such as
    ``zh_CN.UTF-8``, ``zh``, ``zh_SG`` or ``zh-Hans`` selects Chinese, and any
    other locale (``C``, ``POSIX``, ``fr_FR``, ``zh_TW``) selects English.

    Raises:
        UsageError: ``--lang`` is not a supported language.
        ConfigError: ``RCA_LANG`` is set to an unsupported language.
    """
    if cli_value is not None:
        lang = parse_lang(cli_value)
        if lang is None:
            _ = gettext(_lang_from_locale(environ))
            raise UsageError(
                _("Invalid --lang value %(value)r: expected one of %(choices)s.")
                % {"value": cli_value, "choices": ", ".join(LANGUAGES)}
            )
        return lang

    configured = environ.get("RCA_LANG", "").strip()
    if configured:
        lang = parse_lang(configured)
        if lang is None:
            _ = gettext(_lang_from_locale(environ))
            raise ConfigError(
                _("Invalid RCA_LANG value %(value)r: expected one of %(choices)s.")
                % {"value": configured, "choices": ", ".join(LANGUAGES)}
            )
        return lang

    return _lang_from_locale(environ)


def parse_lang(value: str) -> Lang | None:
    """Map a language tag or locale name to a supported language.

    Tags such as ``en``, ``zh-CN``, ``zh_cn``, ``en-US`` and POSIX locale names
    such as ``zh_CN.UTF-8`` are read. Returns None for any other language, so the
    caller decides between an error and a fallback.
    """
    name = value.strip().split(".", 1)[0].split("@", 1)[0]
    tag = name.replace("_", "-").lower()
    language, _sep, rest = tag.partition("-")
    if language == "en":
        return ENGLISH
    if language == "zh" and _is_simplified_chinese(rest):
        return CHINESE
    return None


def _lang_from_locale(environ: Mapping[str, str]) -> Lang:
    for name in LOCALE_VARIABLES:
        value = environ.get(name, "").strip()
        if value:
            return parse_lang(value) or ENGLISH
    return ENGLISH


def _is_simplified_chinese(subtags: str) -> bool:
    parts = [part for part in subtags.split("-") if part]
    if not parts:
        return True
    return all(part in _SIMPLIFIED_CHINESE_SUBTAGS for part in parts)


def gettext(lang: str) -> Translator:
    """Return the function that translates an English message into `lang`.

    A message missing from the catalog is returned in English.
    """
    return _translations(_checked(lang)).gettext


def ngettext(lang: str) -> PluralTranslator:
    """Return the plural-aware translator: ``f(singular, plural, n)``.

    Chinese has one plural form, so both English forms map to the same text.
    """
    return _translations(_checked(lang)).ngettext


def babel_locale(lang: str) -> Locale:
    """Return the Babel locale that formats numbers and dates for `lang`."""
    return Locale.parse(_BABEL_LOCALES[_checked(lang)])


def format_number(value: int | float, lang: str) -> str:
    """Format a count with the locale's digit grouping (``12,345``)."""
    return babel.numbers.format_decimal(value, locale=babel_locale(lang))


def format_percent(ratio: float, lang: str) -> str:
    """Format a ratio from 0 to 1 as a whole percentage (``0.923`` as ``92%``)."""
    return babel.numbers.format_percent(ratio, locale=babel_locale(lang))


def format_datetime(timestamp: float, lang: str) -> str:
    """Format POSIX seconds as a long UTC date and time in the locale's words."""
    moment = dt.datetime.fromtimestamp(timestamp, tz=dt.UTC)
    return babel.dates.format_datetime(moment, "long", tzinfo=dt.UTC, locale=babel_locale(lang))


def format_duration(seconds: float, lang: str) -> str:
    """Format a duration in the largest fitting unit (``3 minutes``, ``3分钟``).

    Durations under a second are given in milliseconds, which Babel does not round to.
    """
    if seconds < 1:
        _ = gettext(lang)
        return _("%(count)s ms") % {"count": format_number(round(seconds * 1000), lang)}
    return babel.dates.format_timedelta(
        dt.timedelta(seconds=seconds), threshold=1.5, locale=babel_locale(lang)
    )


def _checked(lang: str) -> Lang:
    for known in LANGUAGES:
        if lang == known:
            return known
    raise ValueError(f"unsupported language {lang!r}: expected one of {', '.join(LANGUAGES)}")


@functools.cache
def _translations(lang: Lang) -> NullTranslations:
    directory = _CATALOG_DIRS.get(lang)
    if directory is None:
        return NullTranslations()

    catalog_file = resources.files("rca").joinpath("locale", directory, "LC_MESSAGES", "rca.po")
    with catalog_file.open("rb") as handle:
        catalog = read_po(handle, locale=directory, domain="rca")

    # Fuzzy entries are left out, so an unchecked translation shows in English.
    compiled = io.BytesIO()
    write_mo(compiled, catalog, use_fuzzy=False)
    compiled.seek(0)
    translations = Translations(compiled, domain="rca")
    logger.debug("loaded %s messages for %s", len(catalog), lang)
    return translations
