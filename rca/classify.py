"""The fallback classifier: names a cause for lines no rule recognizes.

It is trained from the knowledge base's own example lines, plus an optional
labelled corpus. ``example match`` lines are labelled with their cause, and
``unknown`` blocks and counter-examples that no rule claims are labelled
``unknown``.
Lines are masked first (URLs, paths, addresses, hex, versions, long numbers),
so that the features describe the wording of a fault and not its values. Word
and character n-grams are weighted with TF-IDF and fed to a linear SVM whose
scores are calibrated into probabilities (sigmoid calibration on 3 folds).

scikit-learn is imported only when a classifier is needed. A fitted model is
cached on disk under ``$XDG_CACHE_HOME/rca`` (or ``~/.cache/rca``), keyed by a
hash of the rule files, the corpus and this module's `MODEL_VERSION`. The cache
is a pickle: it is written atomically, only read from the user's own cache
folder, and skipped when that folder is not writable.
"""

from __future__ import annotations

import csv
import hashlib
import logging
import os
import pickle
import re
import tempfile
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rca.kb import KnowledgeBase
from rca.model import UNKNOWN_CAUSE, Event

logger = logging.getLogger(__name__)

MODEL_VERSION = "1"
DEFAULT_THRESHOLD = 0.3
MAX_LINES = 2000
CALIBRATION_FOLDS = 3

_MASKS = (
    (re.compile(r"[a-z][a-z0-9+.-]*://\S+", re.IGNORECASE), " xurl "),
    (re.compile(r"\[?[0-9a-f]*:[0-9a-f:]*:[0-9a-f]*\]?:\d+", re.IGNORECASE), " xaddr "),
    (re.compile(r"\b\d{1,3}(?:\.\d{1,3}){3}(?::\d+)?\b"), " xaddr "),
    (re.compile(r"\b(?:[\w-]+\.)+[a-z]{2,}(?:/[\w.@%+~!-]+)+", re.IGNORECASE), " xmodule "),
    (re.compile(r"(?:~|\$\w+|\.{1,2})?(?:/[\w.@%+~-]+)+/?"), " xpath "),
    (re.compile(r"\b\d{4,}\b"), " xnum "),
    (re.compile(r"\b[0-9a-f]{8,}\b", re.IGNORECASE), " xhex "),
    (re.compile(r"(?:(?<=[a-z])|\bv?)\d+\.\d+(?:\.\d+)*(?:[-+][\w.]+)?\b"), " xversion "),
    (re.compile(r"\b(?:[a-z0-9-]+\.)+(?:com|org|net|io|cn|dev|de|jp|uk|ru|me|cc|app|cloud|"
                r"example|internal|local|lan|corp)\b", re.IGNORECASE), " xhost "),
)


def mask(text: str) -> str:
    """Replace the variable parts of a log line by placeholder words."""
    for pattern, placeholder in _MASKS:
        text = pattern.sub(placeholder, text)
    return " ".join(text.split())


@dataclass(slots=True)
class ClassifierResult:
    """The classifier's best cause for a list of events, and the line that scored it."""

    cause: str
    score: float
    event: Event
    alternatives: list[tuple[str, float]] = field(default_factory=list)


class Classifier:
    """A fitted text pipeline and the threshold under which it abstains."""

    def __init__(self, pipeline: Any, threshold: float = DEFAULT_THRESHOLD) -> None:
        self.pipeline = pipeline
        self.threshold = threshold

    @property
    def labels(self) -> list[str]:
        return [str(label) for label in self.pipeline.classes_]

    def probabilities(self, texts: Sequence[str]) -> list[list[float]]:
        """Return one probability per label (in `labels` order) for each text."""
        if not texts:
            return []
        matrix = self.pipeline.predict_proba([mask(text) for text in texts])
        return [[float(value) for value in row] for row in matrix]

    def rank(self, events: Sequence[Event]) -> list[tuple[str, float, Event]]:
        """Rank the causes by their best score over the events, with the event that gave it.

        ``unknown`` is left out because it only absorbs the probability of lines
        that look like no cause.
        """
        events = list(events)[-MAX_LINES:]
        best: dict[str, tuple[float, Event]] = {}
        for event, row in zip(events, self.probabilities([e.message for e in events]), strict=True):
            for label, score in zip(self.labels, row, strict=True):
                if label != UNKNOWN_CAUSE and score > best.get(label, (-1.0, event))[0]:
                    best[label] = (score, event)
        ranked = [(label, score, event) for label, (score, event) in best.items()]
        return sorted(ranked, key=lambda item: -item[1])

    def classify(self, events: Sequence[Event]) -> ClassifierResult | None:
        """Return the best cause when its score reaches the threshold, else None (abstain)."""
        ranked = self.rank(events)
        if not ranked or ranked[0][1] < self.threshold:
            return None
        cause, score, event = ranked[0]
        alternatives = [(label, round(value, 3)) for label, value, _ in ranked[1:3]]
        return ClassifierResult(cause, score, event, alternatives)


def classify_events(events: Sequence[Event], kb: KnowledgeBase) -> ClassifierResult | None:
    """Classify with the model for `kb`, loading or training it on first use."""
    return load_classifier(kb).classify(events)


