"""The fallback classifier: masking, training data, decisions and the model cache."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from rca import classify
from rca.diagnose import events_from_text
from rca.kb import KnowledgeBase, load_knowledge_base

REPO = Path(__file__).resolve().parents[1]

SMALL_RULES = '''
cause net.sample {
    title en "Host not found"
    title zh-CN "找不到主机"
    explanation en "x"
    explanation zh-CN "x"
    rule lookup when message contains "no such host"
    rule refused when message contains "refused by resolver"
    fix en "x"
    fix zh-CN "x"
    example match "lookup a.example: no such host"
    example nomatch "connect: connection refused"
    example nomatch "DNS query refused by resolver"
}
unknown {
    example "make: *** [all] Error 2"
}
'''


@pytest.fixture(scope="module")
def shipped() -> KnowledgeBase:
    return load_knowledge_base()


@pytest.fixture(scope="module")
def trained(shipped: KnowledgeBase) -> classify.Classifier:
    return classify.train(shipped)


@pytest.fixture()
def small_kb(tmp_path: Path) -> KnowledgeBase:
    path = tmp_path / "small.rca"
    path.write_text(SMALL_RULES, encoding="utf-8")
    return load_knowledge_base([path])


@pytest.mark.parametrize(("line", "expected"), [
    ('Get "https://proxy.example.org/a/@v/list": eof', "Get \" xurl eof"),
    ("dial tcp 192.0.2.10:443: i/o timeout", "dial tcp xaddr : i xpath timeout"),
    ("dial tcp [::1]:53: refused", "dial tcp xaddr : refused"),
    ("mkdir /usr/local/go/pkg: permission denied", "mkdir xpath : permission denied"),
    ("example.org/lib/x@v1.2.3: bad", "xmodule : bad"),
    ("go version go1.22.1 linux/amd64", "go version go xversion linux xpath"),
    ("NO_PUBKEY 648ACFD622F3D138", "NO_PUBKEY xhex"),
    ("requires go >= 1.21.4", "requires go >= xversion"),
    ("saved [65382686]", "saved [ xnum ]"),
    ("lookup mirror.example.com: no such host", "lookup xhost : no such host"),
], ids=["url", "ipv4", "ipv6", "path", "module", "go-version-word", "hex", "version",
        "long-number", "host"])
def test_mask(line: str, expected: str) -> None:
    assert classify.mask(line) == expected


def test_training_labels(small_kb: KnowledgeBase) -> None:
    texts, labels = classify.training_set(small_kb)

    assert dict(zip(texts, labels, strict=True)) == {
        "lookup a.example: no such host": "net.sample",
        "connect: connection refused": "unknown",
        "DNS query refused by resolver": "net.sample",
        "make: *** [all] Error 2": "unknown",
    }


def test_oversample_fills_every_fold() -> None:
    texts, labels = classify._oversample(["a", "b", "c", "d"], ["x", "y", "y", "y"])

    assert labels.count("x") == classify.CALIBRATION_FOLDS
    assert texts.count("a") == classify.CALIBRATION_FOLDS


def test_corpus_examples_take_error_lines(tmp_path: Path) -> None:
    (tmp_path / "a.log").write_text("starting\nE: Unable to fetch index\n")
    (tmp_path / "b.log").write_text("one\ntwo\n")
    (tmp_path / "INDEX.tsv").write_text("file\texpected_cause\na.log\tnet.x\nb.log\tunknown\n")

    texts, labels = classify.corpus_examples(tmp_path)

    assert texts == ["E: Unable to fetch index", "one", "two"]
    assert labels == ["net.x", "unknown", "unknown"]


@pytest.mark.parametrize(("line", "cause"), [
    ("fetch failed: dial tcp 10.20.30.40:8443: connect: connection refused",
     "network.connection_refused"),
    ("E: Could not get lock /var/lib/apt/lists/lock. It is held by process 99 (apt)",
     "apt.lock_held"),
    ("write /var/tmp/cache/blob: no space left on device", "disk.full"),
], ids=["refused", "lock", "disk"])
def test_classifies_reworded_lines(trained: classify.Classifier, line: str, cause: str) -> None:
    result = trained.classify(events_from_text(line))

    assert result is not None
    assert result.cause == cause


def test_abstains_on_ordinary_output(trained: classify.Classifier) -> None:
    events = events_from_text("ok  \texample.org/app/store\t0.412s\nPASS")

    assert trained.classify(events) is None


def test_rank_reports_best_line(trained: classify.Classifier) -> None:
    events = events_from_text("go: downloading example.org/x v1.0.0\n"
                              "tar: Unexpected EOF in archive")

    cause, _, event = trained.rank(events)[0]

    assert cause == "binary.corrupt"
    assert event.origin.line == 2


def test_cache_is_written_and_reused(small_kb: KnowledgeBase, tmp_path: Path,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    classify._LOADED.clear()
    classify.load_classifier(small_kb, cache_dir=tmp_path)
    classify._LOADED.clear()

    def fail(*_args: object) -> None:
        raise AssertionError("trained again instead of reading the cache")

    monkeypatch.setattr(classify, "train", fail)
    loaded = classify.load_classifier(small_kb, cache_dir=tmp_path)

    assert isinstance(loaded, classify.Classifier)
    assert len(list(tmp_path.glob("classifier-*.pickle"))) == 1


def test_cache_replaces_stale_models(small_kb: KnowledgeBase, tmp_path: Path) -> None:
    stale = tmp_path / "classifier-0123456789abcdef01234567.pickle"
    stale.write_bytes(b"old")
    classify._LOADED.clear()

    classify.load_classifier(small_kb, cache_dir=tmp_path)

    assert not stale.exists()
    assert not list(tmp_path.glob(".classifier-*"))


def test_unreadable_cache_is_retrained(small_kb: KnowledgeBase, tmp_path: Path) -> None:
    classify._LOADED.clear()
    classify.load_classifier(small_kb, cache_dir=tmp_path)
    [model] = tmp_path.glob("classifier-*.pickle")
    model.write_bytes(b"not a pickle")
    classify._LOADED.clear()

    assert isinstance(classify.load_classifier(small_kb, cache_dir=tmp_path), classify.Classifier)


def test_unwritable_cache_still_classifies(small_kb: KnowledgeBase, tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    classify._LOADED.clear()

    loaded = classify.load_classifier(small_kb, cache_dir=blocker / "rca")

    assert isinstance(loaded, classify.Classifier)


def test_default_cache_dir_follows_xdg(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))

    assert classify.default_cache_dir() == tmp_path / "rca"


def test_rules_alone_do_not_import_sklearn() -> None:
    script = (
        "import sys\n"
        "from rca.kb import load_knowledge_base\n"
        "from rca.diagnose import diagnose_excerpt, events_from_text\n"
        "kb = load_knowledge_base()\n"
        "events = events_from_text('curl: (6) Could not resolve host: a.example')\n"
        "d = diagnose_excerpt(events, kb)\n"
        "print(d.cause, 'sklearn' in sys.modules)\n"
    )
    completed = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True,
                               text=True, check=True)

    assert completed.stdout.split() == ["network.dns", "False"]
