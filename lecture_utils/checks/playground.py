"""Checkers for the playground notebook: the accuracy of a classifier from its outputs."""

import numbers

import numpy as np

from .. import playground as pg
from .verdict import Failed, call, checker, describe

CASES = ((0, (1, 4, 6, 8)), (3, (0, 2, 5)))  # (seed, rows predicted wrong): 6 and 7 of 10 right


def _logits_and_labels(seed=0, wrong=CASES[0][1]):
    """10 outputs of a 3-class network (10, 3) and labels (10,), wrong at the rows `wrong`
    (chosen so that each typical mistake gives its own number)."""
    rng = np.random.default_rng(seed)
    logits = rng.normal(size=(10, 3))
    predicted = logits.argmax(axis=1)
    labels = predicted.copy()
    wrong = list(wrong)
    labels[wrong] = (predicted[wrong] + 1 + rng.integers(0, 2, len(wrong))) % 3
    return logits, labels


def _mistakes(logits, labels):
    """(what a typical mistake returns, the message naming it) for one case."""
    want = pg.accuracy(logits, labels)
    return [
        (100 * want, "that is a percentage: return the share between 0 and 1"),
        (int(round(want * len(labels))), "that is the number of correct predictions: divide "
                                         "by the number of points"),
        (1 - want, "that is the share of wrong predictions (the error rate)"),
        (float(np.mean(logits.argmin(axis=1) == labels)),
         "the prediction is the class with the largest output, not the smallest"),
        (float(np.mean((logits[:, 1] > 0) == labels)),
         "with more than two classes the prediction is the largest of all the outputs, "
         "not whether one output is positive"),
    ]


@checker(reference=pg.accuracy)
def check_accuracy(accuracy_fn):
    """Check `accuracy(logits, labels)` -> the share of rows whose largest logit is the label.

    Two cases: a mistake is named only if it explains the answer in both (one number can
    match a wrong formula by chance: a threshold on one output once gave argmin's share)."""
    cases = []
    for seed, wrong in CASES:
        logits, labels = _logits_and_labels(seed, wrong)
        got = call(accuracy_fn, logits, labels,
                   hint="logits has shape (10, 3), one row per point; labels (10,) holds 0, 1 "
                        "or 2")
        if isinstance(got, np.ndarray) or isinstance(got, bool) or \
                not isinstance(got, numbers.Real):
            raise Failed(f"return one number (a share between 0 and 1, e.g. float(...)), got "
                         f"{describe(got)}")
        cases.append((logits, labels, got))
    wants = [pg.accuracy(logits, labels) for logits, labels, _ in cases]
    if all(np.isclose(got, want, rtol=0, atol=1e-12)
           for (_, _, got), want in zip(cases, wants, strict=True)):
        return f"{wants[0]:.3f}: the share of points whose largest output is their class"
    named = [_mistakes(logits, labels) for logits, labels, _ in cases]
    for k, (_, message) in enumerate(named[0]):
        if all(np.isclose(got, mistakes[k][0], rtol=0, atol=1e-12)
               for (_, _, got), mistakes in zip(cases, named, strict=True)):
            raise Failed(message)
    (_, labels, got), want = next((case, want) for case, want in zip(cases, wants, strict=True)
                                  if not np.isclose(case[2], want, rtol=0, atol=1e-12))
    right = int(round(want * len(labels)))
    raise Failed(f"for {len(labels)} points of which {right} are predicted right the accuracy "
                 f"should be {right}/{len(labels)}, got {got:.6g}")
