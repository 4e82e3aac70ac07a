"""`make html`: executed notebooks as static pages that show what Run All shows on screen,
and nothing a student should try first (solutions, answers)."""

import html
import re

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from lecture_utils.notebook_tools import solution_markdown
from lecture_utils.reveal import HIDDEN_TEXT
from lecture_utils.static_html import INTERACTIVE_NOTE, build

PIXEL = ("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJ"
         "RU5ErkJggg==")  # a 1x1 PNG, base64

PANEL = f"""
import base64
import ipywidgets as widgets
from IPython.display import display
question = widgets.HTML("<b>Think first:</b> what does the slider do?")
hidden = widgets.HTML(f"verdict {{2 ** 20}}", layout=widgets.Layout(display="none"))
picture = widgets.Image(value=base64.b64decode("{PIXEL}"), format="png")
display(widgets.VBox([question, widgets.IntSlider(3), hidden, picture]))
"""


def page_text(page):
    """The text a reader sees in a page (code included), tags removed, spaces collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def test_a_page_shows_outputs_and_panel_figures_but_no_solution_answer_or_widget_state(tmp_path):
    notebook = new_notebook(cells=[
        new_markdown_cell("# 07 · A small notebook\n\nSome text."),
        new_code_cell("print(6 * 7)"),
        new_markdown_cell(solution_markdown("def f():\n    return 'markdown solution'"),
                          metadata={"tags": ["solution"]}),
        new_code_cell("print('old-style solution ran')", metadata={"tags": ["solution"]}),
        new_code_cell("from lecture_utils.reveal import answer\n"
                      "with answer():\n    print('the answer is', 1000 + 234)"),
        new_code_cell(PANEL),
    ])
    notebook.metadata["kernelspec"] = {"name": "python3", "language": "python",
                                       "display_name": "Python 3"}
    path = tmp_path / "07_small.ipynb"
    nbformat.write(notebook, path)

    pages = build([path], tmp_path / "html")

    assert [p.name for p in pages] == ["07_small.html", "index.html"]
    page = (tmp_path / "html" / "07_small.html").read_text(encoding="utf-8")
    text = page_text(page)
    assert "42" in text and "Some text." in text
    assert "markdown solution" not in text and "Show a solution" not in text
    assert "old-style solution" not in text
    assert "1234" not in text and text.count(HIDDEN_TEXT) == 1
    assert "1048576" not in text and "widget-state" not in page
    assert text.count("Think first: what does the slider do?") == 1
    assert page.count(f"data:image/png;base64,{PIXEL}") == 1  # the panel's figure
    assert text.count(INTERACTIVE_NOTE) == 1 and "VBox(" not in text
    index = (tmp_path / "html" / "index.html").read_text(encoding="utf-8")
    assert '<a href="07_small.html">07 · A small notebook</a>' in index
