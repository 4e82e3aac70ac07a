"""Fast figure updates: draw the static parts of a figure once, then only what changed.

A slider moves a few artists (an image, some bars, a curve), yet a full draw redraws every
tick label and title, which is most of the time. `FigureRenderer` keeps a background
image of the figure without its changing parts and, on each render:

1. finds the *units* that changed since the last render. Matplotlib marks a changed
   artist `stale` (set_data, set_height, set_text, ...). A unit is a direct child of an
   Axes (a line, an image, a legend with its texts), or a whole Axes when its frame
   changed (view limits, ticks, position, artists added or removed), or a direct child
   of the Figure;
2. if all changed units are already *animated* (left out of the background), restores
   the background and draws every animated unit on it, in the order a full draw uses;
3. otherwise animates the new units, plus the units drawn above them that they now
   overlap (a legend over a curve, so the stacking stays right), draws the figure without
   them (Matplotlib skips animated artists) as the new background, then draws them on it.

An Axes whose frame changes once (limits, ticks) is redrawn with a new background; one
whose frame keeps changing becomes a unit with its ticks, and goes back into the
background once its frame has not changed for QUIET_RENDERS renders. A figure whose layout
engine still runs (not frozen by `plots.freeze_layout`) is always drawn in full.

The result equals a full draw of the same state; tests check that pixel by pixel on
every panel. `png(figure)` encodes without row filters at zlib level 1: ~4x faster than
matplotlib's `print_png`, for a PNG ~20% larger.
"""

import struct
import zlib

import numpy as np
from matplotlib.axes import Axes
from matplotlib.axis import Axis
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.layout_engine import PlaceHolderLayoutEngine
from matplotlib.transforms import Bbox

NOWHERE = Bbox.null()  # the extent of an artist that draws nothing: it overlaps nothing
QUIET_RENDERS = 3  # a whole-Axes unit whose frame stays put this long goes back to the background
PNG_COMPRESS_LEVEL = 1  # zlib level: 1 and 3 cost the same here; 6 takes 2.5x as long


def renderer_of(figure):
    """The FigureRenderer of `figure`, made on first use: one per figure, shared by all callers."""
    renderer = getattr(figure, "_fast_renderer", None)
    if renderer is None:
        renderer = figure._fast_renderer = FigureRenderer(figure)
    return renderer


def png(figure, compress_level=PNG_COMPRESS_LEVEL):
    """Render `figure` (only what changed since the last call) and return PNG bytes."""
    return renderer_of(figure).png(compress_level)


def encode_png(rgba, compress_level=PNG_COMPRESS_LEVEL):
    """PNG bytes of an (H, W, 4) uint8 image: rows unfiltered, one zlib stream (PNG spec 1.2).

    For an 840x448 panel: 4 ms and 53 kB, against 17 ms and 45 kB for matplotlib's
    `print_png` encoding (Pillow, adaptive row filters, zlib level 6).
    """
    height, width, _ = rgba.shape
    rows = np.zeros((height, 1 + 4 * width), dtype=np.uint8)  # each row: filter type 0, pixels
    rows[:, 1:] = np.asarray(rgba, dtype=np.uint8).reshape(height, 4 * width)
    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)  # 8-bit RGBA
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header)
            + _chunk(b"IDAT", zlib.compress(rows.tobytes(), compress_level)) + _chunk(b"IEND", b""))


def _chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


