"""Python regular expressions as Lucene ``regexp`` patterns, and their literal parts.

Elasticsearch's ``regexp`` query reads Lucene's dialect, which differs from
Python's in ways that change results:

* A Lucene pattern matches the whole value; Python's ``re.search`` finds the
  pattern anywhere. `translate_regex` adds ``.*`` where the search is not
  anchored.
* Lucene has no anchors, no ``\\b``, no ``\\d``, ``\\s`` or ``\\w`` (Lucene
  9 and later read them, older versions take ``\\d`` as ``d``), no look-around,
  back-references, atomic groups or possessive repeats. Anchors and ``\\b`` at
  the edges, and ``\\b`` between known letters and non-letters, are rewritten;
  classes are spelled out; the rest raises `RegexNotTranslatable`.
* Lucene's ``.`` matches a newline; Python's does not without ``(?s)``.
* ``#``, ``@``, ``&``, ``~``, ``<`` and ``>`` are operators in Lucene's
  default syntax. Every ASCII punctuation character is escaped, which is
  always a literal in Lucene.

`required_literals` lists the texts every match must contain, for the queries
that cannot run the pattern itself (KQL, analyzed text fields).

The patterns are read with CPython's own parser (``re._parser``), so they
mean exactly what `re` makes of them. That module is internal to CPython and
has kept this interface from 3.11 to 3.13.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from re import _constants as sre_constants
from re import _parser as sre_parse
from typing import Any, Final

from rca.kb import ast

# Elasticsearch rejects longer ``regexp`` values (index.max_regex_length).
DEFAULT_MAX_REGEX_LENGTH: Final = 1000

class RegexNotTranslatable(ValueError):
    """A Python pattern with no Lucene equivalent; `reason` names the construct."""

    def __init__(self, pattern: str, reason: str) -> None:
        super().__init__(f"{pattern!r}: {reason}")
        self.reason = reason


@dataclass(frozen=True, slots=True)
class LuceneRegex:
    """A Lucene regular expression matching the whole value where Python's searched it."""

    pattern: str
    case_insensitive: bool = False


# Code point sets are sorted tuples of inclusive (first, last) ranges.
CharSet = tuple[tuple[int, int], ...]

_MAX_CODE_POINT: Final = 0x10FFFF
_ALL: Final[CharSet] = ((0, _MAX_CODE_POINT),)
_NEWLINE: Final[CharSet] = ((0x0A, 0x0A),)
_ASCII_DIGITS: Final[CharSet] = ((0x30, 0x39),)
_ASCII_WORD: Final[CharSet] = ((0x30, 0x39), (0x41, 0x5A), (0x5F, 0x5F), (0x61, 0x7A))
# Python's \s on str: the characters for which str.isspace() is true.
PYTHON_WHITESPACE: Final[CharSet] = (
    (0x09, 0x0D), (0x1C, 0x20), (0x85, 0x85), (0xA0, 0xA0), (0x1680, 0x1680),
    (0x2000, 0x200A), (0x2028, 0x2029), (0x202F, 0x202F), (0x205F, 0x205F), (0x3000, 0x3000),
)
_SURROGATES: Final = range(0xD800, 0xE000)


def _normalize(ranges: Iterable[tuple[int, int]]) -> CharSet:
    merged: list[list[int]] = []
    for first, last in sorted(ranges):
        if merged and first <= merged[-1][1] + 1:
            merged[-1][1] = max(merged[-1][1], last)
        else:
            merged.append([first, last])
    return tuple((first, last) for first, last in merged)


def _complement(chars: CharSet) -> CharSet:
    result: list[tuple[int, int]] = []
    start = 0
    for first, last in chars:
        if first > start:
            result.append((start, first - 1))
        start = last + 1
    if start <= _MAX_CODE_POINT:
        result.append((start, _MAX_CODE_POINT))
    return tuple(result)


def _intersects(left: CharSet, right: CharSet) -> bool:
    return any(a <= d and c <= b for a, b in left for c, d in right)


def _is_subset(inner: CharSet, outer: CharSet) -> bool:
    return not _intersects(inner, _complement(outer))


