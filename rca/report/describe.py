"""The knowledge-base interface of the report: the words for a diagnosis in one language.

The report depends on this interface and not on ``rca.kb`` itself, so it can be
tested with a small stand-in and the knowledge base can change its internals.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from rca.model import Diagnosis, Fix


class CauseText(Protocol):
    """A diagnosis described in one language, with its values filled in."""

    @property
    def title(self) -> str: ...

    @property
    def explanation(self) -> str: ...

    @property
    def fixes(self) -> Sequence[Fix]: ...

    @property
    def references(self) -> Sequence[str]: ...

    @property
    def remedy(self) -> str:
        """``auto`` when the fix is safe to automate, ``manual`` when it needs a person."""
        ...


class CauseDescriber(Protocol):
    """Anything that turns a diagnosis into text, such as ``rca.kb.KnowledgeBase``."""

    def describe(self, diagnosis: Diagnosis, lang: str) -> CauseText: ...
