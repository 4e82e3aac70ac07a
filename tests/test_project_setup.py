"""The set-up a newcomer gets: conda/Binder and pip install the same packages; the README
lists every notebook."""

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).parent.parent


def _name(requirement):
    return re.split(r"[<>=!~\[ ]", requirement, maxsplit=1)[0].lower()


def test_environment_yml_installs_every_dependency_of_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = {_name(r) for r in project["dependencies"] + project["optional-dependencies"]["test"]}
    environment = (ROOT / "environment.yml").read_text()
    listed = {_name(line.strip()[2:]) for line in environment.splitlines()
              if line.strip().startswith("- ")}
    missing = wanted - listed
    assert not missing, f"environment.yml lacks {sorted(missing)} (pyproject.toml has them)"
    assert "- -e ." in environment, "environment.yml must install the project itself"


def test_readme_lists_every_notebook_and_the_two_commands():
    readme = (ROOT / "README.md").read_text()
    for notebook in sorted((ROOT / "notebooks").glob("*.ipynb")):
        assert f"`{notebook.stem}`" in readme, f"README's table lacks {notebook.stem}"
    assert "make lab" in readme and "make test" in readme