_CATEGORIES: Final[dict[Any, CharSet]] = {
    sre_constants.CATEGORY_DIGIT: _ASCII_DIGITS,
    sre_constants.CATEGORY_NOT_DIGIT: _complement(_ASCII_DIGITS),
    sre_constants.CATEGORY_SPACE: PYTHON_WHITESPACE,
    sre_constants.CATEGORY_NOT_SPACE: _complement(PYTHON_WHITESPACE),
    sre_constants.CATEGORY_WORD: _ASCII_WORD,
    sre_constants.CATEGORY_NOT_WORD: _complement(_ASCII_WORD),
}

_LUCENE_SPECIAL: Final = frozenset(string.punctuation)


def _case_variants(code: int) -> set[int]:
    char = chr(code)
    variants = {code}
    for other in (char.lower(), char.upper(), char.swapcase()):
        if len(other) == 1:
            variants.add(ord(other))
    return variants


def _fold_case(chars: CharSet) -> CharSet:
    """Add the other case of every letter in `chars` (ranges of non-letters stay as they are)."""
    extra: list[tuple[int, int]] = []
    for first, last in chars:
        if last - first > 0x3000:
            # A wide range (a negated class) already holds nearly every letter;
            # only the ASCII letters are completed.
            for low, high in ((0x41, 0x5A), (0x61, 0x7A)):
                top, bottom = min(last, high), max(first, low)
                if bottom <= top:
                    extra.append((bottom ^ 0x20, top ^ 0x20))
            continue
        for code in range(first, last + 1):
            extra.extend((variant, variant) for variant in _case_variants(code))
    return _normalize([*chars, *extra])


def translate_regex(pattern: str, ignore_case: bool = False, *,
                    max_length: int = DEFAULT_MAX_REGEX_LENGTH) -> LuceneRegex:
    """Rewrite a Python search pattern as a Lucene pattern for the whole value.

    Each top-level alternative gets ``.*`` on the sides where Python's search
    is not anchored. ``^`` and ``\\A`` at an alternative's start, ``$`` and
    ``\\Z`` at its end drop that ``.*`` (``$`` still allows one final newline,
    as in Python). A ``\\b`` next to a literal word or non-word character
    becomes a class test on the neighbouring character. ``\\d``, ``\\w`` and
    ``\\b`` take their ASCII meaning; Python's also counts digits and letters
    of other scripts. ``\\s`` is Python's full set of white space. ``.`` does
    not match a newline unless the pattern sets ``(?s)``. Case-insensitive
    patterns set ``case_insensitive`` for ASCII letters and spell out the other
    cases of non-ASCII letters and of every class.

    Raises:
        RegexNotTranslatable: the pattern uses look-around, back-references,
            atomic groups, possessive repeats, anchors or word boundaries
            where they cannot be rewritten, or the result exceeds `max_length`.
    """
    flags = re.IGNORECASE if ignore_case else 0
    try:
        parsed = sre_parse.parse(pattern, flags)
    except re.error as error:
        raise RegexNotTranslatable(pattern, f"invalid pattern: {error}") from error
    global_flags = parsed.state.flags
    translator = _LuceneWriter(pattern, global_flags)
    items = list(parsed)
    if len(items) == 1 and items[0][0] is sre_constants.BRANCH:
        branches = [list(branch) for branch in items[0][1][1]]
    else:
        branches = [items]
    body = "|".join(translator.top_level(branch) for branch in branches)
    if len(body) > max_length:
        raise RegexNotTranslatable(pattern, f"longer than {max_length} characters in Lucene "
                                   f"syntax ({len(body)})")
    return LuceneRegex(body, translator.uses_case_flag)