class FigureRenderer:
    """Renders one Figure through Agg, redrawing only the artists that changed.

    `render()` updates the canvas pixels and returns "full" or "fast" (which path it took);
    `rgba()` is the (H, W, 4) pixel array, `png()` renders and encodes.
    """

    def __init__(self, figure):
        if not isinstance(figure.canvas, FigureCanvasAgg):
            FigureCanvasAgg(figure)
        self.figure = figure
        self.animated = []  # units left out of the background, drawn on it every render
        self._background = None
        self._frames = {}  # Axes -> what a change of makes the whole Axes a unit
        self._extents = {}  # unit -> where it draws, for units that have not changed
        self._reaches = {}  # animated unit -> where it drew when it last changed
        self._reframed_at = {}  # Axes -> the render at which its frame last changed
        self._renders = 0
        self.full_draws = self.fast_draws = 0

    def png(self, compress_level=PNG_COMPRESS_LEVEL):
        """Render and return PNG bytes."""
        self.render()
        return encode_png(self.rgba(), compress_level)

    def rgba(self):
        """The figure's pixels as drawn by the last render: (H, W, 4) uint8, a view."""
        return np.asarray(self.figure.canvas.buffer_rgba())

    def render(self):
        """Bring the canvas up to date; return "full" (a full draw) or "fast" (a blit)."""
        canvas = self.figure.canvas
        size = (*canvas.get_width_height(physical=True), self.figure.dpi)
        if has_live_layout(self.figure):
            self._background = None  # the layout may move every Axes: draw it all
        if self._background is None or size != self._size:
            self.reset()
            self._size = size
            self._frames = self._frame_signatures()
            return self._full_draw()
        changed, redraw_background = self._changed_units()
        new = [unit for unit in changed if unit not in self.animated]
        self._animate(new)
        covered = self._covered_units()
        self._animate(covered)
        if new or covered or redraw_background:
            return self._full_draw()
        canvas.restore_region(self._background)
        self._draw_animated()
        self.fast_draws += 1
        self._clear_stale()
        return "fast"

    def full_draw_pixels(self):
        """The pixels (H, W, 4) of a plain full draw of the figure as it is now, for comparison.

        Leaves the renderer's state as it was: the next `render()` still restores its background.
        """
        for unit in self.animated:
            unit.set_animated(False)
        try:
            self.figure.canvas.draw()
            pixels = np.array(self.rgba())
        finally:
            for unit in self.animated:
                unit.set_animated(True)
        self._clear_stale()  # what the draw itself touched (e.g. empty titles) is not a change
        return pixels

    def reset(self):
        """Forget the background and put every animated unit back into the figure."""
        for unit in self.animated:
            unit.set_animated(False)
        self.animated, self._background = [], None

    # --- the two paths ---------------------------------------------------------------------

    def _full_draw(self):
        canvas = self.figure.canvas
        canvas.draw()  # skips the animated units
        self._extents, self._reaches = {}, {}
        self._background = canvas.copy_from_bbox(self.figure.bbox)
        self._draw_animated()
        self.full_draws += 1
        self._clear_stale()
        return "full"

    def _draw_animated(self):
        """Draw the animated units in the order a full draw would (zorder, then insertion)."""
        renderer = self.figure.canvas.get_renderer()
        animated = set(self.animated)
        for ax in self.figure.axes:  # a full draw places titles (by their height) first
            titles = (ax.title, ax._left_title, ax._right_title)
            if not ax.get_animated() and any(title in animated for title in titles):
                ax._update_title_position(renderer)
        for unit in self._draw_order():
            if unit in animated:
                unit.draw(renderer)

    def _draw_order(self):
        for child in _sorted_children(self.figure):
            yield child
            if isinstance(child, Axes) and not child.get_animated():
                yield from _sorted_children(child)

    # --- what changed ----------------------------------------------------------------------

    def _frame_signatures(self):
        return {ax: _frame_signature(ax) for ax in self.figure.axes}

    def _changed_units(self):
        """The changed units, and whether the background must be redrawn anyway.

        An Axes whose frame changes once is redrawn with the background; one whose frame
        changes again within QUIET_RENDERS renders becomes a unit of its own, and goes
        back into the background once its frame has stayed put that long.
        """
        frames = self._frame_signatures()
        if frames.keys() != self._frames.keys():  # an Axes was added or removed
            self.reset()
        reframed = {ax for ax, signature in frames.items()
                    if self._frames.get(ax) != signature}
        self._frames = frames
        self._renders += 1
        changed, redraw_background = [], self._background is None
        for child in _children(self.figure):
            if isinstance(child, Axes):
                since = self._renders - self._reframed_at.get(child, -QUIET_RENDERS - 1)
                if child in reframed:
                    self._reframed_at[child] = self._renders
                    if child in self.animated or since <= QUIET_RENDERS:
                        changed.append(child)  # moving often: drawn as a whole each time
                    else:
                        redraw_background = True  # a one-off change
                    continue
                if child in self.animated and since >= QUIET_RENDERS:  # its ticks stopped moving
                    child.set_animated(False)
                    self.animated.remove(child)
                    redraw_background = True
                if not child.get_animated():
                    changed += [unit for unit in _children(child) if _any_stale(unit)]
                    continue
            if _any_stale(child):  # a figure-level artist, or anything in an animated Axes
                changed.append(child)
        return changed, redraw_background

    def _animate(self, units):
        """Animate `units`; a whole Axes or a figure-level unit also animates the figure-level
        units above it that it may overlap (within an Axes, `_covered_units` does that)."""
        renderer = self.figure.canvas.get_renderer()
        for unit in units:
            if isinstance(unit, Axes):  # the whole Axes is drawn as one: un-animate its parts
                for part in _children(unit):
                    if part in self.animated:
                        part.set_animated(False)
                        self.animated.remove(part)
            if _container(unit) is self.figure:
                siblings = _sorted_children(self.figure)
                reach = _reach(unit, renderer)
                for above in siblings[siblings.index(unit) + 1:]:
                    if (above not in self.animated and above.get_visible()
                            and _may_overlap(reach, self._extent(above, renderer))):
                        self._add(above)
            self._add(unit)

    def _covered_units(self):
        """Units of an Axes, drawn above an animated unit, that overlap it as it is now.

        A full draw would draw them over it, so they must be animated too (and drawn after
        it); a legend in a corner the curve never reaches stays in the background.
        """
        renderer = self.figure.canvas.get_renderer()
        animated, covered = set(self.animated), []
        for ax in self.figure.axes:
            if ax in animated:
                continue
            drawn = []  # where the units drawn on the background so far may reach
            for child in _sorted_children(ax):
                if child in animated:
                    if child.get_visible():
                        drawn.append(self._reach(child, renderer))
                elif drawn and child.get_visible():
                    extent = self._extent(child, renderer)
                    if any(_may_overlap(reach, extent) for reach in drawn):
                        covered.append(child)
                        drawn.append(extent)
        return covered

    def _reach(self, unit, renderer):
        """Where an animated unit draws now: measured again only if it changed (measuring
        spines, labels and legends took a third of a fast render)."""
        if unit not in self._reaches or _any_stale(unit):
            self._reaches[unit] = _reach(unit, renderer)
        return self._reaches[unit]

    def _extent(self, artist, renderer):
        """Where a unit that has not changed draws (cached until the next full draw)."""
        if artist not in self._extents:
            self._extents[artist] = _extent(artist, renderer)
        return self._extents[artist]

    def _add(self, unit):
        if unit not in self.animated:
            unit.set_animated(True)
            self.animated.append(unit)

    def _clear_stale(self):
        """Mark everything drawn: an artist that is never drawn (invisible) would stay stale."""
        for child in _children(self.figure):
            for artist in _walk(child):
                artist._stale = False


