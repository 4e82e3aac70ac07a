"""The playground notebook's checker accepts the reference and names each typical mistake."""

import re

import numpy as np
import pytest

from lecture_utils.checks import check_accuracy


def changes_in_place(logits, labels):
    labels[:] = logits.argmax(axis=1)  # then every prediction is "right"
    return 1.0


@pytest.mark.parametrize("student, message", [
    (lambda z, y: 100 * np.mean(z.argmax(axis=1) == y), "that is a percentage"),
    (lambda z, y: int(np.sum(z.argmax(axis=1) == y)), "the number of correct predictions"),
    (lambda z, y: np.mean(z.argmax(axis=1) != y), "share of wrong predictions"),
    (lambda z, y: np.mean(z.argmin(axis=1) == y), "largest output, not the smallest"),
    (lambda z, y: np.mean((z[:, 1] > 0) == y), "more than two classes"),
    (lambda z, y: np.mean(z.argmax(axis=0) == y), r"raised ValueError.*logits has shape \(10, 3\)"),
    (lambda z, y: z.argmax(axis=1) == y, "return one number"),
    (lambda z, y: None, "return one number"),
    (lambda z, y: 0.5, "should be 6/10"),
    (changes_in_place, "changed its argument `labels` in place"),
    # one output against a threshold: on the first case alone it gave argmin's share (0.3)
    (lambda z, y: float(np.mean((z[:, 1] > 0.5) == y)), "should be 6/10"),
])
def test_each_mistake_gets_its_own_message(student, message):
    verdict = check_accuracy(student)
    assert verdict.passed is False and verdict.message, verdict
    assert re.search(message, verdict.message), verdict.message


def test_the_right_answer_passes_and_an_open_exercise_is_not_done_yet():
    assert check_accuracy(lambda z, y: float(np.mean(z.argmax(axis=1) == y))).passed is True
    assert check_accuracy(lambda z, y: np.mean(z.argmax(axis=1) == y)).passed is True  # np.float64

    def open_exercise(logits, labels):
        raise NotImplementedError("Student exercise: write the accuracy")

    assert check_accuracy(open_exercise).passed is None


def test_a_mistake_is_named_only_if_it_explains_both_cases():
    from lecture_utils.checks.playground import CASES, _logits_and_labels, _mistakes
    from lecture_utils.playground import accuracy
    values = []
    for seed, wrong in CASES:
        logits, labels = _logits_and_labels(seed, wrong)
        values.append([accuracy(logits, labels)] + [v for v, _ in _mistakes(logits, labels)])
        assert len({round(v, 9) for v in values[-1]}) == len(values[-1])  # all different
    assert [round(v[0] * 10) for v in values] == [6, 7]