class _LuceneWriter:
    """Writes parsed Python pattern items in Lucene syntax."""

    def __init__(self, pattern: str, flags: int) -> None:
        self.pattern = pattern
        self.dotall = bool(flags & re.DOTALL)
        self.multiline = bool(flags & re.MULTILINE)
        self.ignore_case = bool(flags & re.IGNORECASE)
        # Lucene's case_insensitive flag covers ASCII letters. It is used when
        # the whole pattern ignores case; scoped (?i:...) or (?-i:...) groups
        # spell out both cases instead.
        self.uses_case_flag = self.ignore_case and not _has_scoped_case(pattern)

    def fail(self, reason: str) -> RegexNotTranslatable:
        return RegexNotTranslatable(self.pattern, reason)

    # -- the unanchored edges of a search ---------------------------------

    def top_level(self, items: list[tuple[Any, Any]]) -> str:
        return self.edged(items, self.ignore_case, open_start=True, open_end=True)

    def edged(self, items: list[tuple[Any, Any]], ignore_case: bool, *, open_start: bool,
              open_end: bool) -> str:
        """Translate `items` found anywhere in the value: ``.*`` on each open side.

        Anchors and ``\\b`` on an open side, and alternatives that start or end
        the items, are handled here, where the side's ``.*`` is known.
        """
        items = list(items)
        if len(items) == 1 and (only := _alternatives(items[0], ignore_case)) is not None:
            branches, scoped = only
            return "(" + "|".join(self.edged(branch, scoped, open_start=open_start,
                                             open_end=open_end) or "()"
                                  for branch in branches) + ")"
        whole = list(items)
        prefix = self.start(items, ignore_case) if open_start else ""
        head = whole[:len(whole) - len(items)]
        suffix = self.end(items, ignore_case) if open_end else ""
        tail = whole[len(head) + len(items):]
        # A \b inside looks at the items that start() and end() took off.
        return prefix + self.sequence(items, ignore_case, before=head, after=tail) + suffix

    def start(self, items: list[tuple[Any, Any]], ignore_case: bool) -> str:
        """Remove the leading anchor or alternatives from `items`; return what replaces ``.*``."""
        if not items:
            return ".*"
        head = items[0]
        if _is_at(head, sre_constants.AT_BEGINNING, sre_constants.AT_BEGINNING_STRING):
            items.pop(0)
            return "(.*\n)?" if self.multiline and head[1] is sre_constants.AT_BEGINNING else ""
        if _is_at(head, sre_constants.AT_BOUNDARY):
            items.pop(0)
            side = _word_side(_edge_chars(items, ignore_case, first=True))
            if side == "word":
                return f"(.*{self.char_class(_NON_WORD)})?"
            if side == "non-word":
                return ".*" + self.char_class(_ASCII_WORD)
            raise self.fail("\\b at the start next to what may or may not be a letter")
        alternatives = _alternatives(head, ignore_case)
        if alternatives is not None:
            items.pop(0)
            branches, scoped = alternatives
            return "(" + "|".join(self.edged(branch, scoped, open_start=True, open_end=False)
                                  or "()" for branch in branches) + ")"
        return ".*"

    def end(self, items: list[tuple[Any, Any]], ignore_case: bool) -> str:
        """Remove the trailing anchor or alternatives from `items`; return what replaces ``.*``."""
        if not items:
            return ".*"
        tail = items[-1]
        if _is_at(tail, sre_constants.AT_END, sre_constants.AT_END_STRING):
            items.pop()
            if tail[1] is sre_constants.AT_END_STRING:
                return ""
            # Python's $ also matches before a final newline.
            return "(\n.*)?" if self.multiline else "(\n)?"
        if _is_at(tail, sre_constants.AT_BOUNDARY):
            items.pop()
            side = _word_side(_edge_chars(items, ignore_case, first=False))
            if side == "word":
                return f"({self.char_class(_NON_WORD)}.*)?"
            if side == "non-word":
                return self.char_class(_ASCII_WORD) + ".*"
            raise self.fail("\\b at the end next to what may or may not be a letter")
        alternatives = _alternatives(tail, ignore_case)
        if alternatives is not None:
            items.pop()
            branches, scoped = alternatives
            return "(" + "|".join(self.edged(branch, scoped, open_start=False, open_end=True)
                                  or "()" for branch in branches) + ")"
        return ".*"

    # -- items ------------------------------------------------------------

    def sequence(self, items: Sequence[tuple[Any, Any]], ignore_case: bool, *,
                 before: Sequence[tuple[Any, Any]] = (),
                 after: Sequence[tuple[Any, Any]] = ()) -> str:
        """Translate `items`; `before` and `after` are their neighbours, for ``\\b``."""
        parts: list[str] = []
        index = 0
        while index < len(items):
            op, value = items[index]
            if op is sre_constants.AT:
                text, index = self.inner_boundary(items, index, ignore_case, before, after)
                parts.append(text)
            else:
                parts.append(self.item(op, value, ignore_case))
                index += 1
        return "".join(parts)

    def inner_boundary(self, items: Sequence[tuple[Any, Any]], index: int, ignore_case: bool,
                       before_items: Sequence[tuple[Any, Any]],
                       after_items: Sequence[tuple[Any, Any]]) -> tuple[str, int]:
        """Rewrite a ``\\b`` between items; return its text and the next item's index.

        It is dropped where a letter always meets a non-letter. Before
        ``C*`` (a repeat of one character class from zero) it requires the
        first repeated character to be on the other side, or none at all when
        the item after the repeat is.
        """
        at = items[index][1]
        if at is not sre_constants.AT_BOUNDARY:
            raise self.fail(f"anchor {str(at).lower()} inside the pattern")
        before = _word_side(_edge_chars([*before_items, *items[:index]], ignore_case,
                                        first=False))
        rest = list(items[index + 1:])
        after = _word_side(_edge_chars([*rest, *after_items], ignore_case, first=True))
        if before in _SIDES and after in _SIDES:
            if before != after:
                return "", index + 1
            raise self.fail("\\b between two letters or two non-letters")
        repeated = _optional_class_repeat(rest[0], ignore_case, self.dotall) if rest else None
        if before not in _SIDES or repeated is None:
            raise self.fail("\\b next to what may or may not be a letter")
        chars, text = repeated
        other_side = _NON_WORD if before == "word" else _ASCII_WORD
        first = _intersection(chars, other_side)
        after_repeat = _word_side(_edge_chars([*rest[1:], *after_items], ignore_case,
                                              first=True))
        if not first or after_repeat not in _SIDES:
            raise self.fail("\\b before a repeat next to what may or may not be a letter")
        body = self.char_class(first) + self.item(*text, ignore_case) + "*"
        if after_repeat != before:
            return f"({body})?", index + 2
        return body, index + 2

    def item(self, op: Any, value: Any, ignore_case: bool) -> str:
        if op is sre_constants.LITERAL:
            return self.literal(value, ignore_case)
        if op is sre_constants.NOT_LITERAL:
            return self.char_class(_complement(_literal_chars(value, ignore_case)))
        if op is sre_constants.ANY:
            return "." if self.dotall else self.char_class(_complement(_NEWLINE))
        if op is sre_constants.IN:
            chars = _class_chars(value, ignore_case)
            if chars is None:
                raise self.fail("a class item has no Lucene equivalent")
            return self.char_class(chars)
        if op is sre_constants.SUBPATTERN:
            _group, add_flags, del_flags, sub = value
            if (add_flags | del_flags) & (re.DOTALL | re.MULTILINE | re.LOCALE):
                raise self.fail("a group with the s, m or L flag")
            scoped = _scoped_case(ignore_case, add_flags, del_flags)
            return "(" + self.sequence(list(sub), scoped) + ")"
        if op is sre_constants.BRANCH:
            alternatives = [self.sequence(list(branch), ignore_case) or "()"
                            for branch in value[1]]
            return "(" + "|".join(alternatives) + ")"
        if op in _REPEATS:
            # Laziness changes which text a group captures, never whether the
            # pattern is found, so both repeats read the same.
            low, high, sub = value
            body = self.sequence(list(sub), ignore_case)
            # A single item is written as one Lucene atom: a character, a
            # class or a parenthesized group.
            if len(sub) != 1 or sub[0][0] in _REPEATS:
                body = f"({body})"
            return _repeat(body, low, high)
        raise self.fail(f"{str(op).lower().replace('_', ' ')} has no Lucene equivalent")

    def literal(self, code: int, ignore_case: bool) -> str:
        if ignore_case:
            variants = _case_variants(code)
            ascii_letter = chr(code).isascii() and chr(code).isalpha()
            if len(variants) > 1 and not (ascii_letter and self.uses_case_flag):
                return self.char_class(_normalize((variant, variant) for variant in variants))
        return _lucene_char(code)

    def char_class(self, chars: CharSet) -> str:
        if chars == _ALL:
            return "."
        if not chars:
            raise self.fail("a class that matches no character")
        if any(first in _SURROGATES or last in _SURROGATES for first, last in chars):
            raise self.fail("a class bounded by a surrogate code point")
        if len(chars) == 1 and chars[0][0] == chars[0][1]:
            return _lucene_char(chars[0][0])
        complement = _complement(chars)
        positive = _class_body(chars)
        negative = _class_body(complement) if complement else None
        if negative is not None and len(negative) < len(positive):
            return f"[^{negative}]"
        return f"[{positive}]"


