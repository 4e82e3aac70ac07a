"""Exercise checkers that say what is wrong, not just that something is.

The exercise pattern of every notebook:

1. Exercise cell: the student's function, whose body starts as
   `raise NotImplementedError("Student exercise: ...")`.
2. Checker cell, right after: `check_<exercise>(<student function>)`. The checker runs the
   function on copies of small inputs and returns a `Verdict`, shown as one line:
   "Not done yet: ...", "Not yet right: <the mistake>" or "Correct: ...". It never raises,
   whatever the function returns or does, so Run All works with every exercise open.
3. Solution: a folded markdown cell (see README, "Adding a notebook or a panel").

Layout: `verdict.py` holds the shared machinery (Verdict, call, diagnose, the `@checker`
decorator and the registry REFERENCE_SOLUTIONS); each notebook has its own module of
checkers, named after the notebook's module (`function_approximation.py`,
`feedforward.py`, `training.py`, `playground.py`, `convolution.py`, `recurrent.py`,
`td_learning.py`). A new
notebook's checker module is imported below, so that importing `lecture_utils.checks`
registers every checker.
"""

from .convolution import check_conv_parameter_count, check_correlate2d, check_output_size
from .feedforward import check_dense_layer, check_parameter_count, check_relu, check_relu_derivative
from .function_approximation import check_gradient_step, check_polynomial_features
from .playground import check_accuracy
from .recurrent import check_bptt_two_steps, check_rnn_parameter_count, check_rnn_step
from .td_learning import check_discounted_returns, check_semi_gradient_step, check_td_targets
from .training import check_linear_backward, check_minibatches, check_momentum_step
from .verdict import REFERENCE_SOLUTIONS, Verdict

__all__ = ["REFERENCE_SOLUTIONS", "Verdict", "check_accuracy", "check_bptt_two_steps",
           "check_conv_parameter_count", "check_correlate2d", "check_dense_layer",
           "check_discounted_returns", "check_gradient_step", "check_linear_backward",
           "check_minibatches", "check_momentum_step", "check_output_size",
           "check_parameter_count", "check_polynomial_features", "check_relu",
           "check_relu_derivative", "check_rnn_parameter_count", "check_rnn_step",
           "check_semi_gradient_step", "check_td_targets"]
