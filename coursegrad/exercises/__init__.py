"""Each worksheet's exercise checks, one module per worksheet, built on `coursegrad.checking`.

    backprop_by_hand   worksheet 1: forward and backward passes by hand, two gates, scaling, depth, a layer
    write_backprop     worksheet 2: the backward pass, a gradient check, a planted bug, a two-layer net

A check takes the student's answers and prints ✓ or a hint; the right values are computed
privately inside the module (reading its source tells you how to compute them, which is what
the worksheet asks you to work out first). No public function returns an answer: the public
functions are checks (they return nothing, or the points earned) and probes (they return what
*your* code computes on fixed inputs, for the grader to compare outside the kernel).
"""
