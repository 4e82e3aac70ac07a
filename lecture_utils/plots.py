"""Plotting helpers shared by every notebook: maze heatmaps, loss curves, estimates at s1..s4.

Each helper is a small class that draws into a matplotlib Axes once and has an
`update(...)` that changes its artists in place, so panel views can redraw quickly
(DESIGN.md: no new figure per slider event). Figures are built with `new_figure`,
without pyplot, so they never pile up in the notebook.
"""

import matplotlib as mpl
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patheffects import withStroke
from matplotlib.text import Text
from matplotlib.ticker import MaxNLocator, NullLocator

from .maze import value_grid
from .render import png
from .style import (
    DATA_COLOUR,
    ERROR_CMAP,
    FIT_COLOUR,
    INK,
    TRUE_COLOUR,
    VALUE_CMAP,
    figure_size,
    wall_colour,
)

_OUTLINE = [withStroke(linewidth=2.5, foreground="black")]


def new_figure(width=8.0, height=4.0):
    """A Figure of `width` x `height` inches (lower on a projector: `style.figure_size`),
    constrained layout, rendered by Agg (no pyplot)."""
    figure = Figure(figsize=figure_size(width, height), layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def show(figure):
    """Display a Figure in the notebook as a PNG, whatever the matplotlib backend."""
    from IPython.display import Image, display

    display(Image(png(figure)))


def freeze_layout(figure, right=0.975):
    """Lay the figure out once and keep that layout: later renders skip constrained layout.

    Constrained layout costs most of a draw; a view whose axes never move calls this at the
    end of its constructor. `right` < 1 leaves a margin for colour-bar labels that grow later.
    """
    figure.get_layout_engine().set(rect=(0, 0, right, 1))
    figure.draw_without_rendering()
    figure.set_layout_engine("none")
    return figure


def nice_limits(low, high, bins=5):
    """(low, high) widened to round tick values, e.g. (-13.2, 1.4) -> (-15, 5).

    Views set limits through this so that a small change of the data keeps the axes, and
    its tick labels, as they are: a panel then redraws only the data (`render`).
    """
    ticks = MaxNLocator(bins).tick_values(low, high)
    return float(ticks[0]), float(ticks[-1])


def maze_cmap():
    """Free cells light, walls in the style's wall colour (for an image of `maze.walls`)."""
    return mpl.colors.ListedColormap(["#ececec", wall_colour()])


def _cmap_with_walls(name):
    return mpl.colormaps[name].with_extremes(bad=wall_colour())  # masked cells are walls


class CellLabel(Text):
    """Text on one maze cell whose font shrinks, when drawn, until it fits inside the cell.

    The largest size is the style's font size; on small maps (or large projector fonts)
    neighbouring labels such as s1 and s2 would otherwise run together.
    """

    FILL = 0.75  # widest share of a cell the text may take (leaves a gap to the neighbour)

    def __init__(self, x, y, text, **kwargs):
        super().__init__(x, y, text, **kwargs)
        self.largest_size = self.get_fontsize()
        self._fitted = (None, self.largest_size)  # (what it was measured for, fitted size)

    def fitted_size(self, renderer=None):
        """The font size (points) at which the text fits its cell on the axes as drawn now."""
        renderer = renderer or self.figure._get_renderer()
        corners = self.axes.transData.transform([(0, 0), (1, 1)])
        cell = np.abs(corners[1] - corners[0]).min()  # pixels per cell
        key = (round(cell, 3), self.get_text(), self.largest_size, renderer.points_to_pixels(1))
        if key != self._fitted[0]:  # measuring text is slow: only when the cell or text changed
            self._fitted = (key, self._measure_fitted_size(renderer, cell))
        return self._fitted[1]

    def _measure_fitted_size(self, renderer, cell):
        largest = self.get_fontproperties().copy()
        largest.set_size(self.largest_size)  # measured at the largest size: the same every draw
        width, height, _ = renderer.get_text_width_height_descent(self.get_text(), largest,
                                                                  ismath=False)
        if width <= 0 or height <= 0:
            return self.largest_size
        return min(self.largest_size, self.largest_size * self.FILL * cell / width,
                   self.largest_size * cell / height)

    def draw(self, renderer):
        if self.get_visible() and self.axes is not None:
            size = self.fitted_size(renderer)
            if abs(size - self.get_fontsize()) > 0.01 * size:  # set only on change: no stale loop
                self.set_fontsize(size)
        super().draw(renderer)


def label_cell(ax, cell, name):
    """Write `name` on maze cell (row, col), white with a black outline; return the CellLabel."""
    r, c = cell
    text = CellLabel(c, r, name, ha="center", va="center", color="white", fontweight="bold",
                     path_effects=_OUTLINE, clip_on=True)
    ax.add_artist(text)
    text.set_clip_path(ax.patch)
    return text


def label_cells(ax, maze, start=False):
    """Write G and s1..s4 (and S if `start`) on their cells; return the Text artists.

    Each label's font shrinks to fit its cell (CellLabel), however large the style's fonts.
    """
    labels = dict(maze.named_states, G=maze.goal)
    if start:
        labels["S"] = maze.start_states[0]
    return [label_cell(ax, cell, name) for name, cell in labels.items()]


class ValueHeatmap:
    """State values of a maze as a heatmap: walls dark grey, G and s1..s4 labelled, colour bar.

    values: (N,) in the order of `maze.states`. `symmetric=True` centres the colours on 0
    (for errors). Visited states, if given, get a small white dot in the cell's corner.
    """

    def __init__(self, ax, maze, values, title="", symmetric=False, clim=None, visited=None,
                 colorbar=True, labels=True):
        self.ax, self.maze, self.symmetric = ax, maze, symmetric
        cmap = _cmap_with_walls(ERROR_CMAP if symmetric else VALUE_CMAP)
        self.image = ax.imshow(value_grid(maze, values), cmap=cmap, interpolation="nearest")
        ax.set_title(title)
        ax.set_xticks([])
        ax.set_yticks([])
        ax.grid(False)
        self.colorbar = None
        if colorbar:
            self.colorbar = ax.figure.colorbar(self.image, ax=ax, shrink=0.8)
            self.colorbar.locator = MaxNLocator(4)  # few tick labels: text is slow to draw
        self.labels = label_cells(ax, maze) if labels else []
        self.dots = ax.scatter([], [], s=14, c="white", edgecolors="black", linewidths=0.6)
        self.update(values, clim=clim, visited=visited)

    def update(self, values, clim=None, visited=None):
        """Show new `values` (N,); `clim` = (low, high), else from the data; `visited` indices."""
        values = np.asarray(values, dtype=float)
        finite = np.isfinite(values)
        self.image.set_data(np.ma.masked_invalid(value_grid(self.maze, values)))  # NaN: blank
        if clim is None:
            shown = values[finite] if finite.any() else np.ones(1)
            if self.symmetric:  # rounded up: a small change keeps the colour bar as it is
                top = max(np.abs(nice_limits(-1e-2, max(float(np.abs(shown).max()), 1e-2))))
                clim = (-top, top)
            else:
                low, high = float(shown.min()), float(shown.max())
                clim = (low, high if high > low else low + 1.0)
        self.image.set_clim(*clim)
        if visited is not None:
            cells = np.array([self.maze.states[i] for i in visited], dtype=float).reshape(-1, 2)
            offsets = cells[:, ::-1] + 0.28  # (x, y) = (col, row), bottom-right
            if not np.array_equal(self.dots.get_offsets(), offsets):  # redrawn only if moved
                self.dots.set_offsets(offsets)
        return self


class ValueComparison:
    """Three heatmaps side by side: V^pi | estimate | estimate - V^pi (first two share colours).

    `error_clim` fixes the colour range of the errors (else it follows each estimate): the
    same colour then means the same error at every setting, and the colour bar stays put.
    """

    def __init__(self, axes, maze, v_true, v_hat, name="V_hat", visited=None, error_clim=None):
        self.v_true, self.error_clim = np.asarray(v_true, dtype=float), error_clim
        clim = (self.v_true.min(), self.v_true.max())
        self.truth = ValueHeatmap(axes[0], maze, v_true, r"true $V^\pi$", clim=clim)
        self.estimate = ValueHeatmap(axes[1], maze, v_hat, name, clim=clim, visited=visited)
        self.error = ValueHeatmap(axes[2], maze, np.asarray(v_hat) - self.v_true,
                                  f"{name} $-$ $V^\\pi$", symmetric=True, clim=error_clim)

    def update(self, v_hat, visited=None, v_true=None):
        """Show a new estimate (N,); NaN entries are left blank."""
        if v_true is not None:
            self.v_true = np.asarray(v_true, dtype=float)
            clim = (self.v_true.min(), self.v_true.max())
            self.truth.update(self.v_true, clim=clim)
        clim = (self.v_true.min(), self.v_true.max())
        self.estimate.update(v_hat, clim=clim, visited=visited)
        self.error.update(np.asarray(v_hat, dtype=float) - self.v_true, clim=self.error_clim)
        return self


class LossCurve:
    """Training loss per step on a log scale, with an optional dashed line for the best loss.

    The y range spans at least two decades (two labelled ticks to read values from), and the
    legend moves to where the curve leaves room. A loss below FLOOR is zero up to rounding
    (a log axis has no 0): it is drawn at FLOOR and the legend says "reached 0".
    """

    LEGEND_PLACES = ("upper right", "center right", "lower right", "lower left",
                     "upper left", "center left")
    FLOOR = 1e-12
    LABELS = ("gradient descent", "least squares")

    def __init__(self, ax, title="training loss (MSE)"):
        self.ax = ax
        (self.line,) = ax.plot([], [], color=FIT_COLOUR, label=self.LABELS[0])
        self.best = ax.axhline(1.0, color=TRUE_COLOUR, linestyle="--", label=self.LABELS[1])
        ax.set_yscale("log")
        ax.yaxis.set_minor_locator(NullLocator())  # dozens of minor ticks cost ~30 ms a draw
        ax.xaxis.set_major_locator(MaxNLocator(5, integer=True))  # steps are whole numbers
        ax.set_xlabel("step")
        ax.set_title(title)
        self.legend_place = "upper right"
        ax.legend(loc=self.legend_place, fontsize="small")

    def update(self, losses, best=None):
        """Show `losses` (T,) for steps 0..T-1; `best` is the lowest loss any parameters reach."""
        losses, floor = np.asarray(losses, dtype=float), self.FLOOR
        at_floor = np.isfinite(losses) & (losses < floor)
        losses = np.where(at_floor, floor, losses)
        self.line.set_data(np.arange(len(losses)), losses)
        shown = losses[np.isfinite(losses)]
        best_is_zero = best is not None and np.isfinite(best) and best < floor
        if best is not None and np.isfinite(best):
            if self.best.get_ydata()[0] != max(best, floor):  # redrawn only if it moved
                self.best.set_ydata([max(best, floor)] * 2)
            shown = np.append(shown, max(best, floor))
        self.best.set_visible(best is not None)
        self._label(" (reached 0)" if at_floor.any() else "", " (0)" if best_is_zero else "")
        low, high = (shown.min(), shown.max()) if shown.size else (0.1, 1.0)
        low = max(low, floor)
        low, high = low / 2, (high * 2 if high > low else low * 10)
        missing = 2.0 - np.log10(high / low)  # decades short of two labelled ticks
        if missing > 0:
            low, high = low / 10 ** (missing / 2), high * 10 ** (missing / 2)
        # whole decades: a small change of the curve keeps the axes as they are
        low, high = 10 ** np.floor(np.log10(low)), 10 ** np.ceil(np.log10(high))
        if not self._keeps(low, high):
            self.ax.set_ylim(low, high)
        # rounded up with room (200 -> 250): a step more or less keeps the x axis as it is
        self.ax.set_xlim(0, nice_limits(0, 1.1 * max(len(losses) - 1, 1))[1])
        self._place_legend()
        return self

    STICKY_DECADES = 3  # the y range may span this many decades more than the curve needs

    def _keeps(self, low, high):
        """Whether the current y range may stay for a curve that needs (low, high): it holds
        them, with at most STICKY_DECADES to spare. Dragging a slider back and forth then
        keeps the axes, and only the curve is redrawn."""
        current_low, current_high = self.ax.get_ylim()
        spare = np.log10(current_high / current_low) - np.log10(high / low)
        return current_low <= low and high <= current_high and spare <= self.STICKY_DECADES

    def _label(self, *suffixes):
        """Append `suffixes` to the legend's labels (the line's, then the dashed line's)."""
        legend = self.ax.get_legend()
        if legend is None:  # a view may remove it
            return
        for text, label, suffix in zip(legend.get_texts(), self.LABELS, suffixes, strict=True):
            if text.get_text() != label + suffix:
                text.set_text(label + suffix)

    def _place_legend(self, margin=0.04):
        """Put the legend where neither the loss curve nor the dashed line runs.

        Tries the corners and side centres in the order of LEGEND_PLACES; if every one is
        crossed, raises the top of the y range until the upper right is free.
        """
        legend = self.ax.get_legend()
        if legend is None:  # a view may remove it
            return
        box, axes_box = legend.get_window_extent(), self.ax.bbox
        pad = legend.borderaxespad * legend.prop.get_size_in_points() * self.ax.figure.dpi / 72
        width = (box.width + pad) / axes_box.width + margin  # fractions of the axes
        height = (box.height + pad) / axes_box.height + margin
        x, y = self._curve_in_axes_fractions()
        if self.best.get_visible():
            level = self._fraction_of_height(self.best.get_ydata()[0])
            x, y = np.append(x, np.linspace(0, 1, 50)), np.append(y, np.full(50, level))
        place = None
        for candidate in self.LEGEND_PLACES:
            vertical, horizontal = candidate.split()
            in_x = x >= 1 - width if horizontal == "right" else x <= width
            low = {"upper": 1 - height, "center": 0.5 - height / 2, "lower": 0.0}[vertical]
            if not np.any(in_x & (y >= low) & (y <= low + height)):
                place = candidate
                break
        if place is None:  # no free place: make room above the curve's right end
            top = y[x >= 1 - width].max(initial=0.0)
            log_low, log_high = np.log10(self.ax.get_ylim())
            span = (log_high - log_low) * max(top, 0.5) / (1 - height)
            self.ax.set_ylim(10 ** log_low, 10 ** (log_low + span))
            place = "upper right"
        if place != self.legend_place:
            legend.set_loc(place)
            self.legend_place = place

    def _fraction_of_height(self, values):
        low, high = np.log10(self.ax.get_ylim())
        return (np.log10(np.maximum(values, 1e-300)) - low) / (high - low)

    def _curve_in_axes_fractions(self, samples=200):
        """The drawn loss curve, densely sampled, as (x, y) fractions of the axes (log y)."""
        steps, losses = self.line.get_data()
        keep = np.isfinite(losses) & (np.asarray(losses) > 0)
        steps, losses = np.asarray(steps, dtype=float)[keep], np.asarray(losses)[keep]
        if steps.size == 0:
            return np.zeros(0), np.zeros(0)
        x_low, x_high = self.ax.get_xlim()
        x = np.linspace(steps[0], steps[-1], samples)
        y = np.interp(x, steps, np.log10(losses))
        return (x - x_low) / (x_high - x_low), self._fraction_of_height(10.0 ** y)


class NamedEstimates:
    """Bars of an estimate at s1..s4 next to the true values."""

    def __init__(self, ax, maze, v_true, v_hat, name="estimate"):
        self.ax, self.maze = ax, maze
        self.names = list(maze.named_states)
        self.idx = [maze.index(maze.named_states[n]) for n in self.names]
        x = np.arange(len(self.names))
        self.v_true = np.asarray(v_true, dtype=float)[self.idx]
        self.truth = ax.bar(x - 0.2, self.v_true, 0.4, color=TRUE_COLOUR, label=r"true $V^\pi$")
        self.bars = ax.bar(x + 0.2, np.zeros(len(x)), 0.4, color=DATA_COLOUR, label=name)
        ax.set_xticks(x, self.names)
        ax.axhline(0, color=INK, linewidth=0.8)
        ax.set_title("values at s1..s4")
        # values are negative, so bars hang down from 0; s4 (right) hangs least: room below it
        ax.legend(loc="lower right", fontsize="small")
        self.update(v_hat)

    def update(self, v_hat, v_true=None):
        """Set the estimate's bar heights from `v_hat` (N,); NaN hides a bar."""
        if v_true is not None:
            self.v_true = np.asarray(v_true, dtype=float)[self.idx]
            for bar, h in zip(self.truth, self.v_true, strict=True):
                bar.set_height(h)
        estimate = np.asarray(v_hat, dtype=float)[self.idx]
        for bar, h in zip(self.bars, estimate, strict=True):
            bar.set_height(h if np.isfinite(h) else 0.0)
            bar.set_visible(bool(np.isfinite(h)))
        heights = np.concatenate([self.v_true, estimate[np.isfinite(estimate)], [0.0]])
        span = max(heights.max() - heights.min(), 1.0)
        low = heights.min() - 0.5 * span  # room for the legend below the bars
        self.ax.set_ylim(*nice_limits(low, max(heights.max(), 0) + 0.1 * span))
        return self


def plot_maze(ax, maze, trajectories=None, title=""):
    """The maze itself: walls, S, G, s1..s4, and the paths of `trajectories` if given."""
    ax.imshow(maze.walls, cmap=maze_cmap(), interpolation="nearest", vmin=0, vmax=1)
    ax.set_xticks(np.arange(-0.5, maze.shape[1]), minor=True)
    ax.set_yticks(np.arange(-0.5, maze.shape[0]), minor=True)
    ax.grid(which="minor", color="white", linewidth=1)
    ax.grid(which="major", visible=False)
    ax.tick_params(which="both", length=0, labelbottom=False, labelleft=False)
    ax.set_title(title)
    lines = []
    for k, trajectory in enumerate(trajectories or []):
        cells = np.array([maze.states[i] for i in trajectory.states], dtype=float)
        offset = 0.12 * (k - (len(trajectories) - 1) / 2)  # side by side, not on top
        (line,) = ax.plot(cells[:, 1] + offset, cells[:, 0] + offset, color=FIT_COLOUR,
                          alpha=0.7, linewidth=1.5)
        lines.append(line)
    labels = label_cells(ax, maze, start=True)
    for text in labels:
        text.set_color("black")
        text.set_path_effects([withStroke(linewidth=3, foreground="white")])
    return lines


class NetworkDiagram:
    """An MLP with layer sizes [d_0, ..., d_L] drawn as units and weights, shapes written on.

    Each layer is a column of circles (`units[l]`, a PathCollection); between layers l-1 and
    l one line per weight of W_l (`weights[l - 1]`, a LineCollection, e.g. to colour by a
    gradient later) and the shapes W_l (d_{l-1}, d_l), b_l (d_l,). A layer wider than
    `max_units` shows its first units, a vertical ellipsis and its last unit.
    """

    COLOURS = (DATA_COLOUR, FIT_COLOUR, "#009E73")  # input, hidden, output

    def __init__(self, ax, sizes, max_units=6, activation="g"):
        sizes = [int(d) for d in sizes]
        if len(sizes) < 2 or min(sizes) < 1:
            raise ValueError(f"sizes must list at least two layer sizes >= 1, got {sizes}")
        self.ax, self.figure, self.sizes = ax, ax.figure, sizes
        positions = [self._unit_heights(d, max_units) for d in sizes]
        self.weights = []
        for l in range(1, len(sizes)):  # noqa: E741 (l is the slide's layer index)
            segments = [[(l - 1, a), (l, b)] for a in positions[l - 1] for b in positions[l]]
            lines = mpl.collections.LineCollection(segments, colors=TRUE_COLOUR, linewidths=0.6,
                                                   alpha=0.6, zorder=1)
            self.weights.append(ax.add_collection(lines))
            ax.text(l - 0.5, 1.2, f"$W_{l}$: ({sizes[l - 1]}, {sizes[l]})\n$b_{l}$: ({sizes[l]},)",
                    ha="center", va="bottom", fontsize="small")
        self.units = []
        for l, (d, heights) in enumerate(zip(sizes, positions, strict=True)):  # noqa: E741
            kind = 0 if l == 0 else 2 if l == len(sizes) - 1 else 1
            self.units.append(ax.scatter(np.full(len(heights), l), heights, s=260, zorder=2,
                                         color=self.COLOURS[kind], edgecolors=TRUE_COLOUR))
            if d > max_units:  # the units not drawn
                ax.text(l, (heights[-2] + heights[-1]) / 2, "\u22ee", ha="center",
                        va="center", fontsize="large")
            name = ("input\n$x = h_0$" if kind == 0
                    else f"output\n$\\hat y = h_{l - 1} W_{l} + b_{l}$" if kind == 2
                    else f"hidden layer {l}\n$h_{l} = {activation}(h_{l - 1} W_{l} + b_{l})$")
            ax.text(l, -1.2, f"{name}\n{d} unit{'s' if d > 1 else ''}", ha="center", va="top",
                    fontsize="small")
        ax.set_xlim(-0.5, len(sizes) - 0.5)
        ax.set_ylim(-1.9, 1.75)
        ax.set_axis_off()

    @staticmethod
    def _unit_heights(d, max_units):
        """Heights in [-1, 1] of the circles drawn for a layer of d units (a gap for the dots)."""
        shown = min(d, max_units)
        slots = np.linspace(-1, 1, shown + (d > max_units))[::-1] if shown > 1 else np.zeros(1)
        return np.delete(slots, -2) if d > max_units else slots


def plot_network_diagram(sizes, max_units=6, activation="g"):
    """A new figure with the NetworkDiagram of an MLP with layer sizes [d_0, ..., d_L]."""
    figure = new_figure(min(2.3 * len(sizes) + 0.4, 11.5), 3.8)  # 1150 px on a projector
    return NetworkDiagram(figure.add_subplot(), sizes, max_units, activation)
