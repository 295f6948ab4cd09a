"""The builder's algebra (``model/builder.py``): each operation gives the rows it says, as
the coefficient triplets a family would otherwise write by hand, and the misuses the style
guide warns about (masks mixed with positions, chained comparisons) are refused."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from specialeplan.model.builder import ProblemBuilder
from specialeplan.solvers.problem import Labels


def labels(n: int) -> Labels:
    return Labels(pd.DataFrame({"i": range(n)}))


@pytest.fixture
def b() -> ProblemBuilder:
    b = ProblemBuilder()
    b.variables("x", labels(5))
    b.variables("y", labels(3))
    return b


def matrix(b: ProblemBuilder) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    p = b.problem()
    return p.A.toarray(), p.row_lower, p.row_upper


def test_linking_grouped_sum_and_masked_rows(b: ProblemBuilder) -> None:
    x, y = b.var("x"), b.var("y")
    pair = np.array([0, 0, 1, 2, 2])
    d = np.array([1.0, 2, 3, 4, 5])
    b.add_rows("arc_volume_max", x <= d * y[pair], labels(5))  # x − d·y ≤ 0
    b.add_rows("demand_balance", x.sum(by=pair, size=3) + 1.0 == np.array([3.0, 4, 5]),
               labels(3), where=np.array([True, False, True]))
    A, lo, hi = matrix(b)
    np.testing.assert_array_equal(A[:5, :5], np.eye(5))
    np.testing.assert_array_equal(A[np.arange(5), 5 + pair], -d)
    np.testing.assert_array_equal(A[5:], [[1, 1, 0, 0, 0, 0, 0, 0], [0, 0, 0, 1, 1, 0, 0, 0]])
    np.testing.assert_array_equal(hi, [0, 0, 0, 0, 0, 2, 4])  # the constant moved right
    np.testing.assert_array_equal(lo, [-np.inf] * 5 + [2, 4])
    block = b.problem().row_block("demand_balance")
    assert block.labels.frame()["i"].tolist() == [0, 2]


def test_total_ranges_and_reversed_comparisons(b: ProblemBuilder) -> None:
    y = b.var("y")
    y0 = np.array([1.0, 0, 1])
    b.add_rows("change_count_max", ((1 - 2 * y0) * y).sum() + y0.sum() <= 1, labels(1))
    b.add_rows("designation_count_range", y.sum().between(1, 2), labels(1))
    b.add_rows("fixed_designation_min", np.ones(3) <= y, labels(3))  # numpy defers: y >= 1
    A, lo, hi = matrix(b)
    np.testing.assert_array_equal(A[0, 5:], [-1, 1, -1])
    assert hi[0] == 1 - 2 and lo[0] == -np.inf
    assert (lo[1], hi[1]) == (1, 2)
    np.testing.assert_array_equal(A[2:, 5:], np.eye(3))
    np.testing.assert_array_equal(lo[2:], 1)


def test_extend_adds_an_expression_to_earlier_rows(b: ProblemBuilder) -> None:
    x, y = b.var("x"), b.var("y")
    b.add_rows("pair_volume_max", x.sum(by=np.array([0, 0, 1, 1, 2]), size=3) <= 9, labels(3))
    rows = b.row_index("pair_volume_max", np.array([2, 0]))
    b.extend("pair_volume_max", 3.0 * y[np.array([1, 1])].sum(by=rows))
    A, _, _ = matrix(b)
    assert A[2, 6] == 3 and A[0, 6] == 3 and A[1, 5:].sum() == 0
    with pytest.raises(KeyError, match="no earlier family added"):
        b.row_index("pair_volume_maks", np.array([0]))


def test_misuse_is_refused(b: ProblemBuilder) -> None:
    x, y = b.var("x"), b.var("y")
    with pytest.raises(TypeError, match="between"):
        b.add_rows("r", 1 <= y.sum() <= 2, labels(1))  # Python: (1 <= e) and (e <= 2)
    with pytest.raises(TypeError, match="integer positions"):
        y[np.array([True, False, True])]
    with pytest.raises(TypeError, match="boolean mask"):
        b.add_rows("r", y >= 1, labels(3), where=np.array([0, 2]))
    with pytest.raises(TypeError, match="not linear"):
        y * y
    with pytest.raises(ValueError, match="do not line up"):
        x + y
    with pytest.raises(ValueError, match="once"):
        y.expr().take(np.array([0, 0]))
    with pytest.raises(ValueError, match="labels"):
        b.add_rows("r", y >= 1, labels(2))
