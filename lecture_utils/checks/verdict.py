"""The verdict machinery every notebook's checkers share.

A checker is a function `check(student_function)` decorated with `@checker(reference)`.
Inside, it runs the student's function with `call`, reads the result with `as_array` (or
its own type test), compares with `diagnose`, and raises `Failed(message)` at the first
problem; it returns a sentence of praise when everything is right. The decorator turns
that into a `Verdict` and registers `reference` in `REFERENCE_SOLUTIONS`, which the tests
iterate: every checker must accept its reference and reject a catalogue of wrong answers
(tests/test_checker_catalogue.py).
"""

import contextlib
import copy
import functools
import inspect
import io
import re
import sys
import traceback
from dataclasses import dataclass

import numpy as np

REFERENCE_SOLUTIONS = {}  # checker -> the library's solution of its exercise

LABELS = {True: "Correct", False: "Not yet right", None: "Not done yet"}  # words every font has

UNREADABLE = "the checker could not read what your function returned"  # only if nothing else fits


@dataclass
class Verdict:
    """The outcome of a check: passed True/False, or None while the exercise is not done."""

    passed: bool | None
    message: str

    def __repr__(self):
        return f"{LABELS[self.passed]}: {self.message}"

    __str__ = __repr__


class Failed(Exception):
    """Raised inside a checker to stop at the first problem; passed=None means 'not done'."""

    def __init__(self, message, passed=False):
        super().__init__(message)
        self.verdict = Verdict(passed, message)


def checker(reference):
    """Decorator: make `check` a checker that returns a Verdict and never raises.

    check(function) raises Failed at the first problem and otherwise returns what to praise.
    `reference` (the library's solution) is registered in REFERENCE_SOLUTIONS.
    """
    def decorate(check):
        @functools.wraps(check)
        def run(function):
            if not callable(function):
                return Verdict(False, "give the checker your function itself, its name without "
                                      f"brackets, not what it returns: got {describe(function)}")
            try:
                return Verdict(True, check(function))
            except Failed as failure:
                return failure.verdict
            except Exception as error:  # last resort: a verdict, never a traceback
                return Verdict(False, f"{UNREADABLE} ({type(error).__name__})")
        REFERENCE_SOLUTIONS[run] = reference
        return run
    return decorate


def name(function):
    """The student's function's name, for messages."""
    return getattr(function, "__name__", "your function")


def describe(value):
    """A few words for a value the student returned, safe for any object."""
    if value is None:
        return "None (does your function end with `return ...`?)"
    if isinstance(value, str):
        return f"the text {value[:40]!r}"
    if isinstance(value, (bool, np.bool_)):
        return f"the truth value {bool(value)}"
    if isinstance(value, (int, float, np.integer, np.floating)):
        return f"a single number, {float(value):.6g}"
    if isinstance(value, (list, tuple)):
        return f"a {type(value).__name__}"
    if isinstance(value, np.ndarray):
        return f"a numpy array of shape {value.shape}"
    return f"a {type(value).__name__}"


def call(function, *args, hint=None):
    """What the student's `function` returns for copies of `args`.

    Stops the check (raises Failed) when the function still raises NotImplementedError,
    when it crashes (naming the line, then adding `hint`: a sentence, or a function of the
    error returning one or None), or when it changed one of its arguments in place.
    """
    given = [copy.deepcopy(arg) for arg in args]
    printed = io.StringIO()
    try:
        with contextlib.redirect_stdout(printed):
            result = function(*given)
    except NotImplementedError:
        raise Failed(f"`{name(function)}` still raises NotImplementedError. Fill in its body, "
                     "then run this cell again.", passed=None) from None
    except (Exception, SystemExit) as error:  # the student's code crashed: say what, no traceback
        extra = hint(error) if callable(hint) else hint
        raise Failed(describe_crash(function, error) + (f". {extra}" if extra else "")) from None
    finally:
        sys.stdout.write(printed.getvalue())  # the student still sees what they printed
    if result is None and printed.getvalue().strip():
        raise Failed(f"`{name(function)}` printed something but returned None: a checker (and "
                     "the code after it) sees only what the function returns, so end it with "
                     "`return ...` instead of `print(...)`")
    for position, (before, after) in enumerate(zip(args, given, strict=True)):
        if not unchanged(before, after):
            raise Failed(f"your function changed its {changed_argument(function, position)}")
    return result


