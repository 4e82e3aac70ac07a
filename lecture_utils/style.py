"""Figure styles: one look for every notebook, with a projector mode for the lecture hall.

`set_style("projector")` before building a panel gives large fonts and thick lines;
`"dark"` keeps figures readable on a dark JupyterLab theme. All styles use the
Okabe-Ito colour-blind-safe palette.
"""

import matplotlib as mpl

# Okabe & Ito (2008), safe for the common forms of colour blindness.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"]
# On a dark background the deep blue and the black fade: swap in sky blue and white.
DARK_PALETTE = ["#56B4E9", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#0072B2", "#F0E442",
                "#FFFFFF"]
# Colours by role, as matplotlib's "C<n>" references to the style's palette, so that one
# figure code gives readable colours in every style.
FIT_COLOUR, DATA_COLOUR, ERROR_COLOUR = "C0", "C1", "C3"
INK = "C7"  # black, or white in the dark style: zero lines and text that must contrast
TRUE_COLOUR = "#888888"  # mid grey: visible on light and dark backgrounds
WALL_COLOURS = {"default": "#3a3a3a", "projector": "#3a3a3a", "dark": "#8c8c8c"}
VALUE_CMAP = "viridis"  # perceptually uniform, readable in grey
ERROR_CMAP = "RdBu_r"  # diverging: blue too low, red too high

_BASE = {
    "axes.prop_cycle": mpl.cycler(color=PALETTE),
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.axisbelow": True,  # grid under bars too, so a panel redraws bars without the ticks
    "figure.dpi": 80,
    "savefig.dpi": 80,
    "figure.constrained_layout.use": True,
    "image.cmap": VALUE_CMAP,
}

STYLES = {
    "default": {"font.size": 10, "lines.linewidth": 1.8},
    "projector": {"font.size": 14, "axes.titlesize": 15, "lines.linewidth": 3.0,
                  "lines.markersize": 9, "figure.dpi": 100, "savefig.dpi": 100},
    "dark": {"font.size": 10, "lines.linewidth": 1.8, "figure.facecolor": "#111111",
             "axes.prop_cycle": mpl.cycler(color=DARK_PALETTE),
             "axes.facecolor": "#111111", "savefig.facecolor": "#111111",
             "text.color": "white", "axes.labelcolor": "white", "axes.edgecolor": "#cccccc",
             "xtick.color": "white", "ytick.color": "white"},
}


# Widget text (questions, slider labels, read-outs, buttons) grows with the figures, but
# not so much that a panel outgrows a 1280x720 projector (benchmarks/projector_heights.py)
WIDGET_FONT_PX = {"default": 13, "projector": 14, "dark": 13}
LABEL_WIDTH_PX = {"default": 130, "projector": 140, "dark": 130}
# a control (label, slider, read-out): three side by side on a 1280 px projector
CONTROL_WIDTH_PX = {"default": 420, "projector": 335, "dark": 420}
# On a 720 px projector JupyterLab leaves ~600 px for the notebook; a panel's question and
# controls take ~150 of them, so figures are at most this high there.
PROJECTOR_FIGURE_HEIGHT_PX = 400
_current = "default"


def set_style(name="default"):
    """Apply a figure style ("default", "projector" or "dark") to every figure made afterwards.

    Panels built afterwards also size their controls and text for it.
    """
    global _current
    if name not in STYLES:
        raise ValueError(f"style must be one of {sorted(STYLES)}, got {name!r}")
    for key in set().union(*STYLES.values()):  # undo the keys another style may have set
        mpl.rcParams[key] = mpl.rcParamsDefault[key]
    mpl.rcParams.update(_BASE)
    mpl.rcParams.update(STYLES["default"])
    mpl.rcParams.update(STYLES[name])
    _current = name


def current_style():
    """The name of the style set last ("default" before any)."""
    return _current


def figure_size(width, height):
    """(width, height) in inches of a figure drawn in the current style.

    On a projector a figure is at most PROJECTOR_FIGURE_HEIGHT_PX high (its width stays), so
    that a panel with its question and controls fits the screen.
    """
    if _current == "projector":
        height = min(height, PROJECTOR_FIGURE_HEIGHT_PX / mpl.rcParams["figure.dpi"])
    return width, height


def wall_colour():
    """The colour of maze walls in the current style (lighter on a dark background)."""
    return WALL_COLOURS[_current]


def widget_css():
    """CSS for the widgets of a panel (class "lu-panel") in the current style."""
    size = WIDGET_FONT_PX[_current]
    return (f".lu-panel, .lu-panel .widget-label, .lu-panel .widget-readout, "
            f".lu-panel .widget-html-content, .lu-panel select, .lu-panel .jupyter-button, "
            f".lu-panel pre {{font-size: {size}px; line-height: 1.35;}} "
            f".lu-panel .jupyter-button {{height: auto; min-height: {size + 15}px;}}")
