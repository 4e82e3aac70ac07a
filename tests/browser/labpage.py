"""A real JupyterLab in a real browser: the set-up shared by the browser test and `make bench`.

    with jupyterlab(root) as lab, chromium() as browser:
        notebook = Notebook.open(browser, lab, "notebooks/01_function_approximation.ipynb")
        notebook.run_all()                 # waits until every cell ran and the kernel is idle
        notebook.problems()                # ([], 0): no error output, nothing logged
        for panel in notebook.panels(): ...

JupyterLab runs from the project's own .venv on a free loopback port, with a token and a
temporary settings folder (every cell kept in the page, no news pop-up). The browser is
Debian's `chromium` driven by Python Playwright; Playwright's own browser download is never
used. See TESTING-NOTES.md for why each setting is there.
"""

import contextlib
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

try:
    from playwright.sync_api import TimeoutError as PageTimeout
except ImportError:  # the browser test then skips, saying how to install it
    PageTimeout = TimeoutError

INSTALL_HINT = ("the browser test needs Debian's chromium: "
                "`sudo apt-get update && sudo apt-get install -y chromium` (`.ci/run` does this)")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
LAB_SETTINGS = {  # JupyterLab user settings: every cell stays in the page; no news pop-up;
    # never save (autosave would write the outputs into the stripped notebooks)
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false"},
    "@jupyterlab/docmanager-extension/plugin.jupyterlab-settings": {"autosave": False},
}
SECOND = 1000  # Playwright counts in milliseconds
KERNEL_TIMEOUT = 180 * SECOND  # run-all of one notebook on a busy 2-core machine

# the notebook's state, as JavaScript in the page (JupyterLab 4 exposes itself as jupyterapp)
NOTEBOOK_JS = "window.jupyterapp.shell.currentWidget"  # the notebook panel open in the page
CELLS_JS = f"Array.from({NOTEBOOK_JS}.content.model.cells)"
IDLE_JS = (f"() => {NOTEBOOK_JS}?.sessionContext?.session?.kernel?.status === 'idle'"
           f" && {CELLS_JS}.every(c => c.type !== 'code' || c.executionState !== 'running')")
# what the page shows, as CSS selectors (JupyterLab 4, ipywidgets 8)
ERROR_OUTPUT = "[data-mime-type='application/vnd.jupyter.stderr']"  # tracebacks and stderr
LOG_COUNTER = ".jp-LogConsoleStatusItem"
FIGURE = "img"  # an ipywidgets Image or an inline matplotlib figure
SLIDER, DROPDOWN, BUTTON = ".widget-slider", ".widget-dropdown", "button.widget-button"
LIVE_PANEL = ".lu-live"  # a panel that trains in the background (lecture_utils.live)
UPDATE_COUNT = ".lu-update-count"  # the live panel's count of updates
CONTROLS = f"{SLIDER}, {DROPDOWN}, {BUTTON}"
UPDATE_TIMEOUT = 60 * SECOND  # one slider step, or one button's work, on a busy machine


def find_chromium():
    """Path of the chromium binary, or None if it is not installed."""
    return shutil.which("chromium") or shutil.which("chromium-browser")


def free_port():
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Lab:
    """A running JupyterLab server: `url(path)` gives an address in it, token included."""

    def __init__(self, port, token):
        self.port, self.token = port, token

    def url(self, path, query=""):
        return f"http://127.0.0.1:{self.port}/{path}?token={self.token}{query}"


@contextlib.contextmanager
def jupyterlab(root, timeout=120):
    """Start `jupyter lab` on `root` (a folder) in the background; stop it on exit.

    A fresh server per use: kernels survive page reloads, so a reused server would hand
    the next test the last one's kernel. It listens on a free port, or on the environment
    variable LAB_PORT if set. Its log goes to a temporary file, shown on failure.
    """
    jupyter = Path(sys.executable).with_name("jupyter")
    # LAB_PORT: a port of one's own on a machine shared with other sessions
    port, token = int(os.environ.get("LAB_PORT") or free_port()), secrets.token_hex(16)
    with tempfile.TemporaryDirectory(prefix="lab-settings-") as settings:
        for name, values in LAB_SETTINGS.items():
            path = Path(settings, name)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(values))
        log = Path(settings, "server.log").open("w")
        server = subprocess.Popen(
            [str(jupyter), "lab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
             f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
             "--allow-root", "--LabApp.expose_app_in_browser=True",
             f"--LabApp.user_settings_dir={settings}", "--ServerApp.open_browser=False"],
            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            env={**os.environ, "JUPYTER_PLATFORM_DIRS": "1"})
        lab = Lab(port, token)
        try:
            _wait_until_answers(lab, server, timeout, Path(settings, "server.log"))
            yield lab
        finally:
            server.terminate()
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
            log.close()


