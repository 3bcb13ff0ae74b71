"""The quadrature rules of ``theory.quadrature``: exact to the stated degree and, one degree above,
off by exactly the Gauss error (so the exactness checks can fail, and the planted wrong rules below
show they do); normalized; the tensor rule's size guard; bad inputs refused by name.

Oracles are exact: Gaussian moments ``E z^k = (k-1)!!`` as integers, interval integrals as
``Fraction``s of the float endpoints and integer coefficients. Tolerances are
``checks.tolerances.exact(float64, condition)`` with the condition stated where it is used.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from dgmcheck.checks import tolerances
from dgmcheck.theory import quadrature as q

Rule = tuple[np.ndarray, np.ndarray]


def gaussian_moment(k: int) -> int:
    """``E z^k`` for ``z ~ N(0, 1)``: ``(k-1)!!`` for even k, 0 for odd k."""
    return math.prod(range(k - 1, 0, -2)) if k % 2 == 0 else 0


def assert_sum(terms: np.ndarray, expected: float, condition: float, what: str) -> None:
    """``Σ terms == expected`` within ``exact(float64, condition)`` of the terms' magnitude ``Σ |terms|``."""
    observed = float(np.sum(terms))
    bound = float(tolerances.exact(np.float64, condition).bound(np.sum(np.abs(terms))))
    assert abs(observed - float(expected)) <= bound, (
        f"{what}: quadrature {observed!r}, exact {float(expected)!r}, |diff| {abs(observed - float(expected)):.3e} "
        f"> bound {bound:.3e}")


def assert_gaussian_exact(rule: Rule, degree: int) -> None:
    """``Σ w z^k = (k-1)!!`` for every ``k <= degree``. Condition ``k + n``: the nodes' relative
    rounding is multiplied by k in ``z^k``, and n terms are summed."""
    z, w = rule
    for k in range(degree + 1):
        assert_sum(w * z**k, gaussian_moment(k), k + len(z), f"E z^{k} with {len(z)} nodes")


def assert_interval_exact(rule: Rule, a: float, b: float, degree: int) -> None:
    """``Σ w x^k = (b^{k+1} - a^{k+1})/(k+1)`` for every ``k <= degree`` (Fraction oracle)."""
    x, w = rule
    for k in range(degree + 1):
        exact = (Fraction(b) ** (k + 1) - Fraction(a) ** (k + 1)) / (k + 1)
        assert_sum(w * x**k, exact, k + len(x), f"integral of x^{k} over [{a}, {b}] with {len(x)} nodes")


def assert_tensor_exact(nodes: np.ndarray, w: np.ndarray, n: int) -> None:
    """``Σ w z^α = Π_i (α_i - 1)!!`` for every ``α`` with all ``α_i <= 2n - 1``. Condition
    ``|α| + n d``: the one-dimensional condition summed over the coordinates."""
    d = nodes.shape[1]
    for alpha in itertools.product(range(2 * n), repeat=d):
        expected = math.prod(gaussian_moment(a) for a in alpha)
        assert_sum(w * np.prod(nodes ** np.array(alpha), axis=1), expected, sum(alpha) + n * d, f"E z^{alpha}")


def orthonormal_hermite(z: np.ndarray, m: int) -> np.ndarray:
    """``h_k(z) = He_k(z)/√k!`` for ``k < m`` by the stable three-term recurrence, shape ``(len(z), m)``."""
    H = np.empty((len(z), m))
    H[:, 0] = 1.0
    if m > 1:
        H[:, 1] = z
    for k in range(1, m - 1):
        H[:, k + 1] = (z * H[:, k] - np.sqrt(k) * H[:, k - 1]) / np.sqrt(k + 1)
    return H


def orthonormal_legendre(x: np.ndarray, m: int) -> np.ndarray:
    """``√((2k+1)/2) P_k(x)`` for ``k < m``, shape ``(len(x), m)``."""
    return np.polynomial.legendre.legvander(x, m - 1) * np.sqrt((2 * np.arange(m) + 1) / 2)


def assert_orthonormal(V: np.ndarray, w: np.ndarray, condition: float, what: str) -> None:
    """``Σ_i w_i V_ij V_ik = δ_jk`` for the first ``n = len(w)`` columns: every product has degree
    ``<= 2n - 2``, so together with ``V_n(x_i) = 0`` this is exactness on all degrees ``<= 2n - 1``."""
    n = len(w)
    G = V[:, :n].T @ (w[:, None] * V[:, :n])
    scale = np.abs(V[:, :n]).T @ (np.abs(w)[:, None] * np.abs(V[:, :n]))
    bound = tolerances.exact(np.float64, condition).bound(scale)
    dev = np.abs(G - np.eye(n))
    assert np.all(dev <= bound), f"{what}: Gram matrix off by {dev.max():.3e} (bound {bound.max():.3e})"


