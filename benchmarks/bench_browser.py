"""`make bench`, browser side: from a key press on a slider to the changed figure on screen.

In JupyterLab in Debian's chromium (the set-up of the browser test, tests/browser/labpage.py),
each notebook is run; then in every panel that redraws as a slider moves, its first enabled
slider gets one warm-up key press and PRESSES timed ones (right, left, right, ...). A press is
timed in the page, from its keydown to the first frame painted after the new figure arrived.

The floor, measured in the same run: a generated notebook (never committed) with one slider
redrawing a 4x3-inch sine plot (`line.set_ydata`, PNG into a `widgets.Image`). It is what the
widget round trip itself costs; every notebook is printed as a multiple of it.
Target (issue 9): every notebook's median at most 1.5x the floor.
"""

import statistics
import sys
import tempfile
from functools import partial
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "browser"))

from labpage import Notebook, chromium, find_chromium, jupyterlab  # noqa: E402

PRESSES = 7
TARGET = 1.5  # times the floor
FLOOR_NOTEBOOK = '''\
import io

import ipywidgets as widgets
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

x = np.linspace(0, 2 * np.pi, 200)
figure = Figure(figsize=(4, 3))
FigureCanvasAgg(figure)
line, = figure.add_subplot().plot(x, np.sin(x))
image = widgets.Image(format="png")
frequency = widgets.FloatSlider(value=1.0, min=0.5, max=3.0, step=0.05, description="frequency")


def redraw(change=None):
    line.set_ydata(np.sin(frequency.value * x))
    buffer = io.BytesIO()
    figure.canvas.print_png(buffer)
    image.value = buffer.getvalue()


frequency.observe(redraw, names="value")
redraw()
widgets.VBox([frequency, image])
'''

# In the page: a promise of the milliseconds from the next keydown in the panel to the first
# frame painted after the panel's image changed (null if it has not changed within 30 s).
TIME_NEXT_PRESS = """panel => { const image = panel.querySelector('img'), before = image.src;
    let start = null;
    panel.addEventListener('keydown', () => { start = performance.now(); },
                           {capture: true, once: true});
    window.pressLatency = new Promise(resolve => {
        const observer = new MutationObserver(() => {
            if (image.src === before) return;
            observer.disconnect();
            image.decode().catch(() => {}).then(() => requestAnimationFrame(
                () => resolve(performance.now() - start)));
        });
        observer.observe(image, {attributes: true, attributeFilter: ['src']});
        setTimeout(() => { observer.disconnect(); resolve(null); }, 30000);
    }); }"""


def time_presses(notebook, panel, slider, presses=PRESSES):
    """Milliseconds from key press to changed figure, for `presses` presses after a warm-up."""
    at_max = slider.value == slider.handle.get_attribute("aria-valuemax")
    keys = ["ArrowLeft", "ArrowRight"] if at_max else ["ArrowRight", "ArrowLeft"]
    times = []
    for i in range(presses + 1):
        panel.root.evaluate(TIME_NEXT_PRESS)
        notebook.after(partial(slider.press, keys[i % 2]))
        milliseconds = notebook.page.evaluate("() => window.pressLatency")
        if i and milliseconds is not None:
            times.append(milliseconds)
    return times


def time_notebook(browser, lab, path):
    """{panel description: [milliseconds, ...]} for the live panels of one notebook."""
    notebook = Notebook.open(browser, lab, path.relative_to(ROOT).as_posix())
    try:
        notebook.run_all()
        notebook.watch_kernel()
        timings = {}
        for panel in notebook.panels():
            sliders = [s for s in panel.controls("slider") if not s.disabled]
            if [b for b in panel.controls("button") if not b.disabled] or not sliders:
                continue  # it redraws only when its button is pressed (a disabled one: it
                # redraws at each change, widgets.Panel's `quick`)
            timings[f"{panel}, {sliders[0]}"] = time_presses(notebook, panel, sliders[0])
        return timings
    finally:
        notebook.close()


def main():
    print(f"\n== Browser: key press on a slider to the changed figure on screen (median of "
          f"{PRESSES} presses; target <= {TARGET}x the floor) ==")
    if find_chromium() is None:
        print("(skipped: no chromium; `sudo apt-get install -y chromium`)")
        return
    (ROOT / "build").mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(dir=ROOT / "build", prefix="bench-floor-") as folder, \
            jupyterlab(ROOT) as lab, chromium() as browser:
        floor_path = Path(folder, "floor.ipynb")
        nbformat.write(nbformat.v4.new_notebook(
            cells=[nbformat.v4.new_code_cell(FLOOR_NOTEBOOK)],
            metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                     "language": "python"}}), floor_path)
        [floor_times] = time_notebook(browser, lab, floor_path).values()
        floor = statistics.median(floor_times)
        print(f"{'floor: one slider, 4x3-inch sine plot':62s} {floor:6.0f} ms")
        for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
            timings = time_notebook(browser, lab, path)
            for name, times in timings.items():
                median = statistics.median(times) if times else float("nan")
                print(f"  {name:60s} {median:6.0f} ms {median / floor:5.1f}x")
            every = [t for times in timings.values() for t in times]
            if not every:  # e.g. the playground: its live panels redraw on Play, not on a slider
                print(f"{path.stem:62s}   (no panel redraws on a slider: not timed here)")
                continue
            median = statistics.median(every)
            flag = "ok" if median <= TARGET * floor else "SLOW"
            print(f"{path.stem:62s} {median:6.0f} ms {median / floor:5.1f}x  {flag}")


if __name__ == "__main__":
    main()
