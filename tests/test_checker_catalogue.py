"""Every registered checker accepts its reference solution and cannot be fooled.

The catalogue of wrong answers is built from each checker's reference solution, so a new
notebook's checkers are held to it as soon as they are registered (`@checker(reference)`).
A checker must give every wrong answer a verdict that is not "correct", never raise, and
never fall back to "could not read" for anything in the catalogue.
"""

import functools
import importlib
import inspect
import pkgutil

import numpy as np
import pytest

from lecture_utils import checks
from lecture_utils.checks import REFERENCE_SOLUTIONS, Verdict
from lecture_utils.checks.verdict import UNREADABLE

CHECKERS = list(REFERENCE_SOLUTIONS)


def checker_id(checker):
    return checker.__name__


def not_done(*args):
    raise NotImplementedError("Student exercise: fill me in")


class Hostile:
    """A return value that raises whenever it is used: compared, converted, printed."""

    def _refuse(self, *args, **kwargs):
        raise RuntimeError("Hostile refuses")

    __eq__ = __ne__ = __lt__ = __bool__ = __float__ = __int__ = __index__ = _refuse
    __len__ = __iter__ = __array__ = __repr__ = __str__ = __format__ = _refuse
    __hash__ = None


def first_call(checker):
    """The arguments of the first call `checker` makes to its reference, and the result."""
    reference, calls = REFERENCE_SOLUTIONS[checker], []

    def recording(*args):
        result = reference(*args)
        calls.append((args, result))
        return result
    checker(recording)
    return calls[0]


def shape_of(result):
    """The shape of a result, or None for a ragged one (a tuple of gradients, a list of batches)."""
    try:
        return np.shape(result)
    except ValueError:
        return None


def as_list(result):
    return np.asarray(result).tolist() if np.ndim(result) else [result]


def transposed(result):
    """The result with rows and columns swapped; a flat result becomes a column."""
    return np.transpose(result) if np.ndim(result) >= 2 else np.reshape(result, (-1, 1))


WRONG_RESULTS = {  # what a student's function returns instead of the right result r
    "None": lambda r: None,
    "a word": lambda r: "hello",
    "the right answer as text": lambda r: str(r),
    "the right answer as a list": as_list,
    "a ragged list": lambda r: [[1.0, 2.0], [3.0]],
    "the right answer as a tuple, twice": lambda r: (r, r),
    "the right answer off by 1%": lambda r: r * 1.01,
    "the right answer transposed": transposed,
    "the right answer as an array of text": lambda r: np.asarray(r).astype(str),
    "NaN": lambda r: np.asarray(r) * np.nan,
    "an object that raises whenever it is used": lambda r: Hostile(),
    "a masked array hiding wrong numbers": lambda r: np.ma.masked_array(np.asarray(r) + 1,
                                                                         mask=True),
}


def returning(wrong, reference):
    @functools.wraps(reference)  # the reference's name and parameter names
    def student(*args):
        return wrong(reference(*args))
    return student


def raising(reference):
    @functools.wraps(reference)
    def student(*args):
        raise ValueError("the student's code broke")
    return student


def changing_argument(position, reference):
    """The right answer, computed before changing argument `position` in place."""
    @functools.wraps(reference)
    def student(*args):
        result = reference(*args)
        argument = args[position]
        if isinstance(argument, np.ndarray):
            argument += 1
        else:
            argument.append(argument[-1])
        return result
    return student


def returning_argument_as_answer(position, reference):
    """The right answer written into argument `position`, which is returned (relu's z[:] = ...)."""
    @functools.wraps(reference)
    def student(*args):
        result = reference(*args)
        args[position][...] = result
        return args[position]
    return student


def catalogue():
    """(checker, description, student function) for every checker and every wrong answer."""
    cases = []
    for checker in CHECKERS:
        reference = REFERENCE_SOLUTIONS[checker]
        args, result = first_call(checker)
        students = {f"returns {what}": returning(wrong, reference)
                    for what, wrong in WRONG_RESULTS.items()}
        students["raises ValueError"] = raising(reference)
        for position, argument in enumerate(args):
            if isinstance(argument, (np.ndarray, list)):
                students[f"changes argument {position} in place"] = \
                    changing_argument(position, reference)
            if isinstance(argument, np.ndarray) and argument.shape == shape_of(result):
                students[f"returns argument {position} overwritten with the right answer"] = \
                    returning_argument_as_answer(position, reference)
        for what, student in students.items():
            cases.append(pytest.param(checker, what, student, id=f"{checker.__name__}: {what}"))
    return cases


