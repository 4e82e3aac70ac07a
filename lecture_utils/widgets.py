"""Interactive panels: controls wired to a plain compute function and a view drawn in place.

The pattern every notebook uses (see DESIGN.md):

    compute(**settings) -> result      a plain function, tested on its own
    view.update(result)                changes the artists of `view.figure` in place
    Panel(compute, view, controls)     wires the two to ipywidgets controls

A `ValueError` raised by `compute` (bad settings) and a result whose `.note` is
set (e.g. "the loss diverged") are shown as a short message above the figure,
never as a traceback, a NaN plot or warning text.
"""

import inspect
import threading
import time
from collections import OrderedDict

import ipywidgets as widgets
import numpy as np
from IPython.display import display
from threadpoolctl import threadpool_limits

from . import render
from . import style as figure_style


def render_png(figure):
    """Render a matplotlib Figure to PNG bytes (works without pyplot or a display).

    Redraws only what changed since the figure was last rendered (`lecture_utils.render`).
    """
    return render.png(figure)


def _sizes():
    """(control layout, description style) for the current figure style (wider on a projector)."""
    name = figure_style.current_style()
    label, width = figure_style.LABEL_WIDTH_PX[name], figure_style.CONTROL_WIDTH_PX[name]
    return widgets.Layout(width=f"{width}px"), {"description_width": f"{label}px"}


def slider(value, min, max, step=None, description="", live=True, log=False, readout_format=None):
    """A labelled slider; `log=True` gives a log-scale slider whose value is 10**position."""
    layout, style = _sizes()
    if log:
        return widgets.FloatLogSlider(value=value, base=10, min=np.log10(min), max=np.log10(max),
                                      step=step or 0.1, description=description,
                                      continuous_update=live, layout=layout, style=style,
                                      readout_format=readout_format or ".3g")
    if all(isinstance(v, int) for v in (value, min, max, step or 1)):
        return widgets.IntSlider(value=value, min=min, max=max, step=step or 1,
                                 description=description, continuous_update=live,
                                 layout=layout, style=style)
    return widgets.FloatSlider(value=value, min=min, max=max, step=step or (max - min) / 100,
                               description=description, continuous_update=live, layout=layout,
                               style=style, readout_format=readout_format or ".3g")


def choice_slider(values, value, description="", live=True):
    """A slider over the listed `values` only (e.g. 0.1, 0.2, 0.5, 1): the readout is exact."""
    layout, style = _sizes()
    return widgets.SelectionSlider(options=[(f"{v:g}", v) for v in values], value=value,
                                   description=description, continuous_update=live,
                                   layout=layout, style=style)


def dropdown(options, value=None, description=""):
    """A labelled dropdown; `options` is a list of values or of (label, value) pairs."""
    layout, style = _sizes()
    return widgets.Dropdown(options=options, value=value, description=description,
                            style=style, layout=layout)


def text_box(value, description="", placeholder=""):
    """A labelled one-line text box (e.g. a kernel typed as "1 0 -1; 1 0 -1; 1 0 -1").

    It sends its text when Enter is pressed or the box loses focus, not at every key.
    """
    layout, style = _sizes()
    return widgets.Text(value=value, description=description, placeholder=placeholder,
                        continuous_update=False, layout=layout, style=style)


def control_grid(controls):
    """Controls side by side as far as the page is wide, then on the next row.

    Two columns halve the height of a panel with many sliders, so that it fits a 720 px
    projector; on a narrow page the grid falls back to one column.
    """
    width = _sizes()[0].width
    return widgets.GridBox(controls, layout=widgets.Layout(
        grid_template_columns=f"repeat(auto-fill, {width})", grid_gap="2px 16px"))


def styled_box(children):
    """A VBox of `children` whose text follows the current style (large on a projector)."""
    box = widgets.VBox([*children, widgets.HTML(f"<style>{figure_style.widget_css()}</style>")])
    box.add_class("lu-panel")
    return box


