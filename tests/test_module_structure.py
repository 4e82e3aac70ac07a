"""The package's shape (DESIGN.md): notebook modules are leaves that never import each other."""

import ast
import importlib
import pkgutil
from pathlib import Path

import lecture_utils

PACKAGE = Path(lecture_utils.__file__).parent


def notebook_modules():
    """Names of the modules that back a notebook: the ones that define PANELS."""
    names = [info.name for info in pkgutil.iter_modules([str(PACKAGE)])]
    return [n for n in names if hasattr(importlib.import_module(f"lecture_utils.{n}"), "PANELS")]


def imported_modules(name):
    """The lecture_utils modules that module `name` imports (relative or absolute)."""
    tree = ast.parse((PACKAGE / f"{name}.py").read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level == 1:
                found.add(module.split(".")[0] if module else "")
                found.update(alias.name for alias in node.names if not module)
            elif module.startswith("lecture_utils"):
                found.add(module.split(".")[1] if "." in module else "")
                found.update(alias.name for alias in node.names if module == "lecture_utils")
        elif isinstance(node, ast.Import):
            found.update(a.name.split(".")[1] for a in node.names
                         if a.name.startswith("lecture_utils."))
    return found - {""}


def test_there_are_notebook_modules():
    assert {"function_approximation", "feedforward"} <= set(notebook_modules())


def test_notebook_modules_never_import_each_other():
    leaves = set(notebook_modules())
    for name in leaves:
        assert not imported_modules(name) & leaves, (
            f"{name} imports {sorted(imported_modules(name) & leaves)}: move what they share "
            "into a shared module such as running_example")
