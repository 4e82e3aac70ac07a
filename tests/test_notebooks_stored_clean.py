"""Notebooks live in git without outputs, with a kernel, and in teaching order."""

import json
from pathlib import Path

import pytest

from lecture_utils.notebook_tools import stored_outputs, strip_outputs

NOTEBOOKS = sorted((Path(__file__).parent.parent / "notebooks").glob("*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_stored_without_outputs(path):
    dirty = stored_outputs(path)
    assert not dirty, f"{path.name}: code cells {dirty} have outputs; run `make strip`"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_names_a_python_kernel_and_starts_with_what_you_will_learn(path):
    notebook = json.loads(path.read_text(encoding="utf-8"))
    assert notebook["metadata"]["kernelspec"]["language"] == "python"
    first = "".join(notebook["cells"][0]["source"])
    assert "What you will learn" in first, f"{path.name} should open with 'What you will learn'"


def test_strip_outputs_removes_outputs_and_counts(tmp_path):
    path = tmp_path / "n.ipynb"
    cell = {"cell_type": "code", "source": "1", "metadata": {}, "execution_count": 3,
            "outputs": [{"output_type": "stream", "name": "stdout", "text": "1"}]}
    path.write_text(json.dumps({"cells": [cell], "metadata": {}, "nbformat": 4,
                                "nbformat_minor": 5}))
    assert stored_outputs(path) == [0]
    assert strip_outputs(path) == 1
    assert stored_outputs(path) == []