_SIDES: Final = ("word", "non-word")
_NON_WORD: Final = _complement(_ASCII_WORD)


def _alternatives(item: tuple[Any, Any], ignore_case: bool
                  ) -> tuple[list[list[tuple[Any, Any]]], bool] | None:
    """Return the branches of an alternation, bare or alone in a group, with their case."""
    op, value = item
    if op is sre_constants.BRANCH:
        return [list(branch) for branch in value[1]], ignore_case
    if op is sre_constants.SUBPATTERN:
        _group, add_flags, del_flags, sub = value
        inner = list(sub)
        if len(inner) == 1 and inner[0][0] is sre_constants.BRANCH \
                and not (add_flags | del_flags) & (re.DOTALL | re.MULTILINE | re.LOCALE):
            scoped = _scoped_case(ignore_case, add_flags, del_flags)
            return [list(branch) for branch in inner[0][1][1]], scoped
    return None


def _optional_class_repeat(item: tuple[Any, Any], ignore_case: bool, dotall: bool
                           ) -> tuple[CharSet, tuple[Any, Any]] | None:
    """For ``C*`` (one character item repeated from zero, unbounded): C's characters and item."""
    op, value = item
    if op not in _REPEATS:
        return None
    low, high, sub = value
    inner = list(sub)
    if low != 0 or high != sre_constants.MAXREPEAT or len(inner) != 1:
        return None
    chars, nullable = _item_edge(inner[0], ignore_case, first=True)
    if chars is None or nullable:
        return None
    if inner[0][0] is sre_constants.ANY and not dotall:
        chars = _complement(_NEWLINE)
    return chars, inner[0]


