"""The panel pattern: compute -> view.update -> PNG, with messages instead of tracebacks."""

import ipywidgets as widgets
import pytest
from matplotlib.figure import Figure

from lecture_utils.widgets import Panel, control_extremes, dropdown, render_png, slider, text_box


class CountingView:
    """A view that records every result it is asked to draw."""

    def __init__(self):
        self.figure = Figure(figsize=(2, 1.5))
        self.ax = self.figure.add_subplot()
        (self.line,) = self.ax.plot([0, 1], [0, 0])
        self.drawn = []

    def update(self, result):
        self.drawn.append(result)
        self.line.set_ydata([0, result.value])


class Result:
    def __init__(self, value, note=""):
        self.value, self.note = value, note


def compute(a=1, b=2.0):
    if a < 0:
        raise ValueError("a must be non-negative")
    return Result(a * b, note="large" if a * b > 10 else "")


def make_panel():
    view = CountingView()
    controls = {"a": slider(1, -5, 5, description="a"), "b": slider(2.0, 0.0, 4.0)}
    return Panel(compute, view, controls, question="What happens?"), view


def test_panel_draws_once_on_creation_and_once_per_change():
    panel, view = make_panel()
    assert len(view.drawn) == 1 and bytes(panel.image.value).startswith(b"\x89PNG")
    panel.controls["a"].value = 3
    assert len(view.drawn) == 2 and view.line.get_ydata()[1] == 6.0


def test_set_changes_several_controls_and_redraws_once():
    panel, view = make_panel()
    result = panel.set(a=2, b=3.0)
    assert result.value == 6.0 and len(view.drawn) == 2
    assert panel.settings == {"a": 2, "b": 3.0}
    with pytest.raises(ValueError, match=r"unknown controls \['c'\]"):
        panel.set(c=1)


def test_a_value_error_becomes_a_message_and_keeps_the_last_figure():
    panel, view = make_panel()
    image = bytes(panel.image.value)
    assert panel.set(a=-1) is None
    assert panel.message_text == "a must be non-negative"
    assert "a must be non-negative" in panel.message.value and len(view.drawn) == 1
    assert bytes(panel.image.value) == image
    panel.set(a=1)
    assert panel.message_text == ""


def test_a_result_note_is_shown_as_a_message():
    panel, _ = make_panel()
    panel.set(a=5, b=4.0)
    assert panel.message_text == "large" and "large" in panel.message.value


def test_the_question_is_shown_above_the_controls():
    panel, _ = make_panel()
    assert "Think first:</b> What happens?" in panel.widget.children[0].value


def test_control_extremes_cover_min_default_and_max():
    assert control_extremes(slider(3, 1, 9)) == [1, 3, 9]
    assert control_extremes(slider(0.1, 1e-3, 10.0, log=True)) == pytest.approx([1e-3, 0.1, 10])
    assert control_extremes(dropdown([("one", 1), ("two", 2)], 2)) == [1, 2]
    assert control_extremes(widgets.Checkbox()) == [False, True]
    with pytest.raises(TypeError, match="no known extremes"):
        control_extremes(widgets.Button())


def test_render_png_draws_without_pyplot():
    figure = Figure(figsize=(2, 2), layout="constrained")
    figure.add_subplot().plot([0, 1])
    assert render_png(figure).startswith(b"\x89PNG")


def test_a_busy_cue_is_up_while_a_slow_compute_runs_and_gone_after():
    panels, seen = [], []  # what the message line showed while compute ran

    def compute(a=1):
        seen.append(panels[0].message.value if panels else "")
        return Result(a)

    panels.append(Panel(compute, CountingView(), {"a": slider(1, 0, 200)},
                        busy=lambda a: f"fitting {a} units ..." if a >= 100 else ""))
    panel = panels[0]
    panel.set(a=150)
    assert "fitting 150 units ..." in seen[-1] and panel.busy_shown
    assert panel.message_text == ""  # replaced by the result's note once done
    panel.set(a=5)
    assert seen[-1] == "" and not panel.busy_shown


def test_a_cache_returns_earlier_results_without_computing_again():
    calls = []
    view = CountingView()
    panel = Panel(lambda a=1: (calls.append(a), Result(a))[1], view, {"a": slider(1, 0, 9)},
                  cache=2)
    for a in (2, 1, 2, 3, 1):  # 1 and 2 are cached; 3 pushes the oldest (1) out
        panel.set(a=a)
    assert calls == [1, 2, 3, 1] and len(view.drawn) == 6
    assert view.line.get_ydata()[1] == 1


def test_controls_sit_in_columns_as_wide_as_one_control():
    panel, _ = make_panel()
    grid = panel.widget.children[1]
    assert grid.children == tuple(panel.controls.values())
    assert grid.layout.grid_template_columns == "repeat(auto-fill, 420px)"


def test_a_text_box_sends_its_text_on_enter_and_a_sweep_keeps_its_default():
    box = text_box("1 0 -1", "kernel")
    assert isinstance(box, widgets.Text) and box.continuous_update is False
    assert control_extremes(box) == ["1 0 -1"]
    panel = Panel(lambda a=1, text="x": Result(len(text) * a), CountingView(),
                  {"a": slider(1, 0, 2), "text": box})
    box.value = "abc"
    assert panel.result.value == 3


def test_a_panel_with_quick_settings_redraws_them_at_once_and_waits_for_its_button_else():
    class View:
        figure = Figure(figsize=(1, 1))
        shown = None

        def update(self, result):
            self.shown = result

    view = View()
    panel = Panel(lambda n=1: n, view, {"n": slider(1, 0, 10)}, button="Go",
                  quick=lambda n: n < 5)
    assert view.shown == 1 and panel.button.disabled
    panel.controls["n"].value = 3
    assert view.shown == 3 and panel.button.disabled and panel.message_text == ""
    panel.controls["n"].value = 8
    assert view.shown == 3 and not panel.button.disabled and "press Go" in panel.message_text
    panel.button.click()
    assert view.shown == 8 and panel.button.disabled and panel.message_text == ""


def test_a_refresh_waits_for_one_under_way_on_another_thread():
    import threading

    panel, _ = make_panel()
    held, release = threading.Event(), threading.Event()

    def hold():
        with panel.lock:
            held.set()
            release.wait(2.0)

    holder = threading.Thread(target=hold)
    holder.start()
    held.wait(1.0)
    done = threading.Event()
    refresher = threading.Thread(target=lambda: (panel.refresh(), done.set()))
    refresher.start()
    assert not done.wait(0.2)  # blocked while the other thread draws
    release.set()
    assert done.wait(2.0)
    holder.join()
    refresher.join()
