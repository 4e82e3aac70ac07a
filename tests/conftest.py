"""Shared test helpers: drive a panel through every control's min, default and max."""

import warnings

import matplotlib
import pytest

matplotlib.use("Agg")

from lecture_utils.widgets import control_extremes  # noqa: E402


def sweep_panel(panel):
    """Set each control of `panel` to its min, default and max in turn (the others at default).

    Yields (control name, value, result, message); a RuntimeWarning fails the test.
    Restores the defaults at the end.
    """
    defaults = panel.settings
    for name, control in panel.controls.items():
        for value in control_extremes(control):
            with warnings.catch_warnings():
                warnings.simplefilter("error")
                warnings.simplefilter("ignore", ResourceWarning)  # gc of another test's socket
                result = panel.set(**{name: value})
            yield name, value, result, panel.message_text
        panel.set(**defaults)


def drawn_texts(figure):
    """Every non-empty Text that `figure` draws; tick labels only of ticks inside the view."""
    from matplotlib.text import Text

    tick_labels, drawn = set(), []
    for ax in figure.get_axes():
        for axis in (ax.xaxis, ax.yaxis):
            for tick in axis.get_major_ticks() + axis.get_minor_ticks():
                tick_labels.update([tick.label1, tick.label2])
            if not (ax.axison and axis.get_visible()):
                continue
            for tick in axis._update_ticks():  # the ticks drawn at the current limits
                drawn += [t for t in (tick.label1, tick.label2) if t.get_visible()]
    drawn += [t for t in figure.findobj(Text) if t not in tick_labels and t.get_visible()]
    return [t for t in drawn if t.get_text().strip()]


def text_problems(figure, slack=2):
    """Texts of `figure` that leave the figure or overlap another (by more than `slack` px).

    Draws the figure first. Returns readable strings; [] means every label can be read.
    """
    from lecture_utils.widgets import render_png

    render_png(figure)
    renderer, frame = figure.canvas.get_renderer(), figure.bbox
    boxes = [(t.get_text(), t.get_window_extent(renderer).padded(-slack))
             for t in drawn_texts(figure)]
    problems = [f"outside the figure: {text!r}" for text, box in boxes
                if box.x0 < frame.x0 or box.x1 > frame.x1 or box.y0 < frame.y0
                or box.y1 > frame.y1]
    problems += [f"overlap: {a!r} / {b!r}" for i, (a, box) in enumerate(boxes)
                 for b, other in boxes[i + 1:] if box.overlaps(other)]
    return problems


@pytest.fixture
def no_warnings():
    """Turn every warning into an error for the duration of a test."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warnings.simplefilter("ignore", ResourceWarning)  # gc of another test's socket
        yield
