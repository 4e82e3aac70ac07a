"""`make bench`: notebook run times, panel update times and the numpy engine against references,
browser latency (bench_browser) and panel heights on a projector (projector_heights).

Targets (DESIGN.md): each notebook under 20 s; a slider's panel update (compute + redraw
+ PNG) at most 40 ms median at default settings and 250 ms p95 over each slider's whole
range, or a busy cue shown while it works.
"""

import importlib
import pkgutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import bench_browser  # noqa: E402
import projector_heights  # noqa: E402

import lecture_utils  # noqa: E402

NOTEBOOK_TARGET_S, MEDIAN_TARGET_MS, P95_TARGET_MS = 20.0, 40.0, 250.0
ALL_TARGET_S = 120.0  # every notebook and the unit tests together
BUTTON_TARGET_MS = 3000.0  # work behind a button (training with a live curve) finishes in 3 s


def time_notebooks():
    """Run every notebook top to bottom in a fresh kernel; print each time, return the sum."""
    import nbformat
    from nbclient import NotebookClient

    print(f"\n== Notebooks: execution time (target < {NOTEBOOK_TARGET_S:.0f} s each) ==")
    total = 0.0
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        notebook = nbformat.read(path, as_version=4)
        client = NotebookClient(notebook, timeout=600, kernel_name="python3",
                                resources={"metadata": {"path": str(path.parent)}},
                                extra_arguments=["--IPKernelApp.log_level=ERROR"])  # no chatter
        start = time.perf_counter()
        client.execute()
        seconds = time.perf_counter() - start
        flag = "ok" if seconds < NOTEBOOK_TARGET_S else "SLOW"
        print(f"{path.name:45s} {seconds:6.1f} s   {flag}")
        total += seconds
    return total


def time_unit_tests():
    """Wall time of the unit-test suite (pytest tests), which must pass."""
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests",
                    "--ignore=tests/browser"],
                   cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def panel_builders():
    """Every `PANELS` dict (name -> zero-argument builder) in the modules of lecture_utils."""
    for info in pkgutil.iter_modules(lecture_utils.__path__):
        module = importlib.import_module(f"lecture_utils.{info.name}")
        for name, build in getattr(module, "PANELS", {}).items():
            yield f"{info.name}.{name}", build


def percentile(values, q):
    """The q-th percentile (0..100) of `values`, nearest rank."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def range_values(control, n=8):
    """`n` values spread over a control's whole range (every option of a dropdown)."""
    import numpy as np

    if isinstance(control.value, bool):  # a checkbox
        return [False, True]
    if isinstance(control.value, str) and not hasattr(control, "options"):  # a text box
        return [control.value]
    if hasattr(control, "options"):  # dropdowns and selection sliders
        return [o[1] if isinstance(o, tuple) else o for o in control.options]
    if control.__class__.__name__ == "FloatLogSlider":
        return list(control.base ** np.linspace(control.min, control.max, n))
    values = np.linspace(control.min, control.max, n)
    return sorted({int(round(v)) for v in values}) if isinstance(control.value, int) \
        else [float(v) for v in values]


def neighbours(control):
    """The values one step either side of a control's current value (a small slider move)."""
    if isinstance(control.value, bool):  # a checkbox: the other state
        return [not control.value]
    if isinstance(control.value, str) and not hasattr(control, "options"):  # a text box
        return []
    if hasattr(control, "options"):
        values = range_values(control)
        k = values.index(control.value)
        return [values[j] for j in (k + 1, k - 1) if 0 <= j < len(values)]
    if control.__class__.__name__ == "FloatLogSlider":
        steps = [control.base ** (control.step * s) for s in (1, -1)]
        return [control.value * f for f in steps
                if control.base ** control.min <= control.value * f <= control.base ** control.max]
    return [v for v in (control.value + control.step, control.value - control.step)
            if control.min <= v <= control.max]


def timed_update(panel, values):
    """Milliseconds of one update that sets the controls to `values` (compute + redraw + PNG).

    A result cache is cleared first: this times the work, not a cache hit. Returns
    (milliseconds, whether a busy cue was shown before the work, CPU milliseconds). On a
    machine shared with other work the CPU time is what the update itself costs.
    """
    cache = getattr(panel, "cache", None)
    if cache is not None:
        cache.clear()
    start, cpu = time.perf_counter(), time.process_time()
    panel.set(**values)
    milliseconds = (time.perf_counter() - start) * 1000
    return milliseconds, bool(getattr(panel, "busy_shown", False)), \
        (time.process_time() - cpu) * 1000