def _wait_until_answers(lab, server, timeout, log_path):
    """Poll the server's status address until it answers; fail with its log if it exits."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"jupyter lab exited with code {server.returncode}:\n"
                               f"{log_path.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(lab.url("api/status"), timeout=5):
                return
        except OSError:
            time.sleep(0.5)
    raise TimeoutError(f"jupyter lab did not answer within {timeout} s:\n"
                       f"{log_path.read_text()[-3000:]}")


@contextlib.contextmanager
def chromium(executable=None):
    """A headless Debian chromium driven by Playwright (never Playwright's own download)."""
    from playwright.sync_api import sync_playwright

    executable = executable or find_chromium()
    if executable is None:
        raise FileNotFoundError(INSTALL_HINT)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, headless=True,
                                             args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


class Notebook:
    """One notebook open in its own browser page."""

    def __init__(self, page, path):
        self.page, self.path, self.run_sent = page, path, False

    @classmethod
    def open(cls, browser, lab, path, viewport=(1400, 1000)):
        """Start opening `path` (relative to the server's root) in a new page of `viewport`
        (width, height) CSS pixels.

        Returns at once: JupyterLab loads and the kernel starts in the background, so that
        several notebooks can load side by side; `run_all` waits for them."""
        page = browser.new_page(viewport={"width": viewport[0], "height": viewport[1]})
        page.set_default_timeout(60 * SECOND)
        page.goto(lab.url(f"lab/tree/{path}", "&reset"), wait_until="commit")
        return cls(page, path)

    def wait_until_idle(self, timeout=KERNEL_TIMEOUT):
        """Wait until the kernel is idle and no cell is queued or running."""
        self.page.wait_for_function(IDLE_JS, timeout=timeout, polling=100)

    def send_run_all(self):
        """Once the notebook is on the page and its kernel idle, ask it to run every cell;
        do not wait for them (`run_all` does)."""
        self.page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=KERNEL_TIMEOUT)
        accept = self.page.locator(".jp-Dialog button.jp-mod-accept")  # "select a kernel"
        with contextlib.suppress(PageTimeout):  # none asked
            accept.wait_for(timeout=3 * SECOND)
            accept.click()
        self.wait_until_idle()  # the kernel has started
        self.page.evaluate(
            "() => { window.jupyterapp.commands.execute('notebook:run-all-cells'); }")
        self.run_sent = True

    def run_all(self, timeout=KERNEL_TIMEOUT):
        """Run every cell (unless `send_run_all` did already); wait until each has run and
        the kernel is idle again.

        Right after opening, run-all now and then does nothing: then it is sent once more.
        """
        for attempt in range(2):
            if attempt or not self.run_sent:
                self.send_run_all()
            try:  # within 20 s some code cell is queued, running or done
                self.page.wait_for_function(
                    f"() => {CELLS_JS}.some(c => c.type === 'code' &&"
                    f" (c.executionCount || c.executionState === 'running'))",
                    timeout=20 * SECOND)
                break
            except PageTimeout:
                if attempt:
                    raise
        self.page.wait_for_function(
            f"() => {CELLS_JS}.every(c => c.type !== 'code' || c.executionCount)"
            f" && ({IDLE_JS})()", timeout=timeout, polling=200)

    def problems(self):
        """(error outputs, log count): the text of every error output in the notebook's
        cells (tracebacks and stderr), and how many messages JupyterLab's log console holds
        (where exceptions raised in widget callbacks go). ([], 0) when all is well."""
        return self.page.evaluate(f"""() => {{
            const errors = [...document.querySelectorAll(`.jp-Notebook :is({ERROR_OUTPUT})`)];
            const counter = document.querySelector('{LOG_COUNTER}');
            const logged = counter && counter.offsetParent !== null
                ? parseInt(counter.innerText.replace(/\\D/g, '')) || 0 : 0;
            return [errors.map(e => e.innerText), logged]; }}""")

    def log_messages(self):
        """The log console's text (opened on demand; only used to explain a failure)."""
        with contextlib.suppress(PageTimeout):
            self.page.locator(LOG_COUNTER).first.click()
            self.page.wait_for_selector(".jp-LogConsolePanel .jp-OutputArea-output",
                                        timeout=5 * SECOND)
            return "\n".join(self.page.locator(".jp-LogConsolePanel .jp-OutputArea-output")
                             .all_inner_texts())[-800:]  # the traceback's end
        return "(could not open the log console)"

    def watch_kernel(self):
        """Count the kernel's returns to idle in `window.kernelIdle` (see `after`)."""
        self.page.evaluate(f"""() => {{ window.kernelIdle = 0;
            {NOTEBOOK_JS}.sessionContext.session.kernel.statusChanged.connect(
                (_, status) => {{ if (status === 'idle') window.kernelIdle += 1; }}); }}""")

    def after(self, action, timeout=UPDATE_TIMEOUT):
        """Do `action()` (a press or a pick that sends a new value to the kernel) and wait
        until the kernel has handled it and is idle again. Needs `watch_kernel()` first.

        An action that returns False sent nothing (a key that did not move a slider):
        then nothing is awaited and False is returned."""
        idle_before = self.page.evaluate("() => window.kernelIdle")
        if action() is False:
            return False
        self.page.wait_for_function("n => window.kernelIdle > n", arg=idle_before,
                                    timeout=timeout, polling=50)
        return True

    def panels(self):
        """Every panel in the page: the innermost widget box around a figure that also holds
        controls (sliders, dropdowns or buttons), in page order. Live panels (class lu-live,
        training in the background) are left out: `live_panels` finds those."""
        count = self.page.evaluate(f"""() => {{
            let count = 0;
            for (const figure of document.querySelectorAll('.jp-Notebook {FIGURE}')) {{
                if (figure.closest('{LIVE_PANEL}')) continue;
                let box = figure.closest('.widget-box');
                while (box && !box.querySelector('{CONTROLS}'))
                    box = box.parentElement.closest('.widget-box');
                if (box && box.dataset.panel === undefined) box.dataset.panel = count++;
            }}
            return count; }}""")
        return [Panel(self.page.locator(f"[data-panel='{i}']"), i + 1) for i in range(count)]

    def loose_controls(self):
        """Controls outside every panel (e.g. a "Show the answer" button), as `Control`s.
        Call `panels()` first."""
        root = self.page.locator(".jp-Notebook")
        return [control for control in controls_in(root) if not control.locator.evaluate(
            f"e => !!e.closest('[data-panel], {LIVE_PANEL}')")]

    def live_panels(self):
        """Every live panel in the page (a widget box of class lu-live), as `LivePanel`s."""
        boxes = self.page.locator(f".jp-Notebook {LIVE_PANEL}")
        return [LivePanel(boxes.nth(i), i + 1) for i in range(boxes.count())]

    def screenshot(self, path):
        """Save the page as a student sees it (1400x1000 pixels) as a PNG at `path`."""
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(path))

    def close(self):
        self.page.close()


