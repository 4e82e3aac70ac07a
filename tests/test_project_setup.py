"""The set-up a newcomer gets: conda/Binder and pip install the same packages; Binder builds
with an exact Python and installs lecture_utils; the README lists every notebook."""

import re
import subprocess
import sys
import tomllib
from pathlib import Path

from packaging.specifiers import SpecifierSet

ROOT = Path(__file__).parent.parent
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
BINDER = ROOT / ".binder"


def _name(requirement):
    return re.split(r"[<>=!~\[ ]", requirement, maxsplit=1)[0].lower()


def _listed(environment_text):
    """Package names in a conda environment file's `- name...` lines (pip entries included)."""
    return {_name(line.strip()[2:]) for line in environment_text.splitlines()
            if line.strip().startswith("- ")}


def test_environment_yml_installs_every_dependency_of_pyproject():
    wanted = {_name(r) for r in PROJECT["dependencies"] + PROJECT["optional-dependencies"]["test"]}
    environment = (ROOT / "environment.yml").read_text()
    missing = wanted - _listed(environment)
    assert not missing, f"environment.yml lacks {sorted(missing)} (pyproject.toml has them)"
    assert "- -e ." in environment, "environment.yml must install the project itself"


def test_binder_environment_pins_python_and_installs_every_runtime_dependency():
    environment = (BINDER / "environment.yml").read_text()
    pinned = re.search(r"^  - python=(3\.\d+)$", environment, re.MULTILINE)
    assert pinned, "repo2docker reads only an exact `python=3.X`, not a bound like python>=3.11"
    assert pinned.group(1) in SpecifierSet(PROJECT["requires-python"]), \
        f"Binder's python {pinned.group(1)} does not satisfy {PROJECT['requires-python']}"
    missing = {_name(r) for r in PROJECT["dependencies"]} - _listed(environment)
    assert not missing, f".binder/environment.yml lacks {sorted(missing)} (pyproject.toml has them)"


def test_repo2docker_uses_the_pinned_python_and_installs_lecture_utils_after_copying_the_repo():
    python = re.search(r"python=(3\.\d+)", (BINDER / "environment.yml").read_text()).group(1)
    repo2docker = Path(sys.executable).parent / "repo2docker"  # from the test extras
    run = subprocess.run([repo2docker, "--no-build", "--debug", ROOT],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-2000:]
    log = run.stdout + run.stderr
    assert "Python version unspecified" not in log
    assert f"Building conda environment for python={python}" in log
    lines = log.splitlines()
    # The base environment comes from a conda lock file named after its Python; repo2docker
    # escapes the file name in its Dockerfile ("-" as "-2d", "." as "-2e").
    lock = f"environment.py-{python}-linux-64.lock".replace("-", "-2d").replace(".", "-2e")
    assert any(line.startswith("COPY") and lock in line for line in lines), \
        f"the Dockerfile does not install the conda lock file of python {python}"
    copy_repo, post_build = "COPY --chown=0:0 src/ ${REPO_DIR}/", "RUN ./.binder/postBuild"
    assert copy_repo in lines and post_build in lines, "the image never runs .binder/postBuild"
    assert lines.index(copy_repo) < lines.index(post_build), \
        "postBuild must run after the repository is copied into the image"
    assert "pip install --no-cache-dir --no-deps -e ." in (BINDER / "postBuild").read_text()


def test_readme_lists_every_notebook_and_the_two_commands():
    readme = (ROOT / "README.md").read_text()
    for notebook in sorted((ROOT / "notebooks").glob("*.ipynb")):
        assert f"`{notebook.stem}`" in readme, f"README's table lacks {notebook.stem}"
    assert "make lab" in readme and "make test" in readme


def test_plain_pytest_collects_the_browser_tests_beside_the_others():
    """`pytest tests` imports each conftest.py under one name: a folder below tests/ with its
    own conftest is a package, else its conftest shadows tests/conftest.py (sweep_panel)."""
    nested = [path.parent for path in (ROOT / "tests").rglob("conftest.py")
              if path.parent != ROOT / "tests"]
    assert nested and all((folder / "__init__.py").exists() for folder in nested), nested