# --------------------------------------------------------------------------- normal_1d
@pytest.mark.parametrize("n", range(1, 11))
def test_normal_1d_exact_to_degree_2n_minus_1_and_off_by_n_factorial_above(n: int) -> None:
    rule = q.normal_1d(n)
    assert rule[0].shape == rule[1].shape == (n,)
    assert_gaussian_exact(rule, 2 * n - 1)
    # He_n is monic with roots at the nodes, so Σ w z^{2n} = E z^{2n} - E He_n² = (2n-1)!! - n!
    z, w = rule
    assert_sum(w * z ** (2 * n), gaussian_moment(2 * n) - math.factorial(n), 3 * n, f"E z^{2 * n}, {n} nodes")
    with pytest.raises(AssertionError, match=rf"E z\^{2 * n}"):
        assert_gaussian_exact(rule, 2 * n)


@pytest.mark.parametrize("n", [20, 40, 64, 80, 120, 256])
def test_normal_1d_orthonormal_hermite_at_the_node_counts_in_use(n: int) -> None:
    """Monomials overflow at these n; the orthonormal Hermite functions do not. Condition n: n-term
    sums of recurrences n deep."""
    z, w = q.normal_1d(n)
    H = orthonormal_hermite(z, n + 1)
    assert_orthonormal(H, w, n, f"Hermite, {n} nodes")
    assert abs(w @ H[:, n] ** 2) < 1e-20  # E h_n² = 1, but h_n vanishes at the nodes: degree 2n fails


@pytest.mark.parametrize("n", [1, 2, 3, 7, 40, 256])
def test_normal_1d_is_normalized_and_symmetric(n: int) -> None:
    z, w = q.normal_1d(n)
    assert_sum(w, 1, n, "Σ w")
    assert np.all(w > 0) and np.all(np.diff(z) > 0)
    np.testing.assert_allclose(z, -z[::-1], rtol=0, atol=8 * np.finfo(float).eps * max(1.0, abs(z).max()))


# --------------------------------------------------------------------------- normal (tensor)
@pytest.mark.parametrize(("n", "d"), [(1, 2), (2, 2), (3, 3), (4, 2)])
def test_normal_tensor_rule_exact_per_coordinate(n: int, d: int) -> None:
    """Exact for ``z^α`` whenever every ``α_i <= 2n - 1`` (total degree up to ``d(2n - 1)``), and
    ``z_1^{2n}`` is off by ``n!`` as in one dimension."""
    nodes, w = q.normal(n, d)
    assert nodes.shape == (n**d, d) and w.shape == (n**d,)
    z1, w1 = q.normal_1d(n)
    np.testing.assert_array_equal(nodes, np.array(list(itertools.product(z1, repeat=d))).reshape(-1, d))
    np.testing.assert_allclose(w, [math.prod(c) for c in itertools.product(w1, repeat=d)], rtol=4 * d * 2**-52)
    assert_tensor_exact(nodes, w, n)
    above = w * nodes[:, 0] ** (2 * n)
    assert_sum(above, gaussian_moment(2 * n) - math.factorial(n), 3 * n + d, f"E z_1^{2 * n}")


def test_normal_size_guard(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ValueError, match=r"n\*\*d = 64\*\*4 = 16777216 nodes, over the limit MAX_NODES = 1048576"):
        q.normal(64, 4)
    monkeypatch.setattr(q, "MAX_NODES", 100)
    assert q.normal(10, 2)[0].shape == (100, 2) and q.normal(4, 3)[0].shape == (64, 3)
    with pytest.raises(ValueError, match=r"11\*\*2 = 121 nodes.*use n <= 10 in d = 2"):
        q.normal(11, 2)
    with pytest.raises(ValueError, match=r"5\*\*3 = 125 nodes.*use n <= 4 in d = 3"):
        q.normal(5, 3)
    with pytest.raises(ValueError, match="MAX_HERMITE_NODES = 256"):
        q.normal_1d(257)


# --------------------------------------------------------------------------- legendre
finite = st.floats(-4.0, 4.0, allow_nan=False, allow_infinity=False)


