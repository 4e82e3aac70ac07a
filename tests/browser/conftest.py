"""Fixtures of the browser test: one fresh JupyterLab server and one chromium per session.

Without chromium (or Playwright) the browser test is skipped with a message that says how
to install it; under CI (environment variable CI=true) it fails instead, so CI never
passes without having driven a browser.
"""

import os
from pathlib import Path

import pytest

from .labpage import INSTALL_HINT, chromium, find_chromium, jupyterlab

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "build" / "browser-screenshots"
SCREENSHOTS_USED = pytest.StashKey[bool]()  # print the folder only if this run wrote to it


def running_in_ci():
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def missing_browser():
    """Why the browser test cannot run here, or None if it can."""
    try:
        import playwright  # noqa: F401
    except ImportError:
        return "Python Playwright is missing: `make test` installs it (`pip install -e '.[test]'`)"
    if find_chromium() is None:
        return INSTALL_HINT
    return None


@pytest.fixture(scope="session")
def browser():
    problem = missing_browser()
    if problem and running_in_ci():
        pytest.fail(f"CI=true and {problem}", pytrace=False)
    if problem:
        pytest.skip(problem)
    with chromium() as browser:
        yield browser


@pytest.fixture(scope="session")
def lab(browser):
    """A fresh JupyterLab on the repository; the notebooks must come out unchanged."""
    notebooks = {path: path.read_bytes() for path in ROOT.glob("notebooks/*.ipynb")}
    with jupyterlab(ROOT) as lab:
        yield lab
    changed = [path.name for path, text in notebooks.items() if path.read_bytes() != text]
    assert not changed, f"JupyterLab saved {changed}: `git checkout` them (autosave must be off)"


@pytest.fixture(scope="session")
def screenshots(request):
    """The folder for screenshots, printed at the end of the run."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    request.config.stash[SCREENSHOTS_USED] = True
    return SCREENSHOTS


def pytest_terminal_summary(terminalreporter, config):
    if config.stash.get(SCREENSHOTS_USED, False):
        terminalreporter.write_line(f"browser test screenshots: {SCREENSHOTS}")
