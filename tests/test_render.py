"""Fast renders (only what changed) look exactly like a full draw of the same figure."""

import importlib
import io
import pkgutil

import numpy as np
import pytest
from conftest import sweep_panel
from matplotlib.figure import Figure
from PIL import Image

import lecture_utils
from lecture_utils import render
from lecture_utils.plots import freeze_layout, new_figure
from lecture_utils.style import set_style

MAX_DIFFERENT_PIXELS = 8  # "within a few pixels" of a full draw ...
TOLERANCE = 24  # ... where a pixel differs if a channel differs by more (edge antialiasing)


def different_pixels(figure):
    """How many pixels of the last render differ from a full draw of the same state."""
    renderer = render.renderer_of(figure)
    fast = np.array(renderer.rgba())
    difference = np.abs(fast.astype(int) - renderer.full_draw_pixels())
    return int((difference > TOLERANCE).any(axis=2).sum())


def all_panels():
    """(module.name, builder) of every panel in every module's PANELS."""
    panels = []
    for info in pkgutil.iter_modules(lecture_utils.__path__):
        module = importlib.import_module(f"lecture_utils.{info.name}")
        for name, build in getattr(module, "PANELS", {}).items():
            panels.append(pytest.param(build, id=f"{info.name}.{name}"))
    return panels


@pytest.fixture(params=["default", "projector"])
def styled(request):
    set_style(request.param)
    yield request.param
    set_style("default")


RESULTS = {}  # (builder, settings) -> result: the second style redraws the first one's results


def computed_once(build, compute):
    """`compute` remembering its results across styles: this test is about drawing."""
    def compute_once(**settings):
        key = (build, tuple((k, v) for k, v in sorted(settings.items()) if k != "progress"))
        if key not in RESULTS:
            RESULTS[key] = compute(**settings)
        return RESULTS[key]
    return compute_once


@pytest.mark.parametrize("build", all_panels())
def test_every_panel_update_looks_like_a_full_draw(build, styled):
    panel = build()
    panel.compute = computed_once(build, panel.compute)
    renderer = render.renderer_of(panel.view.figure)
    for name, value, _, _ in sweep_panel(panel):
        assert different_pixels(panel.view.figure) <= MAX_DIFFERENT_PIXELS, (name, value)
    if not render.has_live_layout(panel.view.figure):  # else every draw is a full draw
        assert renderer.fast_draws > 0  # the sweep took the fast path at least once


def line_figure():
    figure = new_figure(3, 2)
    ax = figure.add_subplot()
    (line,) = ax.plot([0, 1, 2], [0, 1, 0])
    ax.set_title("fixed")
    freeze_layout(figure)
    return figure, ax, line


def test_only_a_data_change_takes_the_fast_path():
    figure, ax, line = line_figure()
    renderer = render.renderer_of(figure)
    assert renderer.render() == "full"  # the first render draws everything
    line.set_ydata([1, 0, 1])
    assert renderer.render() == "full"  # the line becomes animated: a new background
    assert line in renderer.animated and ax.yaxis not in renderer.animated  # ticks stay
    line.set_ydata([0.5, 0.2, 0.5])
    assert renderer.render() == "fast" and different_pixels(figure) == 0
    assert renderer.render() == "fast"  # nothing changed: the background and the line again


def test_limits_that_keep_changing_redraw_their_axes_alone_until_they_settle():
    figure, ax, line = line_figure()
    renderer = render.renderer_of(figure)
    renderer.render()
    ax.set_ylim(-5, 5)
    assert renderer.render() == "full" and ax not in renderer.animated  # a one-off change
    ax.set_ylim(-1, 1)  # changed again soon: from now on the Axes is drawn as a whole
    assert renderer.render() == "full" and ax in renderer.animated
    ax.set_ylim(-2, 2)  # new ticks without a full draw
    assert renderer.render() == "fast" and different_pixels(figure) == 0
    ax.set_ylim(-2, 2)  # the same limits again: the frame did not change
    line.set_ydata([0, 0.5, 0])
    assert [renderer.render() for _ in range(render.QUIET_RENDERS)] == ["fast", "fast", "full"]
    assert ax not in renderer.animated  # settled: back in the background
    assert different_pixels(figure) == 0


def test_a_legend_is_redrawn_over_a_curve_once_the_curve_runs_under_it():
    figure, ax, line = line_figure()
    legend = ax.legend([line], ["curve"], loc="upper left")
    renderer = render.renderer_of(figure)
    renderer.render()
    ax.set_title("changed")
    line.set_ydata([0, 0.2, 0])  # low, far from the legend
    assert renderer.render() == "full" and {ax.title, line} <= set(renderer.animated)
    assert legend not in renderer.animated  # nothing changed under it: it stays drawn
    line.set_ydata([0.1, 0.3, 0.1])
    assert renderer.render() == "fast" and different_pixels(figure) == 0
    line.set_ydata([1, 0.2, 0])  # through the upper left corner: the legend must stay on top
    assert renderer.render() == "full" and legend in renderer.animated
    assert different_pixels(figure) == 0
    legend.get_texts()[0].set_text("renamed")  # a text inside the legend
    assert renderer.render() == "fast" and different_pixels(figure) == 0


def test_bars_below_the_grid_keep_the_grid_on_top():
    figure = new_figure(3, 2)
    ax = figure.add_subplot()
    bars = ax.bar([0, 1], [1, 2])
    ax.grid(True)
    ax.set_ylim(0, 3)
    freeze_layout(figure)
    renderer = render.renderer_of(figure)
    renderer.render()
    for height in (1.5, 2.5, 0.5):
        bars[0].set_height(height)
        renderer.render()
        assert different_pixels(figure) == 0


def test_a_new_artist_or_a_resized_figure_draws_everything():
    figure, ax, line = line_figure()
    renderer = render.renderer_of(figure)
    renderer.render()
    (other,) = ax.plot([0, 2], [1, 1])
    assert renderer.render() == "full" and different_pixels(figure) == 0
    figure.set_size_inches(4, 2)
    assert renderer.render() == "full" and renderer.animated == []
    assert renderer.rgba().shape[:2] == (2 * figure.dpi, 4 * figure.dpi)


def test_a_figure_with_a_live_layout_is_always_drawn_in_full():
    figure = Figure(figsize=(3, 2), layout="constrained")
    (line,) = figure.add_subplot().plot([0, 1])
    renderer = render.renderer_of(figure)
    renderer.render()
    line.set_ydata([1, 0])
    assert renderer.render() == "full" and renderer.render() == "full"


def test_png_is_fast_to_encode_and_keeps_the_width_in_its_header():
    figure, _, _ = line_figure()
    data = render.png(figure)
    assert data.startswith(b"\x89PNG") and data[12:16] == b"IHDR"
    assert int.from_bytes(data[16:20], "big") == 3 * figure.dpi


def test_png_round_trips_the_pixels():
    pixels = np.random.default_rng(0).integers(0, 256, size=(3, 5, 4), dtype=np.uint8)
    assert (np.array(Image.open(io.BytesIO(render.encode_png(pixels)))) == pixels).all()