@given(st.integers(1, 10), finite, st.floats(1e-3, 6.0), st.data())
def test_legendre_exact_to_degree_2n_minus_1_on_any_interval(n: int, a: float, width: float,
                                                             data: st.DataObject) -> None:
    """A random polynomial of degree ``2n - 1`` with integer coefficients, integrated exactly in
    Fractions. Condition ``deg + n`` of the magnitude ``Σ |w| Σ_j |c_j| R^j``, ``R = max(|a|, |b|, 1)``:
    each node is off by a few ulps of R, which moves ``x^j`` by ``j`` ulps of ``R^j``."""
    b = a + width
    coef = np.array(data.draw(st.lists(st.integers(-9, 9), min_size=2 * n, max_size=2 * n)), dtype=np.float64)
    x, w = q.legendre(n, a, b)
    observed = float(w @ np.polynomial.polynomial.polyval(x, coef))
    fa, fb = Fraction(a), Fraction(b)
    exact = sum(Fraction(int(c)) * (fb ** (j + 1) - fa ** (j + 1)) / (j + 1) for j, c in enumerate(coef))
    R = max(abs(a), abs(b), 1.0)
    scale = float(np.sum(np.abs(w)) * np.sum(np.abs(coef) * R ** np.arange(2 * n)))
    bound = float(tolerances.exact(np.float64, 2 * n - 1 + n).bound(scale))
    assert abs(observed - float(exact)) <= bound


@pytest.mark.parametrize("n", [1, 2, 5, 8])
@pytest.mark.parametrize(("a", "b"), [(-1.0, 1.0), (0.0, 1.0), (-3.0, 2.5)])
def test_legendre_one_degree_above_misses_by_the_monic_norm(n: int, a: float, b: float) -> None:
    """``∫ x^{2n} - Σ w x^{2n} = h^{2n+1} ∫_{-1}^1 p̃_n² = h^{2n+1} · 2/(2n+1) · (2^n n!²/(2n)!)²``
    (``h = (b - a)/2``, ``p̃_n`` the monic Legendre polynomial, zero at the nodes)."""
    rule = q.legendre(n, a, b)
    assert_interval_exact(rule, a, b, 2 * n - 1)
    x, w = rule
    h = Fraction(b - a) / 2
    gap = h ** (2 * n + 1) * Fraction(2, 2 * n + 1) * Fraction(2**n * math.factorial(n) ** 2,
                                                               math.factorial(2 * n)) ** 2
    exact = (Fraction(b) ** (2 * n + 1) - Fraction(a) ** (2 * n + 1)) / (2 * n + 1)
    assert_sum(w * x ** (2 * n), exact - gap, 3 * n, f"∫ x^{2 * n}")
    with pytest.raises(AssertionError, match=rf"x\^{2 * n} over"):
        assert_interval_exact(rule, a, b, 2 * n)


@pytest.mark.parametrize("n", [8, 16, 30, 150])
def test_legendre_orthonormal_at_the_node_counts_in_use(n: int) -> None:
    """Condition n²: a node off by δ moves ``P_k`` by up to ``k² δ max|P_k|`` (Markov's inequality)."""
    x, w = q.legendre(n)
    V = orthonormal_legendre(x, n + 1)
    assert_orthonormal(V, w, n * n, f"Legendre, {n} nodes")
    assert abs(w @ V[:, n] ** 2) < 1e-20
    assert_sum(w, 2, n, "Σ w on [-1, 1]")


def test_composite_legendre_is_legendre_per_panel_and_exact_for_piecewise_polynomials() -> None:
    edges = np.array([-2.0, -0.5, 0.25, 3.0])
    n = 3
    x, w = q.composite_legendre(edges, n)
    assert x.shape == w.shape == (n * (len(edges) - 1),)
    for k in range(len(edges) - 1):  # panel by panel, in order
        xk, wk = q.legendre(n, edges[k], edges[k + 1])
        np.testing.assert_array_equal(x[k * n:(k + 1) * n], xk)
        np.testing.assert_array_equal(w[k * n:(k + 1) * n], wk)
    assert_sum(w, 5, n * len(edges), "Σ w = e_P - e_0")
    # f = (x + 0.5)_+^5 + x^4 is a polynomial of degree 5 = 2n - 1 on each panel (a break at -0.5)
    exact = Fraction(7, 2) ** 6 / 6 + (Fraction(3) ** 5 - Fraction(-2) ** 5) / 5
    assert_sum(w * (np.maximum(x + 0.5, 0.0) ** 5 + x**4), exact, 6 + n * len(edges), "piecewise quintic")
    one = q.composite_legendre([0.0, 1.0], 4)
    np.testing.assert_array_equal(one[0], q.legendre(4, 0.0, 1.0)[0])


# --------------------------------------------------------------------------- planted wrong rules
def _physicists(n: int) -> Rule:  # weight e^{-x²}, not e^{-x²/2}: nodes too narrow by √2
    z, w = np.polynomial.hermite.hermgauss(n)
    return z, w / w.sum()


def _one_node_short(n: int) -> Rule:  # an off-by-one node count
    return q.normal_1d(n - 1)