def has_live_layout(figure):
    """Whether a layout engine moves the Axes at every draw (`plots.freeze_layout` stops it)."""
    engine = figure.get_layout_engine()
    return engine is not None and not isinstance(engine, PlaceHolderLayoutEngine)


# --- helpers: the artist tree -----------------------------------------------------------------

def _children(container):
    """Direct children of a Figure or an Axes, without its background patch."""
    return [c for c in container.get_children() if c is not getattr(container, "patch", None)]


def _sorted_children(container):
    """The children a full draw draws, in its order (as Figure.draw and Axes.draw)."""
    children = _children(container)
    if isinstance(container, Axes):
        hidden = [] if container.axison else list(container._axis_map.values())
        if not (container.axison and container.get_frame_on()):
            hidden += list(container.spines.values())
        children = [child for child in children if child not in hidden]
    return sorted(children, key=lambda artist: artist.get_zorder())


def _container(unit):
    return unit.figure if isinstance(unit, Axes) or unit.axes is None else unit.axes


def _walk(artist):
    """The artist and all artists inside it; an Axis only with its label (ticks are many)."""
    if isinstance(artist, Axis):
        return [artist, artist.label, artist.offsetText]
    if isinstance(artist, Axes):
        return [artist] + [a for child in _children(artist) for a in _walk(child)]
    found = [artist]
    for child in artist.get_children():
        found += _walk(child)
    return found


