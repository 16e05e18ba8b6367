"""logfmt tokens and the transaction-id search."""

from __future__ import annotations

import pytest

from rca.parsers.logfmt import find_transaction_id, pairs


def test_pairs_skip_words() -> None:
    text = 'go install failed txn=run-0042 msg="a b"'

    assert list(pairs(text)) == [("txn", "run-0042", 18, 30), ("msg", "a b", 31, 40)]


def test_pairs_unescape_quoted_value() -> None:
    ((_, value, _, _),) = pairs(r'msg="say \"hi\" to C:\\dir\nnext"')

    assert value == 'say "hi" to C:\\dir\nnext'


def test_pairs_unterminated_quote_is_bare_value() -> None:
    assert list(pairs('msg="open')) == [("msg", '"open', 0, 9)]


def test_pairs_skip_url_query() -> None:
    assert list(pairs("https://proxy.golang.org/x/@v/list?a=b")) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("step=fetch txn=run-0042 msg=x", "run-0042"),
        ('transaction_id="run 7" msg=x', "run 7"),
        ("transaction.id=run-8", "run-8"),
        ("run_id=r9", "r9"),
        ("mytxn=nope", None),
        ("no fields here", None),
    ],
    ids=["txn", "quoted", "dotted", "run-id", "other-key", "no-fields"],
)
def test_find_transaction_id(text: str, expected: str | None) -> None:
    assert find_transaction_id(text) == expected