class Control:
    """A slider, dropdown or button in the page, with the label a student sees."""

    def __init__(self, kind, locator, name):
        self.kind, self.locator, self.name = kind, locator, name or "(no label)"

    def __str__(self):
        return f"{self.kind} '{self.name}'"

    OUTPUT_TEXT = "e => (e.closest('.jp-OutputArea') || e).innerText"

    def output_text(self):
        """The text of the cell output holding this control (what pressing it may change)."""
        return self.locator.evaluate(self.OUTPUT_TEXT)

    def wait_for_output_change(self, before, timeout):
        """Wait up to `timeout` ms for `output_text()` to differ from `before`; True if it did."""
        try:
            self.locator.page.wait_for_function(
                f"([e, before]) => ({self.OUTPUT_TEXT})(e) !== before",
                arg=[self.locator.element_handle(), before], timeout=timeout, polling=50)
            return True
        except PageTimeout:
            return False

    @property
    def disabled(self):
        return self.locator.evaluate(
            "e => e.matches('[disabled]') || !!e.querySelector('[disabled]')")

    # sliders
    @property
    def handle(self):
        return self.locator.locator(".noUi-handle")

    @property
    def value(self):
        """The slider's position as the page shows it (aria-valuenow of its handle)."""
        return self.handle.get_attribute("aria-valuenow")

    def press(self, key):
        """Focus the slider's handle and press `key` (e.g. "End", "Home", "ArrowRight");
        return whether the slider moved (at its maximum, End does not)."""
        before = self.value
        self.handle.press(key)  # focuses it first
        return self.value != before

    # dropdowns
    @property
    def options(self):
        return self.locator.locator("option").evaluate_all("os => os.map(o => o.value)")

    @property
    def selected(self):
        return self.locator.locator("select").input_value()

    def pick(self, option):
        self.locator.locator("select").select_option(option)


