"""`make bench`, projector: does every panel fit a 1280x720 projector in presentation mode?

Each notebook is copied (into build/, never committed) with its first cell's
`set_style("default")` switched to `set_style("projector")`, opened in JupyterLab in
Debian's chromium in a 1280x720 page, run, and put in JupyterLab's presentation mode with
both side bars collapsed (as a lecturer shows it). Then every panel (a widget box of class
lu-panel with a figure: question, controls, message line, figure) is measured as the page
lays it out: its height and that of its parts, in CSS pixels.
Target (issue 8): at most PANEL_TARGET_PX, the notebook area a 720 px screen leaves below
JupyterLab's menu and tab bars. A screenshot of each panel scrolled to the top of the
notebook area goes to build/projector-screenshots/.

    .venv/bin/python benchmarks/projector_heights.py [01 02 ...]   (default: every notebook)
"""

import sys
import tempfile
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "browser"))

from labpage import Notebook, chromium, find_chromium, jupyterlab  # noqa: E402

VIEWPORT = (1280, 720)
PANEL_TARGET_PX = 560
SCREENSHOTS = ROOT / "build" / "projector-screenshots"
DEFAULT_STYLE, PROJECTOR_STYLE = 'set_style("default")', 'set_style("projector")'

# In the page: every panel's cell number, question, height and the heights of its parts
MEASURE_PANELS = """() => {
    const cells = [...document.querySelectorAll('.jp-Notebook .jp-Cell')];
    const height = e => e ? Math.round(e.getBoundingClientRect().height) : 0;
    const panels = [...document.querySelectorAll('.jp-Notebook .lu-panel')];
    return panels.filter(panel => panel.querySelector('img')).map(panel => {
        const texts = [...panel.querySelectorAll(':scope > .widget-html')];
        const question = texts.find(t => t.innerText.startsWith('Think first'));
        return {cell: cells.indexOf(panel.closest('.jp-Cell')),
                question: question ? question.innerText.slice(13, 60) : '',
                total: height(panel), question_px: height(question),
                controls_px: height(panel.querySelector(':scope > .widget-gridbox')),
                figure_px: height(panel.querySelector(':scope > .widget-image, img'))};
    }); }"""
NOTEBOOK_AREA = "() => document.querySelector('.jp-NotebookPanel-notebook').clientHeight"


def projector_copy(path, folder):
    """A copy of the notebook at `path` in `folder` whose style is "projector"."""
    notebook = nbformat.read(path, as_version=4)
    switched = 0
    for cell in notebook.cells:
        if cell.cell_type == "code" and DEFAULT_STYLE in cell.source:
            cell.source = cell.source.replace(DEFAULT_STYLE, PROJECTOR_STYLE)
            switched += 1
    if not switched:
        raise ValueError(f"{path.name}: no cell calls {DEFAULT_STYLE}")
    copy = Path(folder, path.name)
    nbformat.write(notebook, copy)
    return copy


def measure_notebook(browser, lab, path, screenshots=SCREENSHOTS):
    """(panels, notebook area height): each panel's measurements (see MEASURE_PANELS)."""
    notebook = Notebook.open(browser, lab, path.relative_to(ROOT).as_posix(), VIEWPORT)
    try:
        notebook.run_all()
        notebook.page.evaluate("() => { const shell = window.jupyterapp.shell;"
                               " shell.collapseLeft(); shell.collapseRight();"
                               " shell.presentationMode = true; }")
        notebook.page.wait_for_timeout(1000)  # fonts and figures re-laid out
        panels = notebook.page.evaluate(MEASURE_PANELS)
        boxes = notebook.page.locator(".jp-Notebook .lu-panel:has(img)")
        for k in range(len(panels)):
            boxes.nth(k).evaluate("e => e.scrollIntoView({block: 'start'})")
            notebook.page.wait_for_timeout(200)
            target = screenshots / path.stem / f"panel-{k + 1}.png"
            target.parent.mkdir(parents=True, exist_ok=True)
            notebook.page.screenshot(path=str(target))
        return panels, notebook.page.evaluate(NOTEBOOK_AREA)
    finally:
        notebook.close()


def main(prefixes=()):
    print(f"\n== Projector: panel heights in JupyterLab's presentation mode, "
          f"{VIEWPORT[0]}x{VIEWPORT[1]} page, projector style (target <= {PANEL_TARGET_PX} px:"
          f" question + controls + figure) ==")
    if find_chromium() is None:
        print("(skipped: no chromium; `sudo apt-get install -y chromium`)")
        return
    paths = [p for p in sorted((ROOT / "notebooks").glob("*.ipynb"))
             if not prefixes or p.name.split("_")[0] in prefixes]
    (ROOT / "build").mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(dir=ROOT / "build", prefix="bench-projector-") as folder, \
            jupyterlab(ROOT) as lab, chromium() as browser:
        for path in paths:
            panels, area = measure_notebook(browser, lab, projector_copy(path, folder))
            print(f"{path.stem} (notebook area {area} px high)")
            print(f"  {'cell':>4s}  {'question':48s} {'total':>6s} {'question':>9s} "
                  f"{'controls':>9s} {'figure':>7s}")
            for p in panels:
                flag = "ok" if p["total"] <= PANEL_TARGET_PX else "TOO TALL"
                print(f"  {p['cell']:4d}  {p['question']:48s} {p['total']:4d}px "
                      f"{p['question_px']:7d}px {p['controls_px']:7d}px {p['figure_px']:5d}px"
                      f"  {flag}")
    print(f"(screenshots: {SCREENSHOTS})")


if __name__ == "__main__":
    main(tuple(sys.argv[1:]))