def _any_stale(unit):
    """Whether an artist in `unit` changed. An Axis or Axes marks itself stale at every
    set_xlim, even to the same limits: their own changes are in `_frame_signature`."""
    return any(artist.stale for artist in _walk(unit) if not isinstance(artist, (Axis, Axes)))


def _frame_signature(ax):
    """What the background of an Axes depends on besides its data artists."""
    axes = [(axis.get_scale(), axis.get_visible(), axis.label.get_text(),
             id(axis.major.locator), id(axis.major.formatter), id(axis.minor.locator),
             id(axis.minor.formatter), repr(axis._major_tick_kw), repr(axis._minor_tick_kw))
            for axis in ax._axis_map.values()]
    return (tuple(ax.viewLim.bounds), tuple(ax.get_position().bounds), ax.axison,
            tuple(map(id, _children(ax))), tuple(axes),
            any(spine.stale for spine in ax.spines.values()))


def _reach(unit, renderer):
    """Where an animated unit draws now, in display pixels, or None for anywhere.

    A whole Axes: its box with tick labels and titles; else its extent, widened by its line
    width and markers (`_pad`), cut to its clip box.
    """
    if isinstance(unit, Axes):
        return unit.get_tightbbox(renderer).padded(2)
    extent = _extent(unit, renderer)
    if extent is None:
        return None
    clip = unit.get_clip_box() if unit.get_clip_on() else None
    if clip is None and unit.get_clip_on() and unit.get_clip_path() is not None:
        clip = unit.axes.bbox
    extent = extent.padded(_pad(unit))
    return Bbox.intersection(extent, clip) or Bbox.null() if clip is not None else extent


def _pad(artist):
    """Pixels an artist may draw beyond its extent: half its line width, its markers, and 2
    for antialiasing."""
    points = 0.0
    if hasattr(artist, "get_linewidth"):
        points += np.max(np.atleast_1d(artist.get_linewidth()), initial=0.0) / 2
    if hasattr(artist, "get_markersize"):
        points += artist.get_markersize() / 2 + artist.get_markeredgewidth()
    if hasattr(artist, "get_sizes") and artist.get_sizes() is not None:
        points += np.sqrt(np.max(artist.get_sizes(), initial=0.0)) / 2  # sizes: points^2
    return points * artist.figure.dpi / 72 + 2


def _extent(artist, renderer):
    """The display box an artist draws in (NOWHERE if it draws nothing), or None if unknown
    (then: anywhere)."""
    if isinstance(artist, Axis):  # inside its Axes only with grid lines or inward ticks
        inside = any(kw.get("gridOn") or kw.get("tickdir") in ("in", "inout")
                     for kw in (artist._major_tick_kw, artist._minor_tick_kw))
        inside = inside or any(tick.gridline.get_visible() for tick in artist.majorTicks)
        if inside:
            return artist.axes.bbox
        # no tight box: it draws nothing (no ticks, no label, e.g. on a heatmap)
        return artist.get_tightbbox(renderer) or NOWHERE
    try:
        if isinstance(artist, Axes):
            return artist.get_tightbbox(renderer)
        return artist.get_window_extent(renderer)
    except (RuntimeError, TypeError, ValueError):
        return None


def _may_overlap(box, other):
    if box is NOWHERE or other is NOWHERE:
        return False
    return box is None or other is None or box.overlaps(other)
