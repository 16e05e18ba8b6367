"""The knowledge base: rule files (``*.rca``), their loader and rule evaluation.

`load_knowledge_base` returns a `KnowledgeBase`. `rca.diagnose` matches events
against it, and reports call its `describe` method for the texts of a diagnosis.
"""

from rca.kb.knowledge import CauseText, KnowledgeBase, load_knowledge_base
from rca.kb.problems import Problem, RuleFileError

__all__ = ["CauseText", "KnowledgeBase", "Problem", "RuleFileError", "load_knowledge_base"]
