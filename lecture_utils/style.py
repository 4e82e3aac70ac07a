"""Figure styles: one look for every notebook, with a projector mode for the lecture hall.

`set_style("projector")` before building a panel gives large fonts and thick lines;
`"dark"` keeps figures readable on a dark JupyterLab theme. All styles use the
Okabe-Ito colour-blind-safe palette.
"""

import matplotlib as mpl

# Okabe & Ito (2008), safe for the common forms of colour blindness.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"]
FIT_COLOUR, DATA_COLOUR, ERROR_COLOUR = PALETTE[0], PALETTE[1], PALETTE[3]
TRUE_COLOUR = "#888888"  # mid grey: visible on light and dark backgrounds
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
    "projector": {"font.size": 16, "axes.titlesize": 18, "lines.linewidth": 3.0,
                  "lines.markersize": 9, "figure.dpi": 100, "savefig.dpi": 100},
    "dark": {"font.size": 10, "lines.linewidth": 1.8, "figure.facecolor": "#111111",
             "axes.facecolor": "#111111", "savefig.facecolor": "#111111",
             "text.color": "white", "axes.labelcolor": "white", "axes.edgecolor": "#cccccc",
             "xtick.color": "white", "ytick.color": "white"},
}


def set_style(name="default"):
    """Apply a figure style ("default", "projector" or "dark") to every figure made afterwards."""
    if name not in STYLES:
        raise ValueError(f"style must be one of {sorted(STYLES)}, got {name!r}")
    mpl.rcParams.update(_BASE)
    mpl.rcParams.update(STYLES["default"])
    mpl.rcParams.update(STYLES[name])
