"""The names the worksheets' check cells import: `from coursegrad.checks import check_graph_forward`.

One namespace for every worksheet, so a check cell reads the same in every worksheet and the
grader's guard (`coursegrad.grading.guard`) restores one module before each test. It holds
no logic: the checking toolkit is `coursegrad.checking` (strict reading, closeness, hints by
kind of error, partial credit) and each worksheet's exercises are in `coursegrad.exercises`.
Every public function here is a check (it prints ✓ or a hint and returns nothing, or the points
earned) or a probe (it returns what *your* function computes); none returns an answer.
"""

from coursegrad.checking import as_number, expect_choice, expect_close, expect_shape
from coursegrad.exercises import backprop_by_hand, write_backprop
from coursegrad.exercises.backprop_by_hand import (
    check_affine_backward,
    check_divide_gate,
    check_fork_forward,
    check_graph_backward,
    check_graph_forward,
    check_scaling,
    check_shapes,
    check_sigmoid_depth,
    check_sigmoid_gate,
    check_square_case,
    check_tanh_neuron,
    probe_affine,
    probe_gate,
    score_fork_backward,
)
from coursegrad.exercises.write_backprop import (
    check_backprop,
    check_fixed_gate,
    check_gate_relative_error,
    check_long_chain,
    check_numerical_gradient,
    check_relative_error,
    check_second_backward,
    check_topological_order,
    check_verdict,
    probe_backprop,
    probe_fixed_gate,
    probe_gate_relative_error,
    probe_long_chain,
    probe_numerical_gradient,
    probe_order,
    probe_relative_error,
    probe_second_backward,
    probe_two_layer,
    probe_verdict,
    score_two_layer,
)

__all__ = [
    # the toolkit's strict assertions
    "as_number",
    "expect_close",
    "expect_shape",
    "expect_choice",
    # worksheet 1
    "check_graph_forward",
    "check_graph_backward",
    "check_fork_forward",
    "score_fork_backward",
    "check_tanh_neuron",
    "check_sigmoid_gate",
    "check_divide_gate",
    "check_scaling",
    "check_sigmoid_depth",
    "check_shapes",
    "check_square_case",
    "check_affine_backward",
    "probe_gate",
    "probe_affine",
    # worksheet 2
    "check_topological_order",
    "check_backprop",
    "check_long_chain",
    "check_second_backward",
    "check_numerical_gradient",
    "check_relative_error",
    "check_verdict",
    "check_gate_relative_error",
    "check_fixed_gate",
    "score_two_layer",
    "probe_order",
    "probe_backprop",
    "probe_long_chain",
    "probe_second_backward",
    "probe_numerical_gradient",
    "probe_relative_error",
    "probe_verdict",
    "probe_fixed_gate",
    "probe_gate_relative_error",
    "probe_two_layer",
]

# How the grader judges each check above outside the kernel, read by `coursegrad generate` (coursegrad/grading/derive.py)
JUDGED = {**backprop_by_hand.JUDGED, **write_backprop.JUDGED}
