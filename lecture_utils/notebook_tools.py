"""Keep notebooks in git without outputs: `python -m lecture_utils.notebook_tools strip FILE...`."""

import json
import sys
from pathlib import Path


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