def time_slider_panel(name, panel, moves=3):
    """Print a slider panel's update times: small moves at default, then each control's range.

    At default: each control moves one step either side of its default and back, `moves`
    times. Over the range: each control takes values spread over its range (others at
    default). An update slower than P95_TARGET_MS passes only if a busy cue was shown.
    """
    defaults = panel.settings
    panel.refresh()  # warm-up: first draw
    near, near_cpu, spread, uncued = [], [], [], []
    per_control = {}
    for control_name, control in panel.controls.items():
        if control.disabled:
            continue
        for _ in range(moves):
            for value in neighbours(control):
                for v in (value, defaults[control_name]):
                    milliseconds, _, cpu = timed_update(panel, {control_name: v})
                    near.append(milliseconds)
                    near_cpu.append(cpu)
        times = []
        for value in range_values(control):
            milliseconds, cued, _ = timed_update(panel, {control_name: value})
            times.append(milliseconds)
            if milliseconds > P95_TARGET_MS and not cued:
                uncued.append((control_name, value, milliseconds))
        panel.set(**defaults)
        per_control[control_name] = times
        spread += times
    sliders = {n: range_values(c) for n, c in panel.controls.items()
               if not c.disabled and not isinstance(c.value, str)}
    for end in (0, -1):  # every slider at its minimum together, then at its maximum
        corner = {n: values[end] for n, values in sliders.items()}
        milliseconds, cued, _ = timed_update(panel, corner)
        per_control.setdefault("all sliders at min, at max", []).append(milliseconds)
        spread.append(milliseconds)
        if milliseconds > P95_TARGET_MS and not cued:
            uncued.append((", ".join(sliders), corner, milliseconds))
    panel.set(**defaults)
    median, p95, p95_range = statistics.median(near), percentile(near, 95), percentile(spread, 95)
    fast = median <= MEDIAN_TARGET_MS and p95_range <= P95_TARGET_MS
    cued = not uncued
    verdict = "ok" if fast else ("ok (busy cue)" if cued and median <= MEDIAN_TARGET_MS
                                  else "SLOW")
    print(f"{name:40s} {median:7.1f}ms {p95:7.1f}ms {p95_range:9.1f}ms {max(spread):8.0f}ms"
          f"   {verdict:13s} {statistics.median(near_cpu):5.1f}ms")
    for control_name, times in per_control.items():
        print(f"    {control_name:36s} {'':9s} {'':9s} {percentile(times, 95):9.1f}ms "
              f"{max(times):8.0f}ms")
    if uncued:
        control_name, value, milliseconds = max(uncued, key=lambda u: u[2])
        print(f"    {len(uncued)} updates over {P95_TARGET_MS:.0f} ms without a busy cue, the "
              f"slowest {milliseconds:.0f} ms at {control_name} = {value}")


def time_panels():
    """Kernel side of a slider move: median and p95 near default, p95 over every range."""
    from lecture_utils.style import set_style

    set_style("default")  # what a notebook shows (its first cell sets the style)
    print(f"(lecture_utils from {Path(lecture_utils.__file__).parent})")
    print(f"\n== Panels, kernel side: one update = compute + redraw + PNG (sliders: median <= "
          f"{MEDIAN_TARGET_MS:.0f} ms at default, p95 <= {P95_TARGET_MS:.0f} ms over each "
          f"range or a busy cue; buttons: < {BUTTON_TARGET_MS / 1000:.0f} s) ==")
    print(f"{'panel / control':40s} {'median':>9s} {'p95':>9s} {'p95 range':>11s} "
          f"{'max':>8s} {'':15s} {'CPU median':>10s}\n{'':40s} {'(at default)':>19s} "
          f"{'(all ranges)':>21s}")
    for name, build in panel_builders():
        panel = build()
        if panel.button is None or getattr(panel, "quick", None) is not None:
            time_slider_panel(name, panel)  # a button only for slow settings: sliders too
            continue
        times = []
        for _ in range(3):
            start = time.perf_counter()
            panel.refresh()
            times.append((time.perf_counter() - start) * 1000)
        fast = max(times) < BUTTON_TARGET_MS
        print(f"{name + ' (button)':40s} {statistics.median(times):7.1f}ms {'':9s} {'':11s} "
              f"{max(times):6.0f}ms   {'ok' if fast else 'SLOW'}")


def main(only_panels="--panels" in sys.argv):
    time_panels()
    if only_panels:  # `python benchmarks/run_all.py --panels`: the kernel-side part only
        return
    try:
        import bench_engine
    except ImportError as error:
        print(f"\n(engine benchmark not available: {error})")
    else:
        bench_engine.main()
    bench_browser.main()
    projector_heights.main()
    notebooks = time_notebooks()
    tests = time_unit_tests()
    total = notebooks + tests
    print(f"{'unit tests':45s} {tests:6.1f} s\n{'all notebooks + unit tests':45s} {total:6.1f} s   "
          f"{'ok' if total < ALL_TARGET_S else 'SLOW'} (target < {ALL_TARGET_S:.0f} s)")


if __name__ == "__main__":
    main()
