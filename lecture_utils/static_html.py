"""Static HTML pages of the notebooks, for students who only want to read (`make html`).

Each notebook is executed as stored (what Run All shows a lecturer), then converted with
nbconvert. What a reader should not see before trying stays out of the pages, as in Jupyter:

- cells tagged "solution" are dropped (folded <details> markdown, or a collapsed code cell);
- widgets become plain outputs: a panel shows its figure at the default settings, any other
  widget only the plain text it chose for itself (an answer says that it is hidden). The
  widget state, which holds every widget's values and so the answers' texts, is not kept.

    python -m lecture_utils.static_html build/html notebooks/*.ipynb
"""

import html
import re
import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbconvert import HTMLExporter
from nbconvert.preprocessors import TagRemovePreprocessor

SOLUTION_TAG = "solution"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
INTERACTIVE_NOTE = "(interactive: open the notebook in Jupyter or on Binder to use its controls)"
# A widget's automatic repr, e.g. "VBox(children=(HTML(value='...'), ...))", lists its values.
_AUTOMATIC_REPR = re.compile(r"^[A-Za-z_]\w*\(")


def execute(notebook, folder, timeout=600):
    """Run every cell of `notebook` (a NotebookNode, changed in place) with `folder` as the
    working directory, recording the widget state; a cell that raises stops the run."""
    NotebookClient(notebook, timeout=timeout, kernel_name="python3", store_widget_state=True,
                   resources={"metadata": {"path": str(folder)}},
                   extra_arguments=["--IPKernelApp.log_level=ERROR"]).execute()
    return notebook


def widget_outputs(model_id, state):
    """The static outputs of widget `model_id` and the widgets inside it, as a student sees
    them after Run All: each visible Image's picture, HTML text and Output's outputs, in
    display order. Hidden widgets (layout display "none", e.g. a closed answer) show nothing.

    state: {model_id: {"model_name", "state", "buffers"?}} as nbclient records it.
    """
    model = state.get(model_id)
    if model is None or not _visible(model, state):
        return []
    name, values = model["model_name"], model["state"]
    if name == "ImageModel":
        pictures = [b["data"] for b in model.get("buffers", []) if b["path"] == ["value"]]
        mime = f"image/{values.get('format', 'png')}"
        return [nbformat.v4.new_output("display_data", {mime: data})
                for data in pictures if data]
    if name == "HTMLModel":
        shown = values.get("value", "")
        return [nbformat.v4.new_output("display_data", {"text/html": shown})] if shown else []
    if name == "OutputModel":
        return [nbformat.from_dict(output) for output in values.get("outputs", [])]
    outputs = []
    for child in values.get("children", []):
        outputs += widget_outputs(_model_id(child), state)
    return outputs


def _model_id(reference):
    """'IPY_MODEL_abc' -> 'abc' (how a widget's state refers to another widget)."""
    return reference.removeprefix("IPY_MODEL_")


def _visible(model, state):
    layout = state.get(_model_id(model["state"].get("layout", "")))
    return layout is None or layout["state"].get("display") != "none"


def freeze_widgets(notebook):
    """Replace every widget output of `notebook` (changed in place) by static outputs, and
    drop the widget state from its metadata."""
    state = notebook.metadata.pop("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        frozen = []
        for output in cell.outputs:
            data = output.get("data", {})
            if WIDGET_VIEW not in data:
                frozen.append(output)
                continue
            shown = widget_outputs(data[WIDGET_VIEW]["model_id"], state)
            text = data.get("text/plain", "")
            if _AUTOMATIC_REPR.match(text):
                text = INTERACTIVE_NOTE
            frozen += shown + [nbformat.v4.new_output("display_data", {"text/plain": text})]
        cell.outputs = frozen
    return notebook


def to_html(notebook):
    """The HTML page of an executed notebook, without solution cells and live widgets."""
    exporter = HTMLExporter(template_name="lab")
    exporter.register_preprocessor(
        TagRemovePreprocessor(remove_cell_tags={SOLUTION_TAG}, enabled=True), enabled=True)
    page, _ = exporter.from_notebook_node(freeze_widgets(notebook))
    return page


def title(notebook, default):
    """The text of the notebook's first markdown heading, or `default`."""
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            heading = re.search(r"^#+\s+(.+)$", cell.source, re.MULTILINE)
            if heading:
                return heading.group(1).strip()
    return default


def index_page(entries):
    """An index.html listing `entries`: (file name, title) pairs, in order."""
    items = "\n".join(f'<li><a href="{html.escape(name)}">{html.escape(text)}</a></li>'
                      for name, text in entries)
    return ("<!DOCTYPE html>\n<html><head><meta charset='utf-8'>"
            "<title>Deep Learning for RL: notebooks</title></head>\n<body>\n"
            "<h1>Deep Learning for RL: the notebooks, executed</h1>\n"
            "<p>Read-only pages. Solutions and answers are hidden; to drag the sliders, "
            "open the notebooks in Jupyter (<code>make lab</code>) or on Binder.</p>\n"
            f"<ol>\n{items}\n</ol>\n</body></html>\n")


def build(paths, out_dir):
    """Execute each notebook in `paths` and write <stem>.html and index.html to `out_dir`;
    return the pages written."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    entries = []
    for path in map(Path, paths):
        notebook = execute(nbformat.read(path, as_version=4), path.parent)
        name = f"{path.stem}.html"
        (out_dir / name).write_text(to_html(notebook), encoding="utf-8")
        entries.append((name, title(notebook, path.stem)))
        print(f"{out_dir / name}")
    (out_dir / "index.html").write_text(index_page(entries), encoding="utf-8")
    return [out_dir / name for name, _ in entries] + [out_dir / "index.html"]


if __name__ == "__main__":
    if len(sys.argv) < 3:
        sys.exit("usage: python -m lecture_utils.static_html OUT_DIR NOTEBOOK.ipynb ...")
    build(sys.argv[2:], sys.argv[1])
