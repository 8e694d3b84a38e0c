"""Split a class between machines: `--shard k/N` grades the k-th of N equal shares of the students.

Student k/N takes the students whose position in the sorted list of student folders is k − 1
modulo N, so N machines (or N jobs of any batch system) grade disjoint shares that together
are the whole class, all worksheets of a student on the same machine. `coursegrad merge` then
combines their output folders.
"""

from __future__ import annotations


def parse(text: str) -> tuple[int, int]:
    """(k, N) from "k/N" with 1 ≤ k ≤ N; ValueError saying what to write."""
    try:
        k, n = (int(part) for part in text.split("/"))
    except ValueError:
        raise ValueError(f"--shard {text!r}: write k/N, e.g. 1/4 for the first of four shares") from None
    if not 1 <= k <= n:
        raise ValueError(f"--shard {text!r}: k must be between 1 and N (here N = {n})")
    return k, n


def select(students: list[str], k: int, n: int) -> list[str]:
    """The students of share k of n (students in sorted order, every n-th from the (k−1)-th)."""
    return [s for i, s in enumerate(sorted(students)) if i % n == k - 1]
