"""Group first errors that no rule explains, and draft a rule for each group.

Drain3 mines a template per group of similar lines (variable tokens become
``<*>`` or a mask name such as ``<NUM>``). Each template turns into a rule
skeleton in the knowledge-base language, ready to be named, translated and
given fixes.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

logger = logging.getLogger(__name__)

# (pattern, mask name): applied by Drain3 before clustering, most specific first.
MASKS = (
    (r"[a-z][a-z0-9+.-]*://\S+", "URL"),
    (r"(?:~|\.{1,2})?(?:/[\w.@%+~-]+){2,}/?", "PATH"),
    (r"\b\d{1,3}(?:\.\d{1,3}){3}(?::\d+)?\b", "IP"),
    (r"\b[0-9a-fA-F]{8,}\b", "HEX"),
    (r"\bv?\d+\.\d+(?:\.\d+)*(?:[-+][\w.]+)?\b", "VERSION"),
    (r"\b\d+\b", "NUM"),
)
_MASK_TOKEN = re.compile(r"<(?:\*|URL|PATH|IP|HEX|VERSION|NUM)>")
_MAX_EXAMPLES = 3


@dataclass(slots=True)
class UnknownGroup:
    """Lines that share one Drain3 template."""

    template: str
    count: int = 0
    examples: list[str] = field(default_factory=list)


def group_messages(messages: Iterable[str], similarity: float = 0.5) -> list[UnknownGroup]:
    """Cluster messages by template; the largest group comes first."""
    from drain3 import TemplateMiner
    from drain3.masking import MaskingInstruction
    from drain3.template_miner_config import TemplateMinerConfig

    config = TemplateMinerConfig()  # never read drain3.ini from the working directory
    config.drain_sim_th = similarity
    config.profiling_enabled = False
    config.masking_instructions = [MaskingInstruction(pattern, name) for pattern, name in MASKS]
    miner = TemplateMiner(config=config)

    examples: dict[int, list[str]] = {}
    for message in messages:
        message = message.strip()
        if not message:
            continue
        result = miner.add_log_message(message)
        examples.setdefault(result["cluster_id"], [])
        if len(examples[result["cluster_id"]]) < _MAX_EXAMPLES:
            examples[result["cluster_id"]].append(message)

    groups = [
        UnknownGroup(cluster.get_template(), cluster.size, examples.get(cluster.cluster_id, []))
        for cluster in miner.drain.clusters
    ]
    logger.debug("grouped unknown errors into %d templates", len(groups))
    return sorted(groups, key=lambda group: (-group.count, group.template))


def template_pattern(template: str) -> str:
    """Build a pattern for the rule language that matches the template's lines.

    Literal parts without a letter or digit (the ``:`` between masked numbers)
    are dropped, since they carry no meaning and make the pattern brittle.
    """
    parts = [part.strip() for part in _MASK_TOKEN.split(template)]
    literals = [_escape(part) for part in parts if any(char.isalnum() for char in part)]
    return r".*?".join(literals)


def _escape(text: str) -> str:
    """Escape the characters that are special in a pattern or end it (``/``), but not spaces."""
    return re.sub(r"([.^$*+?{}\[\]\\|()/])", r"\\\1", text)


def rule_skeleton(group: UnknownGroup, cause_id: str = "area.name",
                  rule_name: str = "new_rule") -> str:
    """Draft a ``cause`` block for a group; every TODO is for the author to fill in."""
    examples = "\n".join(f"    example match {_quote(text)}" for text in group.examples)
    return f"""cause {cause_id} {{
    title en    "TODO"
    title zh-CN "TODO"
    explanation en    "TODO"
    explanation zh-CN "TODO"
    severity error
    remedy   manual

    rule {rule_name}
        when message ~ /{template_pattern(group.template)}/

    fix en    "TODO"
    fix zh-CN "TODO"

{examples}
}}"""


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