def control_extremes(control):
    """The values a test should try for a control: its min, its current value and its max."""
    if isinstance(control, widgets.FloatLogSlider):
        return [control.base ** control.min, control.value, control.base ** control.max]
    if hasattr(control, "min"):
        return [control.min, control.value, control.max]
    if hasattr(control, "options"):
        values = [o[1] if isinstance(o, tuple) else o for o in control.options]
        return list(dict.fromkeys(values))
    if isinstance(control, (widgets.Checkbox, widgets.ToggleButton)):
        return [False, True]
    if isinstance(control, widgets.Text):  # free text has no extremes: its default
        return [control.value]
    raise TypeError(f"no known extremes for control {type(control).__name__}")


def _same_value(old, new):
    """True if a control's new value equals the old one up to float round-off."""
    if isinstance(old, float) and isinstance(new, float):
        return bool(np.isclose(old, new, rtol=1e-9, atol=0.0))
    return old == new


class Panel:
    """Controls, a message line and a figure that redraws whenever a control changes.

    compute: function(**settings) -> result; raises ValueError for bad settings.
    view: object with `.figure` (matplotlib Figure) and `.update(result)`.
    controls: dict mapping each keyword of `compute` to an ipywidgets control.
    question: what to think about before dragging (shown above the controls).
    button: if given (e.g. "Train"), work runs only when this button is pressed, not on
        every control change; a `compute` with a `progress` keyword then gets a callback
        it may call with partial results, and the figure grows live while it runs.
    busy: for a compute slower than ~150 ms, the message shown while it runs: a text
        formatted with the settings, e.g. "fitting a {width}x{depth} network ...", or a
        function of the settings returning it ("" for settings that are quick).
    cache: keep the results of this many recent settings, so dragging back is instant
        (for a slow compute whose settings space is small).
    quick: with a button, a function of the settings saying whether they are quick to
        compute: a change to quick settings redraws at once, as without a button; only slow
        ones wait for the button (which is enabled only while they do).
    """

    def __init__(self, compute, view, controls, question=None, button=None, busy=None,
                 cache=0, quick=None):
        self.compute, self.view, self.controls = compute, view, dict(controls)
        self.quick = quick
        # ipykernel 7 may run a widget's callbacks on a subshell thread as well as the main
        # one: a refresh holds this lock, so two never draw into one figure at once
        self.lock = threading.RLock()
        self.result, self.message_text, self.seconds = None, "", 0.0
        self.busy, self.busy_shown = busy, False
        self.cache = ResultCache(cache) if cache else None
        self.message = widgets.HTML()
        self.image = widgets.Image(format="png", layout=widgets.Layout(max_width="100%",
                                                                        height="auto"))
        header = [widgets.HTML(f"<b>Think first:</b> {question}")] if question else []
        rows = list(self.controls.values())
        self.button = None
        if button:
            self.button = widgets.Button(description=button, button_style="primary")
            self.button.on_click(lambda _: self.refresh())
            rows.append(self.button)
        self.widget = styled_box(header + [control_grid(rows), self.message, self.image])
        self._takes_progress = "progress" in inspect.signature(compute).parameters
        self._last_drawn, self._draw_seconds = 0.0, 0.0
        for control in self.controls.values():  # with a button, a change only marks it stale
            control.observe(self._on_stale if button else self._on_change, names="value")
        self.refresh()

    @property
    def settings(self):
        """The current value of every control, by keyword."""
        return {name: control.value for name, control in self.controls.items()}

    def set(self, **values):
        """Set several controls at once and redraw once (what a test or a demo cell uses)."""
        unknown = set(values) - set(self.controls)
        if unknown:
            raise ValueError(f"unknown controls {sorted(unknown)}; "
                             f"expected some of {list(self.controls)}")
        self._muted = True
        try:
            for name, value in values.items():
                self.controls[name].value = value
        finally:
            self._muted = False
        return self.refresh()

    def refresh(self):
        """Recompute from the current settings, redraw, show any message; return the result."""
        with self.lock:
            return self._refresh()

    def _refresh(self):
        start = self._last_drawn = time.perf_counter()
        settings = self.settings
        if self._takes_progress:
            settings["progress"] = self._progress
        try:
            result = self._cached_compute(settings)
        except ValueError as error:  # bad settings: say so, keep the last good figure
            self._show_message(str(error), error=True)
            self.result = None
            return None
        self.view.update(result)
        self._show_figure()
        self._show_message(getattr(result, "note", "") or "", error=False)
        self.result = result
        self.seconds = time.perf_counter() - start
        if self.button is not None and self.quick is not None:
            self.button.disabled = True  # the figure shows the settings: nothing to press for
        return result

    _muted = False

    def _cached_compute(self, settings):
        """The result for `settings`: from the cache, else computed behind the busy cue."""
        key = None if self.cache is None else tuple(sorted(settings.items(), key=str))
        if key is not None and key in self.cache:
            self.busy_shown = False
            return self.cache[key]
        cue = self.busy(**settings) if callable(self.busy) else (self.busy or "").format(**settings)
        self.busy_shown = bool(cue)
        if cue:  # a widget sends its new value at once: the cue is up while we work
            self.message_text, self.message.value = cue, f"<i>{cue}</i>"
        # one BLAS thread: panel-sized matrices gain nothing from more, and on a busy
        # 2-core machine extra threads made a 0.5 s fit take 3 to 14 s
        with np.errstate(all="ignore"), threadpool_limits(1):
            result = self.compute(**settings)
        if key is not None:
            self.cache[key] = result
        return result

    def _progress(self, partial_result, every_seconds=0.3):
        """Redraw with a partial result (live training curves), at most every `every_seconds`
        and never more than a third of the time, so drawing does not slow the work down."""
        if time.perf_counter() - self._last_drawn < max(every_seconds, 2 * self._draw_seconds):
            return
        start = time.perf_counter()
        self.view.update(partial_result)
        self._show_figure()
        self._last_drawn = time.perf_counter()
        self._draw_seconds = self._last_drawn - start

    def _on_change(self, change):
        if not self._muted:
            self.refresh()

    def _on_stale(self, change):
        # a slider's front end sends 0.01 back as 0.01000000000000001 once drawn: no change
        if self._muted or _same_value(change["old"], change["new"]):
            return
        if self.quick is not None and self.quick(**self.settings):
            self.refresh()
            return
        self.button.disabled = False
        self._show_message(f"settings changed: press {self.button.description} to see "
                           "them (the figure still shows the last run)", error=True)

    def _show_figure(self):
        png = render_png(self.view.figure)
        # show the PNG at its own size (a flex box would stretch it to the page width, blurred)
        self.image.layout.width = f"{int.from_bytes(png[16:20], 'big')}px"  # from the IHDR chunk
        self.image.value = png

    def _show_message(self, text, error):
        self.message_text = text
        # JupyterLab's theme colours: readable on the light and the dark theme alike
        colour = "var(--jp-error-color1, #D55E00)" if error else "var(--jp-ui-font-color1, #222)"
        self.message.value = (f"<span style='color:{colour}; font-weight:600'>&#9888; {text}"
                              "</span>" if text else "")

    def _ipython_display_(self):
        display(self.widget)


class ResultCache(OrderedDict):
    """A dict that keeps only its `size` most recently used entries."""

    def __init__(self, size):
        super().__init__()
        self.size = size

    def __getitem__(self, key):
        self.move_to_end(key)
        return super().__getitem__(key)

    def __setitem__(self, key, value):
        super().__setitem__(key, value)
        self.move_to_end(key)
        while len(self) > self.size:
            self.popitem(last=False)
