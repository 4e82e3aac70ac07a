"""In JupyterLab in a real browser, every notebook runs and every control redraws its figure.

For each notebook in notebooks/: run all cells; no cell shows an error. Then, in every panel
(a widget box with a figure and controls), every slider is moved with the keyboard (End,
Home, one step right), every dropdown takes each of its options and every enabled button is
pressed. After each move: no error appears, neither as a cell output nor in JupyterLab's
log console (where exceptions raised inside widget callbacks go), and the figure of the
panel has changed at least once per slider, for each dropdown option (unless the panel
shows a message instead) and for each button. In a panel with an enabled button the controls
only take effect when it is pressed, so there only the button must change the figure. Controls
outside panels are operated and must not cause errors; a button there (e.g. "Show the
answer") must change what its cell shows.

Panels and controls are found in the page, so a new notebook is covered without editing this.
"""

from functools import partial
from pathlib import Path

import pytest

from .labpage import SECOND, Notebook

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
SLIDER_KEYS = ("End", "Home", "ArrowRight")
SETTLE = 2 * SECOND  # once the kernel is idle, its new figure is on the page within this


class Check:
    """Fails the test with the notebook, the control and the move in the message."""

    def __init__(self, notebook, name):
        self.notebook, self.name = notebook, name

    def no_errors(self, where):
        errors, logged = self.notebook.problems()
        assert not errors, f"{self.name}, {where}: error output in the notebook:\n" + \
            "\n".join(errors)[-3000:]
        assert not logged, (f"{self.name}, {where}: {logged} message(s) in JupyterLab's log "
                            f"console (an exception in a widget callback?):\n"
                            f"{self.notebook.log_messages()}")

    def that(self, condition, where, what):
        assert condition, f"{self.name}, {where}: {what}"


def move(check, panel, action, where, live=True):
    """Do `action`, wait for the kernel to handle it, check for errors; return whether the
    panel's figure changed and whether its text (message line) changed. An action that
    returns False sent nothing to the kernel: then both are False. Without `live` (a control
    of a panel with a button) no figure change is awaited."""
    figure, text = panel.look()
    if not check.notebook.after(action):
        return False, False
    changed = live and panel.wait_for_figure_change(figure, SETTLE)
    check.no_errors(where)
    return changed, panel.look()[1] != text


def drive_slider(check, panel, slider, live):
    """Press each of SLIDER_KEYS on the slider's handle; with `live`, the figure must change."""
    figure_changes = 0
    for key in SLIDER_KEYS:
        where = f"{panel}, {slider} ({key} from {slider.value})"
        figure_changes += move(check, panel, partial(slider.press, key), where, live)[0]
    if live:
        check.that(figure_changes, f"{panel}, {slider}",
                   f"the figure never changed while the slider moved ({', '.join(SLIDER_KEYS)})")


def drive_panel(check, panel):
    """Every dropdown option, then every slider (each while enabled), then every button that
    is enabled. A panel whose button is disabled (it trains only slow settings on a press,
    lecture_utils.widgets.Panel's `quick`) redraws at every change, as one without a button."""
    buttons = [b for b in panel.controls("button") if not b.disabled]
    live = not buttons
    dropdowns = [d for d in panel.controls("dropdown") if not d.disabled]
    for dropdown in dropdowns:  # first, so that each option is compared at default settings
        first = dropdown.selected
        for option in [o for o in dropdown.options if o != first] + [first]:
            where = f"{panel}, {dropdown} -> {option!r}"
            figure_changed, text_changed = move(check, panel, partial(dropdown.pick, option),
                                                where, live)
            if live:
                check.that(figure_changed or text_changed, where,
                           "neither the figure nor the message changed")
    untested = panel.controls("slider")
    for dropdown, option in [(None, None)] + [(d, o) for d in dropdowns for o in d.options]:
        if not untested:
            break
        if dropdown is not None and option != dropdown.selected:  # it may enable a slider
            move(check, panel, partial(dropdown.pick, option),
                 f"{panel}, {dropdown} -> {option!r}", live)
        for slider in [s for s in untested if not s.disabled]:
            drive_slider(check, panel, slider, live)
            untested.remove(slider)
    check.that(not untested, str(panel),
               f"sliders {[s.name for s in untested]} were disabled under every dropdown option")
    for button in [b for b in buttons if not b.disabled]:
        where = f"{panel}, {button}"
        figure_changed, _ = move(check, panel, button.locator.click, where)
        check.that(figure_changed, where, "pressing it did not change the figure")


def drive_loose_control(check, control):
    """A control outside every panel: operate it; it must not cause errors, and a button
    must change what its cell shows (e.g. "Show the answer" shows it)."""
    if control.disabled:
        return
    if control.kind == "button":
        shown = control.output_text()
        check.notebook.after(control.locator.click)
        check.that(control.wait_for_output_change(shown, SETTLE), f"outside the panels, {control}",
                   "pressing it changed nothing in its cell's output")
    elif control.kind == "dropdown":
        for option in control.options:
            if option != control.selected:
                check.notebook.after(partial(control.pick, option))
    else:
        for key in SLIDER_KEYS:
            check.notebook.after(partial(control.press, key))
    check.no_errors(f"outside the panels, {control}")


