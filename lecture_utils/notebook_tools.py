"""Notebook housekeeping: strip outputs for git, and the hidden-solution cell format.

`python -m lecture_utils.notebook_tools strip FILE...` removes outputs before a commit.

A solution is a markdown cell tagged "solution" holding one collapsed block,

    <details><summary>Show a solution</summary>

    ```python
    def relu(z): ...
    ```

    </details>

so Run All never executes it (it cannot print "Correct" or replace the student's function),
static copies keep it folded, and it is one click away.
"""

import json
import re
import sys
from pathlib import Path

SOLUTION_SUMMARY = "Show a solution"
_CODE_BLOCK = re.compile(r"```python\n(.*?)```", re.DOTALL)


def solution_markdown(code):
    """The source of a solution cell: `code` inside a folded <details> block."""
    return (f"<details><summary>{SOLUTION_SUMMARY}</summary>\n\n"
            f"```python\n{code.strip()}\n```\n\n</details>")


def solution_code(source):
    """The Python code of a solution cell's source (the inverse of `solution_markdown`)."""
    blocks = _CODE_BLOCK.findall(source)
    if not source.lstrip().startswith("<details>") or len(blocks) != 1:
        raise ValueError("a solution cell must be one <details> block holding one "
                         "```python code block")
    return blocks[0]


def is_solution(cell):
    """Whether a notebook cell (a dict) is tagged "solution"."""
    return "solution" in cell.get("metadata", {}).get("tags", [])


def stored_outputs(path):
    """Indices of the code cells of notebook `path` that carry outputs or an execution count."""
    cells = json.loads(Path(path).read_text(encoding="utf-8"))["cells"]
    return [i for i, cell in enumerate(cells) if cell["cell_type"] == "code"
            and (cell.get("outputs") or cell.get("execution_count") is not None)]


def strip_outputs(path):
    """Remove outputs and execution counts from notebook `path` in place; return cells changed."""
    path = Path(path)
    notebook = json.loads(path.read_text(encoding="utf-8"))
    changed = 0
    for cell in notebook["cells"]:
        if cell["cell_type"] == "code" and (cell.get("outputs") or cell.get("execution_count")):
            cell["outputs"], cell["execution_count"] = [], None
            changed += 1
    path.write_text(json.dumps(notebook, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return changed


if __name__ == "__main__":
    if len(sys.argv) < 3 or sys.argv[1] != "strip":
        sys.exit("usage: python -m lecture_utils.notebook_tools strip NOTEBOOK.ipynb ...")
    for name in sys.argv[2:]:
        print(f"{name}: stripped {strip_outputs(name)} cells")