def _unscaled_weights(n: int, a: float, b: float) -> Rule:  # nodes mapped, weights left for [-1, 1]
    t, om = np.polynomial.legendre.leggauss(n)
    return 0.5 * (b - a) * t + 0.5 * (a + b), om


def _unshifted_nodes(n: int, a: float, b: float) -> Rule:  # nodes scaled but not shifted to [a, b]
    t, om = np.polynomial.legendre.leggauss(n)
    return 0.5 * (b - a) * t, 0.5 * (b - a) * om


@pytest.mark.parametrize(("bug", "check"), [
    (_physicists, lambda rule: assert_gaussian_exact(rule, 2 * 4 - 1)),
    (_one_node_short, lambda rule: assert_gaussian_exact(rule, 2 * 4 - 1)),
    (lambda n: _unscaled_weights(n, 0.0, 3.0), lambda rule: assert_interval_exact(rule, 0.0, 3.0, 7)),
    (lambda n: _unshifted_nodes(n, 1.0, 2.0), lambda rule: assert_interval_exact(rule, 1.0, 2.0, 7)),
])
def test_the_exactness_checks_catch_planted_wrong_rules(bug: Callable[[int], Rule],
                                                        check: Callable[[Rule], None]) -> None:
    with pytest.raises(AssertionError, match="quadrature"):
        check(bug(4))


def test_tensor_check_catches_weights_of_one_axis_only() -> None:
    nodes, _ = q.normal(3, 2)
    w1 = q.normal_1d(3)[1]
    w_bug = np.repeat(w1, 3)  # the first coordinate's weight on every node: sums to 3, not 1
    with pytest.raises(AssertionError, match=r"E z\^\(0, 0\): quadrature 3"):
        assert_tensor_exact(nodes, w_bug, 3)


# --------------------------------------------------------------------------- caching, bad inputs
def test_one_dimensional_rules_are_cached_and_read_only() -> None:
    assert q.normal_1d(7)[0] is q.normal_1d(7)[0] and q.legendre(7)[1] is q.legendre(7)[1]
    for arr in (*q.normal_1d(7), *q.legendre(7)):
        with pytest.raises(ValueError, match="read-only"):
            arr[0] = 0.0
    x, w = q.legendre(7, 0.0, 2.0)  # a mapped rule is a fresh array, the cache untouched
    x[0] = w[0] = 0.0
    assert q.legendre(7)[0][0] != 0.0
    nodes = q.normal(3, 2)[0]
    nodes[0, 0] = 0.0
    assert q.normal_1d(3)[0][0] < 0


@pytest.mark.parametrize(("call", "error", "match"), [
    (lambda: q.normal_1d(0), ValueError, "n must be a positive int, got 0"),
    (lambda: q.normal_1d(-3), ValueError, "n must be a positive int"),
    (lambda: q.normal_1d(2.0), TypeError, "n must be a positive int, got 2.0 of type float"),
    (lambda: q.normal_1d(True), TypeError, "n must be a positive int"),
    (lambda: q.normal(3, 0), ValueError, "d must be a positive int, got 0"),
    (lambda: q.normal(3, "2"), TypeError, "d must be a positive int"),
    (lambda: q.legendre(0), ValueError, "n must be a positive int"),
    (lambda: q.legendre(4, 1.0, 1.0), ValueError, "need finite a < b, got a = 1.0, b = 1.0"),
    (lambda: q.legendre(4, 2.0, 1.0), ValueError, "need finite a < b"),
    (lambda: q.legendre(4, 0.0, math.inf), ValueError, "need finite a < b"),
    (lambda: q.legendre(4, math.nan, 1.0), ValueError, "need finite a < b"),
    (lambda: q.legendre(4, "a", 1.0), TypeError, "a and b must be real numbers"),
    (lambda: q.composite_legendre([0.0, 1.0, 1.0], 3), ValueError, "edges must be .* strictly increasing"),
    (lambda: q.composite_legendre([0.0], 3), ValueError, "at least 2"),
    (lambda: q.composite_legendre([[0.0, 1.0]], 3), ValueError, "edges must be a 1-D array"),
    (lambda: q.composite_legendre([0.0, math.nan], 3), ValueError, "finite"),
    (lambda: q.composite_legendre([0.0, 1.0], 0), ValueError, "n must be a positive int"),
])
def test_bad_inputs_name_the_argument(call: Callable[[], object], error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        call()


def test_numpy_integers_are_counts() -> None:
    assert q.normal(np.int64(2), np.int32(2))[0].shape == (4, 2)
    assert q.legendre(np.int64(3), 0, 1)[0].shape == (3,)
