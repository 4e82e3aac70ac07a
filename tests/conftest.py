"""Shared test helpers: drive a panel through every control's min, default and max."""

import warnings

import matplotlib

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
                result = panel.set(**{name: value})
            yield name, value, result, panel.message_text
        panel.set(**defaults)
