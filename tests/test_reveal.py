"""Answers are computed at once but shown only on a click."""

import pytest

from lecture_utils import reveal


def test_answer_is_hidden_until_clicked_and_hides_again():
    shown = reveal.Answer("51 agents\n")
    assert not shown.shown and shown.body.layout.display == "none"
    assert "51 agents" in shown.body.value  # computed and ready
    shown.button.click()
    assert shown.shown and shown.button.description == "Hide the answer"
    shown.button.click()
    assert not shown.shown and shown.button.description == "Show the answer"


def test_static_copies_show_only_that_the_answer_is_hidden():
    bundle = reveal.Answer("secret 42")._repr_mimebundle_()
    assert bundle["text/plain"] == reveal.HIDDEN_TEXT
    assert "secret" not in str(bundle)
    assert "application/vnd.jupyter.widget-view+json" in bundle


def test_answer_block_captures_prints_instead_of_showing_them(capsys, monkeypatch):
    displayed = []
    monkeypatch.setattr(reveal, "display", displayed.append)
    with reveal.answer():
        print("the best line is flat")
    assert capsys.readouterr().out == ""
    assert displayed[0].text == "the best line is flat\n"


def test_answer_text_is_escaped_as_html():
    assert "&lt;b&gt;" in reveal.Answer("<b>").body.value


def test_an_error_in_the_block_is_raised_not_hidden():
    with pytest.raises(ZeroDivisionError), reveal.answer():
        print(1 / 0)


def test_an_empty_answer_is_a_mistake():
    with pytest.raises(ValueError, match="needs some text"):
        reveal.Answer("  ")