def controls_in(root):
    """Every slider, dropdown and button under the locator `root`, enabled or not."""
    found = []
    for kind, selector in (("slider", SLIDER), ("dropdown", DROPDOWN), ("button", BUTTON)):
        everything = root.locator(selector)
        labels = everything.evaluate_all(
            "es => es.map(e => (e.querySelector('.widget-label') || e).innerText.trim())")
        found += [Control(kind, everything.nth(i), label) for i, label in enumerate(labels)]
    return found


class Panel:
    """Controls and the figure they drive (`look()` tells when the figure changed)."""

    def __init__(self, root, number):
        self.root, self.number = root, number

    def __str__(self):
        return f"panel {self.number}"

    def controls(self, kind):
        return [c for c in controls_in(self.root) if c.kind == kind]

    def look(self):
        """(figure, text): an identity of the figure as shown (the address of every image:
        an ipywidgets Image gets a new blob URL whenever its PNG changes) and the panel's
        text outside the controls (its question and message line)."""
        return self.root.evaluate(f"""panel => [
            [...panel.querySelectorAll('{FIGURE}')].map(i => i.src).join(' '),
            [...panel.querySelectorAll('.widget-html-content')].map(h => h.innerText).join(' ')]""")

    def wait_for_figure_change(self, before, timeout):
        """Wait up to `timeout` ms for the figure of `look()` to differ from `before`;
        True if it did."""
        try:
            self.root.page.wait_for_function(
                f"([panel, before]) => [...document.querySelectorAll("
                f"`[data-panel='${{panel}}'] {FIGURE}`)].map(i => i.src).join(' ') !== before",
                arg=[self.number - 1, before], timeout=timeout, polling=50)
            return True
        except PageTimeout:
            return False

    def screenshot(self, path):
        """Save the panel alone (scrolled into view) as a PNG at `path`."""
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        self.root.screenshot(path=str(path))


class LivePanel(Panel):
    """A panel that trains in the background: Play / Pause, Step, Reset, and an update count."""

    def __str__(self):
        return f"live panel {self.number}"

    def button(self, label):
        """The button whose label is `label` (e.g. "Play", "Pause", "Step")."""
        return self.root.locator(BUTTON, has_text=label).first

    def updates(self):
        """The update count the panel shows (an int)."""
        return int(self.root.locator(UPDATE_COUNT).inner_text())

    def figure(self):
        """The address of the figure's image: it changes whenever the figure is redrawn."""
        return self.root.locator(FIGURE).first.get_attribute("src")

    def watch(self, seconds):
        """Watch the figure for `seconds` in the page; returns (redraws seen, first and last
        update count shown)."""
        return self.root.evaluate("""(panel, ms) => new Promise(done => {
            const img = panel.querySelector('img');  // the count's HTML is replaced: look again
            const count = () => +panel.querySelector('.lu-update-count').innerText;
            let last = img.src, changes = 0;
            const first = count();
            const timer = setInterval(() => {
                if (img.src !== last) { changes++; last = img.src; } }, 10);
            setTimeout(() => { clearInterval(timer); done([changes, first, count()]); }, ms);
        })""", seconds * 1000)

    def click_and_time(self, label, until_label):
        """Click button `label`; milliseconds until a button labelled `until_label` shows
        (the kernel's answer has reached the page)."""
        return self.root.evaluate("""(panel, [label, until]) => new Promise(done => {
            const find = text => [...panel.querySelectorAll('button.widget-button')]
                .find(b => b.innerText.trim() === text);
            const start = performance.now();
            find(label).click();
            const poll = () => find(until) ? done(performance.now() - start)
                                           : setTimeout(poll, 5);
            poll();
        })""", [label, until_label])
