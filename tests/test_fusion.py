"""Fusion is pure arithmetic over score arrays: its properties are checked on arbitrary scores."""
import numpy as np
from hypothesis import given, strategies as st

from qa.fusion import convex, normalise, rrf, top_k

# Scores in steps of 0.01, as cosines and BM25 scores differ in practice (not by 1e-12).
scores = st.lists(st.integers(-100, 5000), min_size=1, max_size=60).map(
    lambda xs: np.array(xs, dtype=np.float32) / 100)


@given(scores, st.data())
def test_normalise_maps_the_best_to_one_and_keeps_the_order(values, data):
    mask = np.array(data.draw(st.lists(st.booleans(), min_size=len(values), max_size=len(values))), dtype=bool)
    out = normalise(values, mask)
    assert out.dtype == np.float32 and ((out >= 0) & (out <= 1)).all()
    assert (out[~mask] == 0).all()
    if mask.any():
        allowed = values[mask]
        best = allowed.max()
        assert (out[mask][allowed == best] == (1.0 if best > 0 or best > allowed.min() else 0.0)).all()
        order = np.argsort(allowed, kind="stable")
        assert (np.diff(out[mask][order]) >= -1e-6).all()  # never reverses two passages


def test_a_typical_passage_scores_zero_not_the_worst():
    cosines = np.array([0.62, 0.55, 0.20, 0.15, 0.12, 0.10, -0.05], dtype=np.float32)
    out = normalise(cosines)
    assert out[0] == 1.0 and out[3] == 0.0 and out[-1] == 0.0  # the median (0.15) and below are 0
    assert abs(out[1] - (0.55 - 0.15) / (0.62 - 0.15)) < 1e-6


def test_ties_at_the_top_fall_back_to_scaling_from_the_worst():
    out = normalise(np.array([5.0, 5.0, 0.0], dtype=np.float32))
    assert out.tolist() == [1.0, 1.0, 0.0]  # not every passage promoted to 1 because the median is the best


@given(scores, st.floats(0.0, 1.0))
def test_convex_is_a_weighted_sum_of_the_normalised_scores(values, alpha):
    other = values[::-1].copy()
    fused = convex(values, other, alpha)
    assert np.allclose(fused, alpha * normalise(values) + (1 - alpha) * normalise(other), atol=1e-6)


@given(scores)
def test_rrf_and_top_k_agree_with_the_ranking(values):
    fused = rrf([values, values])
    top = top_k(fused, 3)
    assert len(top) == min(3, len(values))
    assert [values[i] for i in top] == sorted(values, reverse=True)[:len(top)]
