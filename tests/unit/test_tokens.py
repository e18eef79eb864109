"""The shape check run on every invitation and resume token before any database look-up."""

from hypothesis import given
from hypothesis import strategies as st

from survey.tokens import looks_like_token, new_token


def test_every_new_token_looks_like_one():
    assert all(looks_like_token(new_token()) for _ in range(200))


@given(st.text(max_size=120))
def test_a_token_is_20_to_100_letters_digits_hyphens_or_underscores(text):
    expected = 20 <= len(text) <= 100 and all(c.isalnum() or c in "-_" for c in text)
    assert looks_like_token(text) is expected


def test_the_edges():
    assert looks_like_token("a" * 20) and looks_like_token("a" * 100)
    assert not looks_like_token("a" * 19) and not looks_like_token("a" * 101)
    assert not looks_like_token("a" * 30 + "\n") and not looks_like_token("a" * 15 + "/../" + "a" * 10)