def _repeat(body: str, low: int, high: int) -> str:
    unbounded = high == sre_constants.MAXREPEAT
    if (low, unbounded) == (0, True):
        return body + "*"
    if (low, unbounded) == (1, True):
        return body + "+"
    if (low, high) == (0, 1):
        return body + "?"
    if unbounded:
        return f"{body}{{{low},}}"
    if low == high:
        return f"{body}{{{low}}}"
    return f"{body}{{{low},{high}}}"


def _class_chars(items: Sequence[tuple[Any, Any]], ignore_case: bool) -> CharSet | None:
    """Return the code points a parsed ``[...]`` class matches, or None for an unknown item."""
    negate = False
    ranges: list[tuple[int, int]] = []
    for op, value in items:
        if op is sre_constants.NEGATE:
            negate = True
        elif op is sre_constants.LITERAL:
            ranges.append((value, value))
        elif op is sre_constants.RANGE:
            ranges.append((value[0], value[1]))
        elif op is sre_constants.CATEGORY and value in _CATEGORIES:
            ranges.extend(_CATEGORIES[value])
        else:
            return None
    chars = _normalize(ranges)
    if ignore_case:
        chars = _fold_case(chars)
    return _complement(chars) if negate else chars


def _lucene_char(code: int) -> str:
    char = chr(code)
    return "\\" + char if char in _LUCENE_SPECIAL else char