def training_set(kb: KnowledgeBase, corpus: Path | None = None) -> tuple[list[str], list[str]]:
    """Texts and labels: the knowledge base's examples, then the corpus lines if given."""
    from rca.diagnose import diagnose_excerpt, events_from_text

    texts: list[str] = []
    labels: list[str] = []
    for example, cause in kb.examples():
        if example.matches:
            label = cause
        else:
            # A counter-example belongs to whatever the rules make of it.
            label = diagnose_excerpt(events_from_text(example.text), kb, classifier=False).cause
        texts.append(example.text)
        labels.append(label)

    if corpus is not None:
        corpus_texts, corpus_labels = corpus_examples(corpus)
        texts.extend(corpus_texts)
        labels.extend(corpus_labels)
    return texts, labels


_ERRORISH = re.compile(r"error|fail|fatal|denied|refused|cannot|can't|unable|killed|timeout|"
                       r"timed out|not found|invalid|mismatch|^E: |^W: ", re.IGNORECASE)


def corpus_examples(corpus: Path) -> tuple[list[str], list[str]]:
    """Lines from a labelled corpus folder (``INDEX.tsv`` with ``file`` and ``expected_cause``).

    A file's label goes to its lines that look like errors (all its lines when
    none do), since the corpus does not say which line carries the cause.
    """
    texts: list[str] = []
    labels: list[str] = []
    with open(corpus / "INDEX.tsv", newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            lines = [line.strip() for line in
                     (corpus / row["file"]).read_text("utf-8", errors="replace").splitlines()]
            lines = [line for line in lines if line]
            chosen = [line for line in lines if _ERRORISH.search(line)] or lines
            texts.extend(chosen)
            labels.extend([row["expected_cause"].strip()] * len(chosen))
    return texts, labels


def train(kb: KnowledgeBase, corpus: Path | None = None) -> Classifier:
    """Fit a classifier on the knowledge base's examples (and the corpus)."""
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import make_pipeline, make_union
    from sklearn.svm import LinearSVC

    texts, labels = _oversample(*training_set(kb, corpus))
    features = make_union(
        TfidfVectorizer(analyzer="word", ngram_range=(1, 2), sublinear_tf=True, min_df=1,
                        token_pattern=r"(?u)\b\w[\w'-]*\b", lowercase=True),
        TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=1,
                        lowercase=True),
    )
    model = CalibratedClassifierCV(LinearSVC(C=1.0, class_weight="balanced"),
                                   cv=CALIBRATION_FOLDS, method="sigmoid")
    pipeline = make_pipeline(features, model)
    pipeline.fit([mask(text) for text in texts], labels)
    logger.debug("trained the classifier on %d lines, %d labels", len(texts), len(set(labels)))
    return Classifier(pipeline)


def _oversample(texts: list[str], labels: list[str]) -> tuple[list[str], list[str]]:
    """Repeat the lines of labels with fewer lines than calibration folds, so every fold has one."""
    counts = Counter(labels)
    extra = [(text, label) for text, label in zip(texts, labels, strict=True)
             for _ in range(max(0, CALIBRATION_FOLDS - counts[label]))]
    return texts + [text for text, _ in extra], labels + [label for _, label in extra]


_LOADED: dict[str, Classifier] = {}


def load_classifier(kb: KnowledgeBase, corpus: Path | None = None,
                    cache_dir: Path | None = None) -> Classifier:
    """Return the classifier for `kb` from memory or the disk cache, or train it."""
    key = _cache_key(kb, corpus)
    if key in _LOADED:
        return _LOADED[key]

    folder = cache_dir if cache_dir is not None else default_cache_dir()
    path = folder / f"classifier-{key}.pickle"
    classifier = _read_cache(path)
    if classifier is None:
        classifier = train(kb, corpus)
        _write_cache(path, classifier)
    _LOADED[key] = classifier
    return classifier


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "rca"


def _cache_key(kb: KnowledgeBase, corpus: Path | None) -> str:
    import sklearn

    digest = hashlib.sha256()
    for part in (MODEL_VERSION, sklearn.__version__, kb.content_hash):
        digest.update(part.encode() + b"\0")
    if corpus is not None:
        digest.update((corpus / "INDEX.tsv").read_bytes())
    return digest.hexdigest()[:24]


def _read_cache(path: Path) -> Classifier | None:
    try:
        with open(path, "rb") as handle:
            classifier = pickle.load(handle)  # only the user's own cache folder is read
    except FileNotFoundError:
        return None
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError) as error:
        logger.warning("ignoring unreadable classifier cache %s: %s", path, error)
        return None
    return classifier if isinstance(classifier, Classifier) else None


def _write_cache(path: Path, classifier: Classifier) -> None:
    """Write the model next to its final name, then rename it: readers never see half a file."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=".classifier-")
    except OSError as error:
        logger.info("not caching the classifier in %s: %s", path.parent, error)
        return

    try:
        with os.fdopen(descriptor, "wb") as handle:
            pickle.dump(classifier, handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temporary, path)
    except (OSError, pickle.PicklingError) as error:
        Path(temporary).unlink(missing_ok=True)
        logger.warning("could not write the classifier cache %s: %s", path, error)
        return

    for stale in path.parent.glob("classifier-*.pickle"):
        if stale != path:
            stale.unlink(missing_ok=True)
