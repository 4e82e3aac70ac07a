"""The shared verdict machinery: calls on copies, readable crashes, loops, a last resort."""

import numpy as np
import pytest

from lecture_utils.checks import check_relu
from lecture_utils.checks.loops import loops_in
from lecture_utils.checks.verdict import UNREADABLE, Failed, call, checker, readable


def test_a_matrix_product_error_is_translated_from_numpys_gufunc_jargon():
    with pytest.raises(ValueError) as error:
        np.ones((7, 3)) @ np.ones(7)
    assert readable(error.value) == ("in a matrix product A @ B, A has 3 columns but B has 7 "
                                     "rows (they must be equal)")


def test_an_array_used_as_a_truth_value_is_explained_without_numpys_advice():
    verdict = check_relu(lambda z: max(0, z))
    assert "raised ValueError in `verdict = check_relu(lambda z: max(0, z))`: an array was used " \
           "where Python needs one True or False (in `if`, `and`, `or`, `max`, ...). Python's " \
           "max and np.max return the largest value" in verdict.message
    assert "a.any()" not in verdict.message


def crashing(z):
    n = len(z)
    return z / int("two") + n


def test_a_crash_names_the_students_line_not_a_traceback():
    with pytest.raises(Failed) as failure:
        call(crashing, np.ones(2))
    assert str(failure.value) == ("`crashing` raised ValueError in `return z / int(\"two\") + n`: "
                                  "invalid literal for int() with base 10: 'two'")


def test_a_function_that_exits_the_interpreter_gets_a_verdict():
    verdict = check_relu(lambda z: exit())
    assert verdict.passed is False and "raised SystemExit" in verdict.message


def test_an_argument_without_a_name_is_given_by_its_number():
    def relu(*arrays):
        arrays[0][arrays[0] < 0] = 0.0
        return arrays[0]
    assert check_relu(relu).message == (
        "your function changed its argument number 1 in place (`-=` or `[...] =` change the "
        "caller's array too): leave the arguments as they are and compute a new array")


def test_the_caller_keeps_its_arrays_even_when_the_student_changes_them():
    z = np.array([-1.0, 2.0])
    with pytest.raises(Failed):
        call(np.negative, z, z)  # np.negative(z, out=z) writes into its second argument
    assert z.tolist() == [-1.0, 2.0]


def test_a_checker_that_trips_over_a_result_still_gives_a_verdict():
    @checker(reference=None)
    def check_fragile(function):
        return f"{function():.3f}"  # cannot format a string as a float
    try:
        verdict = check_fragile(lambda: "text")
    finally:
        from lecture_utils.checks import REFERENCE_SOLUTIONS
        del REFERENCE_SOLUTIONS[check_fragile]
    assert verdict.passed is False and verdict.message == f"{UNREADABLE} (ValueError)"


def loop_free(X, W, b):
    return np.tanh(X @ W + b)


def with_loops(X):
    total = 0.0
    while total < 1:
        total += sum(x for x in X)
    return {k: k for k in range(3)}


def test_loops_are_found_by_reading_the_source_in_order():
    assert loops_in(loop_free) == []
    assert loops_in(with_loops) == [("a while loop", "while total < 1:"),
                                    ("a generator expression", "total += sum(x for x in X)"),
                                    ("a dict comprehension", "return {k: k for k in range(3)}")]


def test_loops_in_a_function_without_source_cannot_be_found():
    namespace = {}
    exec("def made_by_exec(X):\n    return [x for x in X]", namespace)
    assert loops_in(namespace["made_by_exec"]) is None
    assert loops_in(np.maximum) is None


def test_a_function_that_prints_its_answer_is_told_to_return_it(capsys):
    def answer(x):
        print(x * 2)

    with pytest.raises(Failed, match="printed something but returned None.*return"):
        call(answer, 3)
    assert capsys.readouterr().out == "6\n"  # what the student printed still shows


def test_printing_beside_a_returned_answer_is_fine(capsys):
    def answer(x):
        print("debugging", x)
        return x * 2

    assert call(answer, 3) == 6 and "debugging 3" in capsys.readouterr().out
