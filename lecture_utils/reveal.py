"""Answers revealed on demand: computed when the cell runs, shown only when someone clicks.

A lecturer runs every cell before class; the answers to the *Think first* questions must not
be on the projector before the room has guessed. In a notebook:

    with answer():
        print(f"{agents} agents are enough")   # runs now (CI checks it), printed on a click

Static copies (HTML, GitHub) show only the line "(answer hidden ...)".
"""

import contextlib
import html
import io

import ipywidgets as widgets
from IPython.display import display

from .widgets import styled_box

HIDDEN_TEXT = "(answer hidden: run the notebook and click 'Show the answer')"


class Answer:
    """A text answer behind a toggle button; `.text` holds it, `.shown` says if it is open."""

    def __init__(self, text, label="Show the answer"):
        if not isinstance(text, str) or not text.strip():
            raise ValueError("an answer needs some text to show")
        self.text, self.label = text, label
        self.button = widgets.Button(description=label, icon="eye",
                                     layout=widgets.Layout(width="auto", align_self="flex-start"))
        self.body = widgets.HTML(f"<pre class='lu-answer'>{html.escape(text.rstrip())}</pre>",
                                 layout=widgets.Layout(display="none"))
        self.button.on_click(lambda _: self.toggle())
        self.widget = styled_box([self.button, self.body])

    @property
    def shown(self):
        return self.body.layout.display != "none"

    def toggle(self):
        """Show the answer if hidden, hide it if shown."""
        opening = not self.shown
        self.body.layout.display = None if opening else "none"
        self.button.description = "Hide the answer" if opening else self.label
        self.button.icon = "eye-slash" if opening else "eye"

    def _repr_mimebundle_(self, include=None, exclude=None):
        bundle = self.widget._repr_mimebundle_(include=include, exclude=exclude) or {}
        if isinstance(bundle, tuple):  # (data, metadata)
            bundle = bundle[0]
        return {**bundle, "text/plain": HIDDEN_TEXT}


@contextlib.contextmanager
def answer(label="Show the answer"):
    """Run the block now, capture what it prints, and display it behind a button."""
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        yield
    display(Answer(printed.getvalue(), label))
