"""Every style keeps figures and widget text readable: projector grows, dark keeps contrast."""

import matplotlib
import matplotlib.colors as mcolors
import pytest

from lecture_utils import style
from lecture_utils.plots import maze_cmap, new_figure
from lecture_utils.widgets import Panel, slider


@pytest.fixture
def restore_style():
    yield
    style.set_style("default")


def contrast(colour, background):
    """WCAG contrast ratio between two colours."""
    def luminance(c):
        rgb = [v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4
               for v in mcolors.to_rgb(c)]
        return 0.2126 * rgb[0] + 0.7152 * rgb[1] + 0.0722 * rgb[2]
    high, low = sorted([luminance(colour), luminance(background)], reverse=True)
    return (high + 0.05) / (low + 0.05)


@pytest.mark.parametrize("name", ["default", "projector", "dark"])
def test_role_colours_stand_out_from_the_background(name, restore_style):
    style.set_style(name)
    figure = new_figure(2, 2)
    ax = figure.add_subplot()
    background = ax.get_facecolor()
    for role in (style.FIT_COLOUR, style.INK):
        (line,) = ax.plot([0, 1], [0, 1], color=role)
        assert contrast(line.get_color(), background) >= 4.5, (name, role)
    walls = maze_cmap()(1.0)
    assert contrast(walls, figure.get_facecolor()) >= 2.5  # the maze outline is visible


def test_dark_style_swaps_deep_blue_and_black_for_light_colours(restore_style):
    style.set_style("dark")
    assert mcolors.to_hex(style.FIT_COLOUR) == "#56b4e9"
    assert mcolors.to_hex(style.INK) == "#ffffff"
    style.set_style("default")
    assert mcolors.to_hex(style.INK) == "#000000"


def test_projector_style_grows_widget_text_and_labels(restore_style):
    small = slider(1, 0, 2, description="learning rate")
    style.set_style("projector")
    large = slider(1, 0, 2, description="learning rate")
    assert int(large.style.description_width[:-2]) > int(small.style.description_width[:-2])
    assert "font-size: 14px" in style.widget_css()
    assert style.current_style() == "projector"


def test_a_panel_carries_the_css_of_its_style(restore_style):
    style.set_style("projector")

    class View:
        figure = new_figure(1, 1)

        def update(self, result):
            pass

    panel = Panel(lambda a=1: a, View(), {"a": slider(1, 0, 2)})
    assert "lu-panel" in panel.widget._dom_classes
    assert "font-size: 14px" in panel.widget.children[-1].value


def test_unknown_style_is_named():
    with pytest.raises(ValueError, match="style must be one of"):
        style.set_style("neon")


def test_switching_back_to_default_undoes_the_projector(restore_style):
    style.set_style("default")
    before = dict(matplotlib.rcParams)
    style.set_style("projector")
    style.set_style("default")
    changed = {k for k in before if k != "axes.prop_cycle" and matplotlib.rcParams[k] != before[k]}
    assert not changed