CATALOGUE = catalogue()


@pytest.mark.parametrize("checker, what, student", CATALOGUE)
def test_no_wrong_answer_in_the_catalogue_is_called_correct(checker, what, student):
    verdict = checker(student)
    assert isinstance(verdict, Verdict)
    assert verdict.passed is False, verdict
    assert UNREADABLE not in verdict.message, verdict
    assert "Correct" not in str(verdict) and "gufunc" not in verdict.message
    if "argument" in what:
        position = int(what.split("argument ")[1].split()[0])
        name = list(inspect.signature(student).parameters)[position]
        assert verdict.message.startswith(f"your function changed its argument `{name}` in "
                                          f"place (`{name} -= ...`"), verdict


def test_the_catalogue_covers_every_checker_and_every_argument():
    assert len(CHECKERS) == 19
    # array or list arguments: z, z, (X, W, b), sizes, x, (theta, X, y), notebook 03's
    # (x, W, grad_out) and (theta, velocity, gradient), the playground's (logits, labels);
    # minibatches takes numbers and a generator;
    # notebook 05's (x, h, W_ih, W_hh, b) (its parameter count and BPTT take numbers);
    # notebook 06's (V, states, rewards, next_states, terminal), (theta, x, x_next), rewards;
    # notebook 04's (x, W) (its output size and parameter count take numbers)
    changed = 23 + 9 + 2
    # arguments shaped like the result: z, z, theta, h; notebook 06's states, rewards,
    # next_states, terminal; theta, x, x_next; rewards
    overwritten = 4 + 8
    assert len(CATALOGUE) == 19 * (len(WRONG_RESULTS) + 1) + changed + overwritten == 293


@pytest.mark.parametrize("checker", CHECKERS, ids=checker_id)
def test_checkers_accept_the_reference_solution(checker):
    verdict = checker(REFERENCE_SOLUTIONS[checker])
    assert verdict.passed is True, verdict.message
    assert str(verdict).startswith("Correct: ")


@pytest.mark.parametrize("checker", CHECKERS, ids=checker_id)
def test_an_open_exercise_is_not_done_yet_rather_than_an_error(checker):
    verdict = checker(not_done)
    assert verdict.passed is None and "NotImplementedError" in verdict.message
    assert str(verdict).startswith("Not done yet: `not_done` still raises NotImplementedError")


@pytest.mark.parametrize("checker", CHECKERS, ids=checker_id)
@pytest.mark.parametrize("not_a_function", [None, np.zeros(3), "relu"])
def test_a_checker_given_a_result_instead_of_a_function_says_so(checker, not_a_function):
    verdict = checker(not_a_function)
    assert verdict.passed is False
    assert verdict.message.startswith("give the checker your function itself, its name without "
                                      "brackets, not what it returns")


def test_verdicts_use_words_that_every_font_has():
    assert [str(Verdict(passed, "x")) for passed in (True, False, None)] == [
        "Correct: x", "Not yet right: x", "Not done yet: x"]
    assert str(Verdict(False, "row 1 is wrong")).isascii()


def test_every_checker_module_registers_all_its_checkers():
    """A notebook's checker module is imported by the package and registers every check_*."""
    registered = {checker.__name__ for checker in CHECKERS}
    for info in pkgutil.iter_modules(checks.__path__):
        module = importlib.import_module(f"lecture_utils.checks.{info.name}")
        defined = {name for name in vars(module) if name.startswith("check_")}
        assert defined <= registered, f"{info.name}: {defined - registered} not registered"
        assert all(hasattr(checks, name) for name in defined), "import it in checks/__init__.py"
    assert registered == set(checks.__all__) - {"REFERENCE_SOLUTIONS", "Verdict"}
