"""Check a generated HTML page with the standard library's parser: nesting and resources."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

VOID_ELEMENTS = frozenset({
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
    "track", "wbr",
})
# Attributes that make a browser fetch something when the page is opened.
RESOURCE_ATTRIBUTES = frozenset({
    "src", "srcset", "data", "poster", "background", "action", "formaction", "manifest",
})
CSS_FETCH = re.compile(r"url\s*\(|@import", re.IGNORECASE)


@dataclass
class PageCheck:
    """What the parser found: nesting errors, fetches, elements, links and the visible text."""

    nesting_errors: list[str] = field(default_factory=list)
    resources: list[str] = field(default_factory=list)
    elements: list[str] = field(default_factory=list)
    links: list[str] = field(default_factory=list)
    attributes: list[tuple[str, str, str]] = field(default_factory=list)
    classes: list[str] = field(default_factory=list)
    class_sets: list[tuple[str, frozenset[str]]] = field(default_factory=list)
    text: list[str] = field(default_factory=list)
    unclosed: list[str] = field(default_factory=list)


class _Checker(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.result = PageCheck()
        self.stack: list[str] = []
        self.in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.result.elements.append(tag)
        for name, value in attrs:
            value = value or ""
            self.result.attributes.append((tag, name, value))
            if name in RESOURCE_ATTRIBUTES or (tag == "link" and name == "href"):
                self.result.resources.append(f"{tag}[{name}]={value}")
            if name == "style" and CSS_FETCH.search(value):
                self.result.resources.append(f"{tag}[style]={value}")
            if tag == "a" and name == "href":
                self.result.links.append(value)
            if name == "class":
                self.result.classes.extend(value.split())
                self.result.class_sets.append((tag, frozenset(value.split())))
        if tag == "style":
            self.in_style = True
        if tag not in VOID_ELEMENTS:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in VOID_ELEMENTS:
            self.stack.pop()

    def handle_endtag(self, tag: str) -> None:
        if tag == "style":
            self.in_style = False
        if not self.stack or self.stack[-1] != tag:
            self.result.nesting_errors.append(f"</{tag}> closes {self.stack[-1:] or 'nothing'}")
            return
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        if self.in_style:
            if CSS_FETCH.search(data):
                self.result.resources.append("style element fetches a resource")
            return
        self.result.text.append(data)


def count_elements(page: PageCheck, tag: str, *classes: str) -> int:
    """Count the `tag` elements that carry every one of `classes`."""
    return sum(1 for found, names in page.class_sets if found == tag and set(classes) <= names)


def check_page(page: str) -> PageCheck:
    """Parse a page and report how it nests, what it would fetch and what it shows."""
    checker = _Checker()
    checker.feed(page)
    checker.close()
    checker.result.unclosed = list(checker.stack)
    return checker.result
