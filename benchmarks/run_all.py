"""`make bench`: notebook run times, panel update times and the numpy engine against references.

Targets (DESIGN.md): each notebook under 20 s; a panel update (compute + redraw)
under 100 ms median and 250 ms p95 at its default settings.
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

import lecture_utils  # noqa: E402

NOTEBOOK_TARGET_S, MEDIAN_TARGET_MS, P95_TARGET_MS = 20.0, 100.0, 250.0
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


def time_panels(repeats=30):
    """Median and p95 of one panel update (compute + redraw) at default settings."""
    print(f"\n== Panels: one update at default settings (sliders: median < {MEDIAN_TARGET_MS:.0f}"
          f" ms, p95 < {P95_TARGET_MS:.0f} ms; buttons: < {BUTTON_TARGET_MS / 1000:.0f} s) ==")
    print(f"{'panel':45s} {'kind':>7s} {'median':>9s} {'p95':>9s}")
    for name, build in panel_builders():
        panel = build()
        times = []
        for _ in range(repeats if panel.button is None else max(3, repeats // 5)):
            start = time.perf_counter()
            panel.refresh()
            times.append((time.perf_counter() - start) * 1000)
        median, p95 = statistics.median(times), percentile(times, 95)
        if panel.button is None:
            kind, fast = "slider", median < MEDIAN_TARGET_MS and p95 < P95_TARGET_MS
        else:
            kind, fast = "button", max(times) < BUTTON_TARGET_MS
        print(f"{name:45s} {kind:>7s} {median:7.1f}ms {p95:7.1f}ms   {'ok' if fast else 'SLOW'}")


def main():
    time_panels()
    try:
        import bench_engine
    except ImportError as error:
        print(f"\n(engine benchmark not available: {error})")
    else:
        bench_engine.main()
    bench_browser.main()
    notebooks = time_notebooks()
    tests = time_unit_tests()
    total = notebooks + tests
    print(f"{'unit tests':45s} {tests:6.1f} s\n{'all notebooks + unit tests':45s} {total:6.1f} s   "
          f"{'ok' if total < ALL_TARGET_S else 'SLOW'} (target < {ALL_TARGET_S:.0f} s)")


if __name__ == "__main__":
    main()