def _class_body(chars: CharSet) -> str:
    parts: list[str] = []
    for first, last in chars:
        if first == last:
            parts.append(_lucene_char(first))
        elif last == first + 1:
            parts.append(_lucene_char(first) + _lucene_char(last))
        else:
            parts.append(f"{_lucene_char(first)}-{_lucene_char(last)}")
    return "".join(parts)


def _has_scoped_case(pattern: str) -> bool:
    """True when a group turns case-insensitivity on or off for part of the pattern."""
    def walk(items: Iterable[tuple[Any, Any]]) -> bool:
        for op, value in items:
            if op is sre_constants.SUBPATTERN:
                _group, add_flags, del_flags, sub = value
                nested = [sub] if not (add_flags | del_flags) & re.IGNORECASE else None
            elif op is sre_constants.BRANCH:
                nested = list(value[1])
            elif op in _REPEATS or op is sre_constants.POSSESSIVE_REPEAT:
                nested = [value[2]]
            else:
                nested = []
            if nested is None or any(walk(inner) for inner in nested):
                return True
        return False

    return walk(sre_parse.parse(pattern))


def _is_at(item: tuple[Any, Any], *codes: Any) -> bool:
    return item[0] is sre_constants.AT and item[1] in codes


def _word_side(chars: CharSet | None) -> str:
    if chars is None:
        return "unknown"
    if _is_subset(chars, _ASCII_WORD):
        return "word"
    if not _intersects(chars, _ASCII_WORD):
        return "non-word"
    return "mixed"


def _edge_chars(items: Sequence[tuple[Any, Any]], ignore_case: bool, *, first: bool
                ) -> CharSet | None:
    """Return the characters a match of `items` can start (or end) with.

    Returns None when that is unknown, or when `items` can match the empty
    string, so that the character comes from beyond them.
    """
    chars, nullable = _sequence_edge(items, ignore_case, first=first)
    return None if nullable else chars


def _sequence_edge(items: Sequence[tuple[Any, Any]], ignore_case: bool, *, first: bool
                   ) -> tuple[CharSet | None, bool]:
    """Edge characters of a sequence, and whether it can match the empty string."""
    collected: list[tuple[int, int]] = []
    for item in (items if first else list(reversed(items))):
        chars, nullable = _item_edge(item, ignore_case, first=first)
        if chars is None:
            return None, False
        collected.extend(chars)
        if not nullable:
            return _normalize(collected), False
    return _normalize(collected), True


def _item_edge(item: tuple[Any, Any], ignore_case: bool, *, first: bool
               ) -> tuple[CharSet | None, bool]:
    op, value = item
    if op is sre_constants.LITERAL:
        return _literal_chars(value, ignore_case), False
    if op is sre_constants.NOT_LITERAL:
        return _complement(_literal_chars(value, ignore_case)), False
    if op is sre_constants.ANY:
        return _ALL, False
    if op is sre_constants.IN:
        return _class_chars(value, ignore_case), False
    if op is sre_constants.AT:
        return (), True
    if op is sre_constants.SUBPATTERN:
        _group, add_flags, del_flags, sub = value
        return _sequence_edge(list(sub), _scoped_case(ignore_case, add_flags, del_flags),
                              first=first)
    if op is sre_constants.BRANCH:
        edges = [_sequence_edge(list(branch), ignore_case, first=first) for branch in value[1]]
        if any(chars is None for chars, _nullable in edges):
            return None, False
        merged = _normalize(pair for chars, _nullable in edges if chars for pair in chars)
        return merged, any(nullable for _chars, nullable in edges)
    if op in _REPEATS:
        chars, nullable = _sequence_edge(list(value[2]), ignore_case, first=first)
        return chars, nullable or value[0] == 0
    return None, False


def _literal_chars(code: int, ignore_case: bool) -> CharSet:
    if ignore_case:
        return _normalize((variant, variant) for variant in _case_variants(code))
    return ((code, code),)


def _intersection(left: CharSet, right: CharSet) -> CharSet:
    return _complement(_normalize([*_complement(left), *_complement(right)]))


