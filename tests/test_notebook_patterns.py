"""Run All on a fresh copy shows no answer and no solution (DESIGN.md, "Notebooks in git").

Each stored notebook is executed as it is, as a lecturer does before class: every checker
must then say "not done yet", nothing may say "Correct", no solution may have run or
replaced the student's function, and answers are there only behind a button.
"""

import ast
import inspect
import json
from pathlib import Path

import nbformat
import numpy as np
import pytest
from nbclient import NotebookClient

from lecture_utils import checks
from lecture_utils.notebook_tools import SOLUTION_SUMMARY, is_solution, solution_code
from lecture_utils.reveal import HIDDEN_TEXT

NOTEBOOKS = sorted((Path(__file__).parent.parent / "notebooks").glob("*.ipynb"))


def cells_of(path):
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


def source(cell):
    return "".join(cell["source"])


def exercise_functions(cells):
    """Names of the functions the student must write (their body raises NotImplementedError)."""
    names = []
    for cell in cells:
        if cell["cell_type"] == "code" and "Student exercise" in source(cell):
            names += [node.name for node in ast.parse(source(cell)).body
                      if isinstance(node, ast.FunctionDef)]
    return names


def checker_cells(cells):
    """Indices of the code cells that call a checker."""
    return [i for i, cell in enumerate(cells)
            if cell["cell_type"] == "code" and "check_" in source(cell)
            and "import" not in source(cell)]


def output_texts(cell):
    """Everything a code cell showed as text (stdout, results, errors)."""
    texts = []
    for output in cell.get("outputs", []):
        if output["output_type"] == "stream":
            texts.append(output["text"])
        elif output["output_type"] == "error":
            texts.append(f"{output['ename']}: {output['evalue']}")
        else:
            texts.append(output.get("data", {}).get("text/plain", ""))
    return texts


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_solutions_are_folded_markdown_that_never_runs(path):
    cells = cells_of(path)
    solutions = [cell for cell in cells if is_solution(cell)]
    assert len(solutions) >= len(checker_cells(cells)) >= 1
    for cell in solutions:
        assert cell["cell_type"] == "markdown", "a solution in a code cell runs with Run All"
        assert SOLUTION_SUMMARY in source(cell)
        solution_code(source(cell))  # one <details> block with one python block


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_solution_passes_the_checker_before_it(path):
    cells = cells_of(path)
    setup = source(next(c for c in cells if c["cell_type"] == "code"))  # the imports cell
    for i, cell in enumerate(cells):
        if not is_solution(cell):
            continue
        checker = source(cells[max(j for j in checker_cells(cells) if j < i)])
        verdicts = []
        namespace = {"np": np, **vars(checks), "print": verdicts.append}
        exec(setup, namespace)
        exec(solution_code(source(cell)), namespace)
        tree = ast.parse(checker)
        exec(compile(ast.Module(tree.body[:-1], []), "checker", "exec"), namespace)
        last = eval(compile(ast.Expression(tree.body[-1].value), "checker", "eval"), namespace)
        verdicts += [] if last is None else [last]
        assert verdicts and all(v.passed is True for v in verdicts), (path.name, i, verdicts)


@pytest.fixture(scope="module")
def executed():
    """Each notebook executed as stored, plus the state of its exercise functions after."""
    runs = {}
    for path in NOTEBOOKS:
        notebook = nbformat.read(path, as_version=4)
        names = exercise_functions(notebook.cells)
        probe = ("import inspect as _i\n"
                 "_open = []\n"
                 f"for _name in {names!r}:\n"
                 "    _f = globals()[_name]\n"
                 "    try:\n"
                 "        _f(*[None] * len(_i.signature(_f).parameters))\n"
                 "    except NotImplementedError:\n"
                 "        _open.append(_name)\n"
                 "    except Exception:\n"
                 "        pass\n"
                 "print(sorted(_open))")
        notebook.cells.append(nbformat.v4.new_code_cell(probe))
        NotebookClient(notebook, timeout=300, kernel_name="python3",
                       resources={"metadata": {"path": str(path.parent)}},
                       extra_arguments=["--IPKernelApp.log_level=ERROR"]).execute()
        runs[path.stem] = (notebook.cells[:-1], names, output_texts(notebook.cells[-1]))
    return runs


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_run_all_leaves_every_exercise_open_and_says_not_done_yet(executed, path):
    cells, names, probe = executed[path.stem]
    assert names, "every notebook has exercises"
    assert probe == [f"{sorted(names)}\n"], "a solution replaced a student's function"
    for i in checker_cells(cells):
        text = " ".join(output_texts(cells[i]))
        assert text.lower().count("not done yet") >= source(cells[i]).count("check_"), (i, text)
    for cell in cells:
        assert not [o for o in cell.get("outputs", []) if o["output_type"] == "error"]
        for text in output_texts(cell):
            assert "Correct" not in text, text


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_run_all_shows_answers_only_behind_a_button(executed, path):
    cells = executed[path.stem][0]
    answer_cells = [c for c in cells if "with answer(" in source(c)]
    assert answer_cells, "every notebook answers its questions on demand"
    for cell in answer_cells:
        assert output_texts(cell) == [HIDDEN_TEXT], "an answer printed outside its button"
        # the code prints the answer: folded, so Run All does not show it on the projector
        assert cell["metadata"].get("jupyter", {}).get("source_hidden"), source(cell)[:60]


def test_probe_signature_trick_reaches_the_body():
    """The probe calls each exercise with None arguments: the body's raise comes first."""
    def exercise(a, b):
        raise NotImplementedError("Student exercise: ...")
    with pytest.raises(NotImplementedError):
        exercise(*[None] * len(inspect.signature(exercise).parameters))
