"""Live training in a panel: Play / Pause / Step / Reset, with the kernel answering meanwhile.

    loop = LiveLoop(step, draw)        step() does one update; draw() redraws the figure
    loop.play()                        training runs in the background ...
    loop.pause()                       ... until paused (it stops within one time slice)
    loop.step()                        exactly one update, then a redraw
    loop.reset()                       pause, then call `on_reset` (e.g. new weights), redraw

The background work is an asyncio task on the kernel's own event loop. The task runs
updates for at most `slice_seconds`, then awaits, so that the kernel handles every message
that came in (a click on Pause, a slider moving) before the next slice, and a control
changed mid-run takes effect at the next update. ipykernel 7 may hand a widget's message
to a subshell thread instead of the main one (seen in JupyterLab 4.6 with ipywidgets 8.1:
one slider's callbacks ran on both), so a callback can run while a slice is under way:
every slice, step, pause and reset holds `lock` (re-entrant), and a panel's callbacks that
touch the model or the figure take it too. Without it, a slider moved during Play once
rebuilt the figure while the loop drew it (matplotlib: "raster overflow"). It redraws at most every
`redraw_seconds` (and never spends more than about 80% of its time drawing); with
`steps_per_frame` it does that many updates per redraw and sleeps in between (a set pace).

Outside a kernel (a test, a script) no event loop runs: `play()` then only sets `playing`,
and `tick()` does one slice by hand, exactly as the task would.
"""

import asyncio
import threading
import time


class LiveLoop:
    """Calls `step()` over and over in the background; `draw()` at most every
    `redraw_seconds`. `on_change()`, if given, is called whenever `playing` changes
    (e.g. to relabel a Play button); `on_error(error)` gets an exception raised by `step`
    or `draw` in the background (the loop then pauses; without `on_error` it re-raises)."""

    def __init__(self, step, draw, on_reset=None, on_change=None, on_error=None,
                 redraw_seconds=0.1, slice_seconds=0.02, steps_per_frame=None, max_steps=None):
        self._step, self._draw = step, draw
        self.on_reset, self.on_change, self.on_error = on_reset, on_change, on_error
        self.redraw_seconds, self.slice_seconds = redraw_seconds, slice_seconds
        self.max_steps = max_steps  # stop by itself after this many updates (None: never)
        # updates between redraws (None: as many as fit in redraw_seconds); with a number,
        # the task sleeps once a frame's updates are done, so training runs at a set pace
        self.steps_per_frame, self._frame_steps = steps_per_frame, 0
        self.playing, self.task, self.steps = False, None, 0
        self.draws, self._last_draw, self._draw_seconds = 0, 0.0, 0.0
        self.error = None  # the exception that stopped the loop, if one did
        self.lock = threading.RLock()  # held by every slice and control (see the module doc)

    # --- the controls ------------------------------------------------------------------

    def play(self):
        """Start training in the background (does nothing if it already runs)."""
        if self.playing:
            return
        self._set_playing(True)
        loop = _running_loop()
        if loop is not None and (self.task is None or self.task.done()):
            self.task = loop.create_task(self._run())

    def pause(self):
        """Stop after the update under way and redraw; the task ends at its next await."""
        with self.lock:
            was_playing = self.playing
            self._set_playing(False)
            if was_playing:
                self._guarded(self.redraw)

    def step(self):
        """Pause, do exactly one update and redraw."""
        with self.lock:
            self.pause()
            self._guarded(self._one_step, self.redraw)

    def reset(self):
        """Pause, call `on_reset()` (start again) and redraw."""
        with self.lock:
            self.pause()
            self.steps = 0
            self._guarded(*(f for f in (self.on_reset, self.redraw) if f is not None))

    def toggle(self):
        """Play if paused, pause if playing (one button for both)."""
        self.pause() if self.playing else self.play()

    # --- the work ----------------------------------------------------------------------

    def tick(self):
        """One time slice: updates for up to `slice_seconds` (at least one, and no more than
        the frame has left), then a redraw if one is due. Returns the number of updates."""
        if not self.playing:
            return 0
        start, done = time.perf_counter(), 0

        def work():
            nonlocal done
            while self.playing and self._frame_open() and (
                    done == 0 or time.perf_counter() - start < self.slice_seconds):
                self._one_step()
                done += 1
                if self.max_steps is not None and self.steps >= self.max_steps:
                    self._set_playing(False)
            if not self.playing or self._redraw_due():
                self.redraw()

        with self.lock:  # a control handled on another thread waits for this slice
            self._guarded(work)
        return done

    def redraw(self):
        """Call `draw()` now and remember when and how long it took; a new frame begins."""
        start = time.perf_counter()
        self._draw()
        self._last_draw, self._draw_seconds = start, time.perf_counter() - start
        self._frame_steps = 0
        self.draws += 1

    def seconds_to_next_frame(self):
        """How long the task may sleep before the next slice: 0 while a frame still has
        updates to do, else until the next redraw is due."""
        if self._frame_open():
            return 0.0
        return max(0.0, self._last_draw + self._frame_seconds() - time.perf_counter())

    async def _run(self):
        while self.playing:
            self.tick()
            # let the kernel handle messages (Pause, sliders) now; sleep if the frame is done
            await asyncio.sleep(self.seconds_to_next_frame())

    def _frame_open(self):
        return self.steps_per_frame is None or self._frame_steps < self.steps_per_frame

    def _frame_seconds(self):
        # a slow draw (a busy machine) stretches the frame: at most 80% of the time drawing
        return max(self.redraw_seconds, 1.25 * self._draw_seconds)

    def _redraw_due(self):
        frame_done = self.steps_per_frame is None or not self._frame_open()
        return frame_done and time.perf_counter() - self._last_draw >= self._frame_seconds()

    def _one_step(self):
        self._step()
        self.steps += 1
        self._frame_steps += 1

    def _guarded(self, *functions):
        """Call `functions` in turn; an exception pauses the loop and goes to `on_error`
        (or up, without one)."""
        try:
            for function in functions:
                function()
        except Exception as error:  # a bad setting pauses the loop and says so
            self.error = error
            self._set_playing(False)
            if self.on_error is None:
                raise
            self.on_error(error)

    def _set_playing(self, playing):
        changed, self.playing = self.playing != playing, playing
        if changed and self.on_change is not None:
            self.on_change()


def _running_loop():
    """The event loop running in this thread (the kernel's), or None outside one."""
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        try:  # a cell in an older ipykernel runs outside the loop it is driven by
            loop = asyncio.get_event_loop_policy().get_event_loop()
        except RuntimeError:
            return None
        return loop if loop.is_running() else None