# ---------------------------------------------------------------------------
# Literal parts of a pattern


@dataclass(slots=True)
class _Run:
    """Consecutive literal characters that every match contains.

    `open_start` is True when what comes before the run may end with a letter
    or digit, so the run's first word may be the end of a longer word.
    """

    chars: list[str] = field(default_factory=list)
    ignore_case: bool = False
    open_start: bool = False


@dataclass(slots=True)
class _Collected:
    parts: list[ast.Condition] = field(default_factory=list)
    run: _Run = field(default_factory=_Run)


def required_literals(pattern: str, ignore_case: bool = False, *,
                      whole_words: bool = False) -> ast.Condition | None:
    """Return the literal texts every match of `pattern` contains, as ``contains`` tests.

    The result is a weaker condition than the pattern (an ``and`` of texts, with
    an ``or`` for alternatives whose every branch has a text), or None when the
    pattern requires no literal text at all. Its tests name the field
    ``message``; callers point them elsewhere. With `whole_words`, a text that
    borders a pattern part which always continues the word (``\\w+``) loses
    that partial word, because an analyzed field only matches whole words.
    Other edges, the pattern's own start and end included, count as word
    boundaries, as for ``contains``.
    """
    try:
        parsed = sre_parse.parse(pattern, re.IGNORECASE if ignore_case else 0)
    except re.error:
        return None
    collector = _LiteralCollector(whole_words)
    return collector.sequence(list(parsed), bool(parsed.state.flags & re.IGNORECASE),
                              open_start=False, open_end=False)


class _LiteralCollector:
    def __init__(self, whole_words: bool) -> None:
        self.whole_words = whole_words

    def alternatives(self, branches: Sequence[Any], ignore_case: bool, *, open_start: bool,
                     open_end: bool) -> ast.Condition | None:
        """Return an ``or`` of the branches, or None when one branch requires no text."""
        found = [self.sequence(list(items), ignore_case, open_start=open_start,
                               open_end=open_end) for items in branches]
        kept = [condition for condition in found if condition is not None]
        if len(kept) < len(found):
            return None
        return kept[0] if len(kept) == 1 else ast.Or(tuple(kept))

    def sequence(self, items: list[tuple[Any, Any]], ignore_case: bool, *, open_start: bool,
                 open_end: bool) -> ast.Condition | None:
        state = _Collected(run=_Run(open_start=open_start))
        self.walk(items, ignore_case, state, open_end=open_end)
        self.close(state, open_end=open_end)
        if not state.parts:
            return None
        return state.parts[0] if len(state.parts) == 1 else ast.And(tuple(state.parts))

    def walk(self, items: Sequence[tuple[Any, Any]], ignore_case: bool, state: _Collected, *,
             open_end: bool) -> None:
        """Collect literals into `state`; `open_end` is True when what follows continues a word."""
        for index, item in enumerate(items):
            op, value = item
            following = items[index + 1] if index + 1 < len(items) else None
            right_open = open_end if following is None else \
                _continues_word(following, ignore_case, first=True)
            if op is sre_constants.LITERAL:
                state.run.chars.append(chr(value))
                state.run.ignore_case = state.run.ignore_case or ignore_case
                continue
            if op is sre_constants.IN and (letter := _single_letter(value)) is not None:
                state.run.chars.append(letter)
                state.run.ignore_case = True
                continue
            if op is sre_constants.SUBPATTERN:
                _group, add_flags, del_flags, sub = value
                inner = list(sub)
                scoped = _scoped_case(ignore_case, add_flags, del_flags)
                if len(inner) != 1 or inner[0][0] is not sre_constants.BRANCH:
                    # A group without alternatives joins the literals around it.
                    self.walk(inner, scoped, state, open_end=right_open)
                    continue
                item, ignore_case_here = inner[0], scoped
            else:
                ignore_case_here = ignore_case

            left_open = _ends_word(state.run)
            self.close(state, open_end=_continues_word(item, ignore_case_here, first=True))
            found = self.required_by(item, ignore_case_here, left_open, right_open)
            if found is not None:
                state.parts.append(found)
            state.run.open_start = _continues_word(item, ignore_case_here, first=False)

    def required_by(self, item: tuple[Any, Any], ignore_case: bool, left_open: bool,
                    right_open: bool) -> ast.Condition | None:
        """Return the literal tests a non-literal item requires.

        `left_open` and `right_open` are True when a neighbour continues a word.
        """
        op, value = item
        if op is sre_constants.BRANCH:
            return self.alternatives(value[1], ignore_case, open_start=left_open,
                                     open_end=right_open)
        if op in _REPEATS and value[0] >= 1:
            # A repeated body touches its own copies, so both its edges are open.
            several = value[1] > 1
            return self.sequence(list(value[2]), ignore_case, open_start=left_open or several,
                                 open_end=right_open or several)
        return None

    def close(self, state: _Collected, *, open_end: bool) -> None:
        text = self.trimmed(state.run, open_end)
        if text:
            state.parts.append(ast.Contains("message", text, state.run.ignore_case))
        state.run = _Run()

    def trimmed(self, run: _Run, open_end: bool) -> str:
        text = "".join(run.chars)
        if not self.whole_words:
            return text
        if run.open_start:
            text = re.sub(f"^{_JOINING_RUN}", "", text)
        if open_end:
            text = re.sub(f"{_JOINING_RUN}$", "", text)
        text = text.strip()
        return text if re.search(r"\w", text) else ""