def unchanged(before, after):
    """Whether an argument still equals its copy from before the call."""
    try:
        if isinstance(before, np.ndarray):
            return (isinstance(after, np.ndarray) and after.shape == before.shape
                    and bool(np.array_equal(after, before, equal_nan=before.dtype.kind in "fc")))
        return type(after) is type(before) and bool(after == before)
    except Exception:  # the student put something incomparable into it
        return False


def changed_argument(function, position):
    """'argument `y` in place (...)': what to tell a student whose function changed an argument."""
    try:
        parameter = list(inspect.signature(function).parameters.values())[position]
        named = parameter.kind in (parameter.POSITIONAL_ONLY, parameter.POSITIONAL_OR_KEYWORD)
    except (ValueError, TypeError, IndexError):  # no signature, or the position is in *args
        named = False
    if not named:
        return (f"argument number {position + 1} in place (`-=` or `[...] =` change the "
                "caller's array too): leave the arguments as they are and compute a new array")
    arg = parameter.name
    return (f"argument `{arg}` in place (`{arg} -= ...` or `{arg}[...] = ...` change the "
            f"caller's array too): leave the arguments as they are and compute a new array, "
            f"e.g. `{arg} - ...`")


def describe_crash(function, error):
    """One line: which exception, raised in which line of the student's code, and why."""
    where = ""
    code = getattr(function, "__code__", None)
    frames = [frame for frame in traceback.extract_tb(error.__traceback__)
              if code is not None and frame.filename == code.co_filename]
    if frames and frames[-1].line:
        where = f" in `{frames[-1].line.strip()}`"
    return f"`{name(function)}` raised {type(error).__name__}{where}: {readable(error)}"


def readable(error):
    """The first line of an error message, with two of numpy's messages put plainly."""
    text = (str(error).strip().splitlines() or [""])[0]
    sizes = re.search(r"gufunc signature .*\(size (\d+) is different from (\d+)\)", text)
    if sizes:
        return (f"in a matrix product A @ B, A has {sizes[2]} columns but B has {sizes[1]} rows "
                "(they must be equal)")
    if text.startswith("The truth value of an array"):  # numpy's advice (a.any()) misleads here
        return ("an array was used where Python needs one True or False (in `if`, `and`, "
                "`or`, `max`, ...)")
    return text[:200]


def as_array(got, what):
    """`got` as a plain float array if it is a numpy array of numbers; otherwise stop and say so.

    Subclasses lose their tricks here: a masked array is judged by its data, not its mask.
    """
    if isinstance(got, (list, tuple)):
        raise Failed(f"{what} should be a numpy array, got {describe(got)}: compute it with "
                     "numpy operations on the arrays, which return arrays")
    if not isinstance(got, np.ndarray):
        raise Failed(f"{what} should be a numpy array, got {describe(got)}")
    if got.dtype.kind not in "biuf":
        raise Failed(f"{what} should hold real numbers, got an array of dtype {got.dtype}")
    return np.array(got, dtype=float)


def diagnose(got, expected, what, mistakes=(), hint="", atol=1e-8):
    """Compare `got` with `expected`; name a known mistake or the first wrong entry.

    mistakes: pairs (wrong output, message) for typical errors, checked before the
    entry-by-entry comparison so the message names the cause. hint: a sentence added to
    the entry-by-entry message, when no known mistake fits.
    """
    got = as_array(got, what)
    if got.shape == expected.shape and np.allclose(got, expected, atol=atol):
        return
    for wrong, message in mistakes:
        if got.shape == np.shape(wrong) and np.allclose(got, wrong, atol=atol):
            raise Failed(message)
    if got.shape != expected.shape:
        raise Failed(f"{what} should have shape {expected.shape}, got {got.shape}")
    wrong = ~np.isclose(got, expected, atol=atol)
    position = tuple(int(i) for i in np.argwhere(wrong)[0])
    where = (f"row {position[0]}, column {position[1]}" if len(position) == 2
             else f"entry {list(position)}")
    raise Failed(f"{what}: {where} should be {expected[position]:.6g}, got {got[position]:.6g} "
                 f"({wrong.sum()} entries differ)" + (f". {hint}" if hint else ""))
