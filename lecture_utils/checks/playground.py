"""Checkers for the playground notebook: the accuracy of a classifier from its outputs."""

import numbers

import numpy as np

from .. import playground as pg
from .verdict import Failed, call, checker, describe


def _logits_and_labels():
    """10 outputs of a 3-class network (10, 3) and labels (10,) of which 6 are predicted right
    (chosen so that each typical mistake gives its own number)."""
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(10, 3))
    predicted = logits.argmax(axis=1)
    labels = predicted.copy()
    wrong = [1, 4, 6, 8]
    labels[wrong] = (predicted[wrong] + 1 + rng.integers(0, 2, len(wrong))) % 3
    return logits, labels


@checker(reference=pg.accuracy)
def check_accuracy(accuracy_fn):
    """Check `accuracy(logits, labels)` -> the share of rows whose largest logit is the label."""
    logits, labels = _logits_and_labels()
    got = call(accuracy_fn, logits, labels,
               hint="logits has shape (10, 3), one row per point; labels (10,) holds 0, 1 or 2")
    if isinstance(got, np.ndarray) or isinstance(got, bool) or not isinstance(got, numbers.Real):
        raise Failed(f"return one number (a share between 0 and 1, e.g. float(...)), got "
                     f"{describe(got)}")
    want = pg.accuracy(logits, labels)
    if np.isclose(got, want, rtol=0, atol=1e-12):
        return f"{want:.3f}: the share of points whose largest output is their class"
    right = int(round(want * len(labels)))
    mistakes = [
        (100 * want, "that is a percentage: return the share between 0 and 1"),
        (right, "that is the number of correct predictions: divide by the number of points"),
        (1 - want, "that is the share of wrong predictions (the error rate)"),
        (float(np.mean(logits.argmin(axis=1) == labels)),
         "the prediction is the class with the largest output, not the smallest"),
        (float(np.mean((logits[:, 1] > 0) == labels)),
         "with more than two classes the prediction is the largest of all the outputs, "
         "not whether one output is positive"),
    ]
    for wrong, message in mistakes:
        if np.isclose(got, wrong, rtol=0, atol=1e-12):
            raise Failed(message)
    raise Failed(f"for {len(labels)} points of which {right} are predicted right the accuracy "
                 f"should be {right}/{len(labels)}, got {got:.6g}")