def _ends_word(run: _Run) -> bool:
    """True when a run ends with a letter or digit, or is empty after an open start."""
    if run.chars:
        return re.match(r"\w", run.chars[-1]) is not None
    return run.open_start


_REPEATS: Final = (sre_constants.MAX_REPEAT, sre_constants.MIN_REPEAT)


# Han ideographs and kana: the standard analyzer makes each one a word of its
# own, so they never join the letters next to them into one word.
_IDEOGRAPHS: Final[CharSet] = ((0x3040, 0x30FF), (0x3400, 0x4DBF), (0x4E00, 0x9FFF),
                               (0xF900, 0xFAFF))
# Characters that join their neighbours into one analyzed word: ASCII letters,
# digits and underscore, and non-ASCII characters other than white space and
# ideographs, any of which may be a letter.
_WORD_LIKE: Final = _normalize([
    *_ASCII_WORD,
    *_complement(_normalize([(0, 0x7F), *PYTHON_WHITESPACE, *_IDEOGRAPHS])),
])
_JOINING_RUN: Final = "[^\\W" + "".join(f"\\u{first:04x}-\\u{last:04x}"
                                         for first, last in _IDEOGRAPHS) + "]+"


def _continues_word(item: tuple[Any, Any], ignore_case: bool, *, first: bool) -> bool:
    """True when the item puts a letter or digit next to the literal beside it.

    That is when every character the item can start (or end) with is word-like,
    as for ``\\w+`` or ``(?:ATTACH|SEIZE)``. An item that may or may not do so,
    such as ``.*``, counts as a word boundary: the same assumption a
    ``match_phrase`` for ``contains`` makes about the edges of its text.
    """
    op, value = item
    if op is sre_constants.AT:
        return value is sre_constants.AT_NON_BOUNDARY
    chars, _nullable = _item_edge(item, ignore_case, first=first)
    if chars is None:
        return True
    return bool(chars) and _is_subset(chars, _WORD_LIKE)


def _scoped_case(ignore_case: bool, add_flags: int, del_flags: int) -> bool:
    if del_flags & re.IGNORECASE:
        return False
    return ignore_case or bool(add_flags & re.IGNORECASE)


def _single_letter(items: Sequence[tuple[Any, Any]]) -> str | None:
    """Return the letter of a class that contains exactly its two cases, such as ``[Pp]``."""
    codes = [value for op, value in items if op is sre_constants.LITERAL]
    if len(codes) != len(items) or len(codes) != 2:
        return None
    first, second = (chr(code) for code in codes)
    if first.lower() == second.lower() and first != second:
        return first.lower()
    return None

