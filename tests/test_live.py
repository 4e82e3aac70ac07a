"""LiveLoop: training in the background on the event loop, with Play / Pause / Step / Reset."""

import asyncio
import time

import pytest

from lecture_utils.live import LiveLoop


class Counter:
    """A step and a draw that count their calls (a step takes `seconds`)."""

    def __init__(self, seconds=0.0):
        self.steps, self.draws, self.resets, self.seconds = 0, 0, 0, seconds

    def step(self):
        self.steps += 1
        if self.seconds:
            time.sleep(self.seconds)

    def draw(self):
        self.draws += 1

    def reset(self):
        self.resets += 1

    def loop(self, **kwargs):
        return LiveLoop(self.step, self.draw, on_reset=self.reset, **kwargs)


def test_step_does_exactly_one_update_and_one_redraw():
    c = Counter()
    loop = c.loop()
    loop.step()
    loop.step()
    assert (c.steps, c.draws, loop.steps, loop.playing) == (2, 2, 2, False)


def test_tick_does_nothing_while_paused():
    c = Counter()
    loop = c.loop()
    assert loop.tick() == 0 and c.steps == 0 and c.draws == 0


def test_play_outside_an_event_loop_only_marks_it_playing_and_tick_runs_one_slice():
    c = Counter(seconds=0.002)
    loop = c.loop(slice_seconds=0.02)
    loop.play()
    assert loop.playing and loop.task is None and c.steps == 0
    done = loop.tick()
    assert 3 <= done <= 11 and c.steps == done  # about 0.02 s / 0.002 s
    assert c.draws == 1  # the first slice draws (nothing drawn before)


def test_reset_pauses_calls_on_reset_and_redraws():
    c = Counter()
    changes = []
    loop = c.loop(on_change=lambda: changes.append(loop.playing))
    loop.play()
    loop.tick()
    loop.reset()
    assert (loop.playing, loop.steps, c.resets) == (False, 0, 1)
    assert changes == [True, False]
    assert c.draws == 3  # the tick, the pause and the reset


def test_max_steps_stops_the_loop_by_itself():
    c = Counter()
    loop = c.loop(max_steps=5, slice_seconds=1.0)
    loop.play()
    loop.tick()
    assert c.steps == 5 and not loop.playing


def test_an_error_in_the_background_pauses_and_is_reported():
    seen = []

    def bad_step():
        raise ValueError("lr too large")

    loop = LiveLoop(bad_step, lambda: None, on_error=seen.append)
    loop.play()
    loop.tick()
    assert not loop.playing and [str(e) for e in seen] == ["lr too large"]
    loop = LiveLoop(bad_step, lambda: None)  # without on_error the exception goes up
    loop.play()
    with pytest.raises(ValueError):
        loop.tick()
    assert not loop.playing


def run_in_event_loop(coroutine):
    return asyncio.run(coroutine)


def test_play_runs_in_the_background_and_lets_other_work_run_between_slices():
    c = Counter(seconds=0.001)
    loop = c.loop(redraw_seconds=0.1, slice_seconds=0.02)
    handled = []

    async def scenario():
        loop.play()
        for _ in range(10):  # other messages (a slider) are handled while it trains
            await asyncio.sleep(0.03)
            handled.append(c.steps)
        loop.pause()
        await asyncio.sleep(0.05)
        return c.steps

    start = time.perf_counter()
    after_pause = run_in_event_loop(scenario())
    seconds = time.perf_counter() - start
    assert len(handled) == 10 and handled == sorted(handled) and handled[-1] > handled[0] > 0
    assert c.steps == after_pause  # nothing after the pause
    assert loop.task.done()
    # redrawn about every 0.1 s (and once at the pause), not after every 0.02 s slice
    assert 2 <= c.draws <= seconds / 0.1 + 2, (c.draws, seconds)


def test_pause_is_handled_within_one_time_slice():
    c = Counter(seconds=0.005)
    loop = c.loop(slice_seconds=0.05)
    steps_before_handled = []

    async def scenario():
        loop.play()
        for _ in range(5):
            await asyncio.sleep(0.07)
            sent = c.steps  # a message arrives now ...
            await asyncio.sleep(0)  # ... and is handled at the next yield
            steps_before_handled.append(c.steps - sent)
        loop.pause()

    run_in_event_loop(scenario())
    # Counted in steps, not seconds (a busy machine stretches every sleep): at most one
    # slice of 0.05 s / 0.005 s = 10 steps, plus the one that crosses the slice's end.
    assert max(steps_before_handled) <= 11, steps_before_handled
    assert c.steps > 0


def test_play_twice_starts_one_task():
    c = Counter()
    loop = c.loop()

    async def scenario():
        loop.play()
        first = loop.task
        loop.play()
        await asyncio.sleep(0.01)
        loop.toggle()
        return first

    first = run_in_event_loop(scenario())
    assert loop.task is first and not loop.playing


def test_a_control_handled_on_another_thread_waits_for_the_slice_under_way():
    """ipykernel 7 may run a widget callback on a subshell thread while the loop's slice runs
    on the main one; the callback takes `loop.lock` and so never lands mid-update."""
    import threading
    events = []

    def slow_step():
        events.append("step begins")
        time.sleep(0.05)
        events.append("step ends")

    loop = LiveLoop(slow_step, lambda: events.append("draw"), steps_per_frame=1)
    loop.play()  # outside a kernel: only sets playing; tick() does the slice
    slice_ = threading.Thread(target=loop.tick)
    slice_.start()
    while not events:
        time.sleep(0.001)
    with loop.lock:  # what a panel's callback does
        events.append("control")
    slice_.join()
    assert events.index("control") > events.index("step ends")