@pytest.fixture(scope="module")
def notebooks(browser, lab):
    """Every notebook opened and its run-all sent, side by side (a busy machine's cores are
    used while the test drives the first one); each is closed at the end."""
    opened = {path: Notebook.open(browser, lab, path.relative_to(ROOT).as_posix())
              for path in NOTEBOOKS}
    for notebook in opened.values():
        notebook.send_run_all()
    yield opened
    for notebook in opened.values():
        notebook.close()


def run_in_front(notebook, path):
    """Bring the notebook's page to the front, wait until every cell ran without errors and
    watch the kernel (see `Notebook.after`); returns the Check for it."""
    notebook.page.bring_to_front()
    check = Check(notebook, path.stem)
    notebook.run_all()
    check.no_errors("after running all cells")
    notebook.watch_kernel()
    return check


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_and_every_control_redraws_its_figure(path, notebooks, screenshots):
    notebook = notebooks[path]
    try:
        check = run_in_front(notebook, path)
        panels = notebook.panels()
        loose = notebook.loose_controls()
        for panel in reversed(panels):  # as the notebook opens, before any control moves
            panel.screenshot(screenshots / path.stem / f"panel-{panel.number}.png")
        notebook.screenshot(screenshots / f"{path.stem}.png")  # the first panel in view
        for panel in panels:
            drive_panel(check, panel)
        for control in loose:
            drive_loose_control(check, control)
    except BaseException:
        notebook.screenshot(screenshots / f"{path.stem}-failed.png")
        raise


LIVE_NOTEBOOKS = [p for p in NOTEBOOKS if "playground" in p.stem]  # those with live panels
PAUSE_LIMIT_MS = 1000  # click on Pause to the relabelled button, on a busy shared machine
PLAY_SECONDS = 4.0  # watch this long: a machine shared with other jobs may draw slowly


@pytest.mark.parametrize("path", LIVE_NOTEBOOKS, ids=[p.stem for p in LIVE_NOTEBOOKS])
def test_live_panel_plays_pauses_steps_and_answers_controls_while_training(path, notebooks,
                                                                           screenshots):
    """The first live panel: Play redraws the figure again and again; a slider moved while it
    trains causes no error and training goes on; Pause stops it (quickly); Step does exactly
    one update. Prints the redraw rate seen in the page and the pause latency."""
    notebook = notebooks[path]
    try:
        check = run_in_front(notebook, path)
        live = notebook.live_panels()
        check.that(live, path.stem, "no live panel (class lu-live) found")
        panel = live[0]
        panel.root.scroll_into_view_if_needed()
        start = panel.updates()
        panel.button("Play").click()
        redraws, first, last = panel.watch(PLAY_SECONDS)
        check.that(redraws >= 3 and last > first >= start, f"{panel}, Play",
                   f"the figure changed {redraws} times in {PLAY_SECONDS} s, updates {first} -> "
                   f"{last}")
        rate = redraws / PLAY_SECONDS
        sliders = {s.name: s for s in panel.controls("slider")}
        # the learning rate takes effect at the next update; the noise starts a new run
        for name, keys in (("learning rate", ("ArrowLeft", "ArrowRight", "ArrowRight")),
                           ("noise", ("ArrowRight",))):
            for key in keys:
                sliders[name].press(key)
            redraws_after, first, last = panel.watch(PLAY_SECONDS / 2)
            where = f"{panel}, {sliders[name]} moved while training"
            check.no_errors(where)
            went_on = last > first if name == "learning rate" else 0 < last  # a new run
            check.that(redraws_after >= 2 and went_on and panel.button("Pause").count(), where,
                       f"training stopped: {redraws_after} redraws, updates {first} -> {last}")
        pause_ms = panel.click_and_time("Pause", "Play")
        notebook.page.wait_for_timeout(300)  # a frame already sent may still arrive
        stopped, count = panel.figure(), panel.updates()
        redraws_paused, _, last = panel.watch(1.0)
        check.that(redraws_paused == 0 and last == count and panel.figure() == stopped,
                   f"{panel}, Pause", f"still changing: {redraws_paused} redraws, updates "
                   f"{count} -> {last}")
        check.that(pause_ms < PAUSE_LIMIT_MS, f"{panel}, Pause",
                   f"the button said Play only {pause_ms:.0f} ms after the click")
        notebook.after(panel.button("Step").click)
        panel.root.page.wait_for_timeout(300)
        check.that(panel.updates() == count + 1, f"{panel}, Step",
                   f"updates went from {count} to {panel.updates()}, not {count + 1}")
        check.no_errors(f"{panel}, Step")
        panel.screenshot(screenshots / path.stem / "live-panel.png")
        notebook.after(panel.button("Reset").click)
        check.that(panel.updates() == 0, f"{panel}, Reset", "the update count is not 0")
        print(f"\n{path.stem}: {rate:.1f} redraws/s seen in the page while playing; Pause "
              f"answered in {pause_ms:.0f} ms")
    except BaseException:
        notebook.screenshot(screenshots / f"{path.stem}-live-failed.png")
        raise
