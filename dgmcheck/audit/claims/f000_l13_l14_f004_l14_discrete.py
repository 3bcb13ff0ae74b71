"""Claims of 000 L13-L14 (discrete diffusion: transition matrices, posterior, absorbing / masked diffusion, MDLM
training) and of the course overview of 000 L14, with the repeats of 004 L14 and the VQ slide of 002/004.

Convention (000 L13 "Transition Matrix"): column-stochastic [Q_t]_{ij} = q(x_t = i | x_{t-1} = j), states are
one-hot columns, Q_{1:t} = Q_t ... Q_1; the mask state is e_m.
"""

from __future__ import annotations

import functools
import itertools
import math

import numpy as np
import sympy as sp
from scipy import integrate, optimize, stats

from dgmcheck.audit.formulas import Place
from dgmcheck.audit.model import Claim, all_of, holds_if, num_compare, num_equal, points, slip, sym_equal
from dgmcheck.theory import autoregressive as ar
from dgmcheck.theory import discrete as dd
from dgmcheck.theory import flows, vq
from dgmcheck.theory import latent as lat


def _random_column_stochastic(rng, K):
    return rng.dirichlet(np.ones(K), size=K).T  # columns sum to 1


def _column_sums():
    rng = np.random.default_rng(1)
    mats = [dd.uniform_matrix(b, 4) for b in rng.uniform(0, 1, 3)]
    mats += [dd.absorbing_matrix(b, 4, 3) for b in rng.uniform(0, 1, 3)]
    return num_equal(lambda: np.array([Q.sum(axis=0) for Q in mats]), lambda: np.ones((6, 4)), [{}],
                     what="column sums of uniform and absorbing Q_t (column convention)")


def _cumulative_product():
    rng = np.random.default_rng(2)
    Qs = np.array([_random_column_stochastic(rng, 3) for _ in range(3)])

    def slide(t, x0):  # Cat(Q_{1:t} x_0), Q_{1:t} = Q_t ... Q_1
        P = np.eye(3)
        for s in range(t):
            P = Qs[s] @ P
        return P[:, x0]

    def chain(t, x0):  # enumeration of the chain (joint-chain law with m = 1)
        law = dd.sequence_forward_law(Qs, t, [x0])
        return np.array([law[(k,)] for k in range(3)])
    return num_equal(slide, chain, [{"t": t, "x0": x0} for t in (1, 2, 3) for x0 in range(3)],
                     what="Q_t...Q_1 x_0 vs the chain's law by enumeration (non-commuting random Q_t)")


def _uniform_cumulative():
    rng = np.random.default_rng(3)
    betas = rng.uniform(0.05, 0.6, 4)
    K = 4
    Qs = np.array([dd.uniform_matrix(b, K) for b in betas])

    def closed(t):
        ab = np.prod(1 - betas[:t])
        return ab * np.eye(K) + (1 - ab) * np.full((K, K), 1 / K)
    return num_equal(lambda t: dd.cumulative(Qs, t), closed, [{"t": t} for t in (1, 2, 3, 4)],
                     what="Q_t...Q_1 vs abar_t I + (1 - abar_t) U")


def _absorbing_cumulative():
    rng = np.random.default_rng(4)
    betas = rng.uniform(0.05, 0.6, 4)
    K, m = 4, 3
    Qs = np.array([dd.absorbing_matrix(b, K, m) for b in betas])
    em1 = np.outer(np.eye(K)[m], np.ones(K))

    def closed(t):
        ab = np.prod(1 - betas[:t])
        return ab * np.eye(K) + (1 - ab) * em1
    return num_equal(lambda t: dd.cumulative(Qs, t), closed, [{"t": t} for t in (1, 2, 3, 4)],
                     what="Q_t...Q_1 vs abar_t I + (1 - abar_t) e_m 1^T")


def _bayes_posterior():
    rng = np.random.default_rng(5)
    Qs = np.array([_random_column_stochastic(rng, 3) for _ in range(3)])

    def bayes(t, xt, x0):  # q(x_t|x_{t-1}) q(x_{t-1}|x_0) / q(x_t|x_0) (Markov: q(x_t|x_{t-1}, x_0) = q(x_t|x_{t-1}))
        prev = dd.forward_probs(Qs, t - 1, x0)
        return Qs[t - 1][xt, :] * prev / dd.forward_probs(Qs, t, x0)[xt]
    return num_equal(bayes, lambda t, xt, x0: dd.posterior_enumeration(Qs, t, xt, x0),
                     [{"t": t, "xt": a, "x0": b} for t in (2, 3) for a in range(3) for b in range(3)],
                     what="Bayes formula vs brute-force enumeration of the chain")


def _posterior_as_printed():
    # the slide's Cat(Q_t x_t ⊙ Q_{1:t-1} x_0 / x_t^T Q_{1:t} x_0), column convention, absorbing chain
    betas = [0.3, 0.4]
    K, m = 3, 2
    Qs = np.array([dd.absorbing_matrix(b, K, m) for b in betas])

    def printed(t, xt, x0):
        e = np.eye(K)
        return (Qs[t - 1] @ e[xt]) * (dd.cumulative(Qs, t - 1) @ e[x0]) / (e[xt] @ dd.cumulative(Qs, t) @ e[x0])
    def corrected(t, xt, x0):  # the row [Q_t]_{x_t, .} = Q_t^T x_t
        e = np.eye(K)
        return (Qs[t - 1].T @ e[xt]) * (dd.cumulative(Qs, t - 1) @ e[x0]) / (e[xt] @ dd.cumulative(Qs, t) @ e[x0])

    def truth(t, xt, x0):
        return dd.posterior_enumeration(Qs, t, xt, x0)
    every = [{"t": t, "xt": xt, "x0": x0} for t in (2,) for x0 in range(K) for xt in range(K)
             if (e := np.eye(K))[xt] @ dd.cumulative(Qs, t) @ e[x0] > 0]
    return slip(num_equal(printed, truth, [{"t": 2, "xt": 2, "x0": 0}],
                          what="printed posterior vector vs enumeration"),
                num_equal(corrected, truth, every,
                          what="Q_t^T x_t ⊙ Q_{1:t-1} x_0 / x_t^T Q_{1:t} x_0 vs enumeration, every reachable "
                               "(x_t, x_0)"),
                evidence=(Place("000", "L13", "Discrete conditioned reverse distribution", 4906),),
                why="a missing transpose: the Bayes line just above needs q(x_t|x_{t-1}) as a function of x_{t-1}, "
                    "i.e. the row of Q_t at x_t, which in the slides' column convention ([Q_t]_ij = q(x_t = i | "
                    "x_{t-1} = j), line 4814) is Q_t^T x_t; Q_t x_t is the law of the next state")


def _kl_minus_ce():
    rng = np.random.default_rng(6)
    q = rng.dirichlet(np.ones(4))
    ps = [rng.dirichlet(np.ones(4)) for _ in range(4)]
    return num_equal(lambda p: float(dd.categorical_kl(q, p) - dd.cross_entropy(q, p)), lambda p: float(-dd.entropy(q)),
                     [{"p": p} for p in ps], what="KL(q||p_theta) - H(q, p_theta) = -H(q), the same for every p_theta")


def _categorical_kl():
    rng = np.random.default_rng(7)
    pts = [{"q": rng.dirichlet(np.ones(5)), "p": rng.dirichlet(np.ones(5))} for _ in range(6)]
    return num_equal(lambda q, p: float(np.sum(q * np.log(q / p))),
                     lambda q, p: float(dd.cross_entropy(q, p) - dd.entropy(q)), pts,
                     what="sum q log(q/p) vs H(q, p) - H(q)")


def _token_factorization_step():
    rng = np.random.default_rng(8)
    Qs = np.array([_random_column_stochastic(rng, 3)])

    def joint(prev):
        law = dd.sequence_forward_law(Qs, 1, prev)
        return np.array([law[s] for s in itertools.product(range(3), repeat=len(prev))])

    def product(prev):  # columns of Q_t X_{t-1}: position i has law Q_t x^i_{t-1}
        cols = [Qs[0][:, x] for x in prev]
        return np.array([math.prod(cols[i][s[i]] for i in range(len(prev)))
                         for s in itertools.product(range(3), repeat=len(prev))])
    return num_equal(joint, product, [{"prev": (0, 2)}, {"prev": (1, 1, 0)}],
                     what="joint one-step law of the sequence chain vs product of the columns of Q_t X_{t-1}")


def _sequence_forward_product():
    rng = np.random.default_rng(9)
    Qs = np.array([_random_column_stochastic(rng, 3) for _ in range(3)])

    def joint(t, X0):
        law = dd.sequence_forward_law(Qs, t, X0)
        return np.array([law[s] for s in itertools.product(range(3), repeat=len(X0))])

    def product(t, X0):
        cols = [dd.forward_probs(Qs, t, x) for x in X0]
        return np.array([math.prod(cols[i][s[i]] for i in range(len(X0)))
                         for s in itertools.product(range(3), repeat=len(X0))])
    return num_equal(joint, product, [{"t": 2, "X0": (0, 2)}, {"t": 3, "X0": (1, 0)}],
                     what="q(X_t|X_0) of the joint chain vs product over tokens of Cat(Q_{1:t} x_0^i)")


def _sequence_one_step_as_printed():
    # q(X_t | X_{t-1}) (one step: columns of Q_t X_{t-1}) vs the printed Cat(Q_{1:t} X_0), m = 1, t = 2, x_1 = x_0
    betas = [0.3, 0.4]
    Qs = np.array([dd.uniform_matrix(b, 3) for b in betas])
    written = num_equal(lambda x: Qs[1][:, x], lambda x: dd.cumulative(Qs, 2)[:, x], [{"x": 0}],
                        what="q(x_2 | x_1 = e_0) vs Cat(Q_{1:2} x_0) with x_0 = e_0 (uniform, beta = 0.3, 0.4)")
    # corrected q(X_t | X_0) = Cat(Q_{1:t} X_0): the joint chain on sequences (m = 2) vs the product of the columns
    rng = np.random.default_rng(10)
    Qr = np.array([_random_column_stochastic(rng, 3) for _ in range(2)])

    def joint(X0):
        law = dd.sequence_forward_law(Qr, 2, X0)
        return np.array([law[s_] for s_ in itertools.product(range(3), repeat=2)])

    def columns(X0):
        cols = dd.cumulative(Qr, 2)[:, list(X0)]
        return np.array([cols[s_[0], 0] * cols[s_[1], 1] for s_ in itertools.product(range(3), repeat=2)])
    corrected = num_equal(joint, columns, [{"X0": (0, 2)}, {"X0": (1, 1)}],
                          what="q(X_2 | X_0) of the sequence chain vs the columns of Q_{1:2} X_0 (random Q_t)")
    return slip(written, corrected, evidence=(Place("000", "L14", "From Token to Sequence", 5020),),
                why="a wrong conditioning index: the line above is the one-step kernel q(X_t|X_{t-1}) = "
                    "Cat(Q_t X_{t-1}); the cumulative matrix Q_{1:t} and X_0 on the right make this line its "
                    "t-step counterpart q(X_t|X_0), as for one token in L13")


def _sequence_posterior_product():
    rng = np.random.default_rng(10)
    Qs = np.array([_random_column_stochastic(rng, 3) for _ in range(3)])

    def joint(t, Xt, X0):
        law = dd.sequence_posterior_law(Qs, t, Xt, X0)
        return np.array([law[s] for s in itertools.product(range(3), repeat=len(X0))])

    def product(t, Xt, X0):
        per = [dd.posterior(Qs, t, Xt[i], X0[i]) for i in range(len(X0))]
        return np.array([math.prod(per[i][s[i]] for i in range(len(X0)))
                         for s in itertools.product(range(3), repeat=len(X0))])
    return num_equal(joint, product, [{"t": 2, "Xt": (1, 2), "X0": (0, 2)}, {"t": 3, "Xt": (0, 0), "X0": (2, 1)}],
                     what="sequence posterior by Bayes on the joint chain vs product of token posteriors")


def _kl_of_products():
    rng = np.random.default_rng(11)
    qs = [rng.dirichlet(np.ones(3)) for _ in range(2)]
    ps = [rng.dirichlet(np.ones(3)) for _ in range(2)]
    joint_q = np.outer(qs[0], qs[1]).ravel()
    joint_p = np.outer(ps[0], ps[1]).ravel()
    return num_equal(lambda: float(dd.categorical_kl(joint_q, joint_p)),
                     lambda: float(sum(dd.categorical_kl(q, p) for q, p in zip(qs, ps, strict=True))), [{}],
                     what="KL of the product laws (m = 2) vs the sum of per-token KLs")


def _denoiser(seed):
    rng = np.random.default_rng(seed)
    table = {}

    def den(Xt):  # probabilities of the clean token (K = 3 tokens + mask index 3, zero on the mask); an unmasked
        if Xt not in table:  # position carries its token over (point mass), so it adds nothing to any masked CE
            p = np.zeros((len(Xt), 4))
            p[:, :3] = rng.dirichlet(np.ones(3), size=len(Xt))
            for i, x in enumerate(Xt):
                if x != 3:
                    p[i] = np.eye(4)[x]
            table[Xt] = p
        return table[Xt]
    return den


def _masked_lm_same_minimizer():
    # 'Final objective' read as L_simple is read (000.L8.simple_loss_same_minimizer): a surrogate of sum_t L_t with
    # the same minimizing denoiser. Data: a random law on {0,1,2}^2; absorbing chain, 3 tokens + mask 3,
    # beta = (0.2, 0.3, 0.5). sum_t L_t is the oracle discrete.absorbing_loss_enumeration; the optimizations use its
    # rho_t-weighted masked CE form, checked equal to the oracle at every denoiser compared.
    betas, K, m, ts = [0.2, 0.3, 0.5], 4, 3, (1, 2, 3)
    ab = dd.alpha_bars(betas)
    rho = {t: betas[t - 1] * ab[t - 1] / (1 - ab[t]) for t in ts}
    seqs = list(itertools.product(range(3), repeat=2))
    p_data = dict(zip(seqs, np.random.default_rng(29).dirichlet(np.ones(9)), strict=True))
    cells = []  # (weight of (X_0, t, pattern), t, X_0, X_t)
    for X0, pd in p_data.items():
        for t in ts:
            for pattern in itertools.product((0, 1), repeat=2):
                cells.append((pd * math.prod(1 - ab[t] if b else ab[t] for b in pattern), t, X0,
                              tuple(m if b else X0[i] for i, b in enumerate(pattern))))

    def weighted(den, w):  # sum_t w_t sum_i E_{p_data} E_{q(X_t|X_0)} [-log p_theta(x_0^i|X_t)]
        with np.errstate(divide="ignore"):  # the carried-over rows hold zeros; only masked positions are read
            nll = {Xt: -np.log(den(Xt)) for Xt in {cell[3] for cell in cells}}
        return sum(c * w[t] * (nll[Xt][0][X0[0]] + nll[Xt][1][X0[1]]) for c, t, X0, Xt in cells)

    def printed(den):
        return weighted(den, dict.fromkeys(ts, 1.0))

    def elbo(den):
        return weighted(den, rho)

    def elbo_oracle(den):
        return sum(pd * dd.absorbing_loss_enumeration(betas, t, X0, den, K, m) for X0, pd in p_data.items() for t in ts)

    def carry(Xt, probs):  # unmasked positions carry their token over
        return np.array([np.eye(4)[x] if x != m else np.append(pr, 0.0) for x, pr in zip(Xt, probs, strict=True)])

    @functools.cache
    def posterior(Xt):  # q(x_0^i | X_t) by enumeration over the data law (the same at every t for masking)
        w = np.array([pd * all(x in (m, X0[i]) for i, x in enumerate(Xt)) for X0, pd in p_data.items()])
        return tuple(np.array([w[[X0[i] == k for X0 in seqs]].sum() for k in range(3)]) / w.sum() for i in range(2))

    def table(noise=None):
        def den(Xt):
            probs = posterior(Xt)
            if noise is not None:
                probs = [pr * np.exp(noise[Xt, i]) / (pr * np.exp(noise[Xt, i])).sum() for i, pr in enumerate(probs)]
            return carry(Xt, probs)
        return den

    rng = np.random.default_rng(31)
    perturbed = [{"den": table({(Xt, i): 0.5 * rng.normal(size=3) for *_, Xt in cells for i in range(2)})}
                 for _ in range(12)]
    best = table()
    inside = all_of(
        num_compare(printed, ">", lambda den: printed(best), perturbed,
                    what="printed objective at perturbed table denoisers vs at q(x_0^i|X_t)"),
        num_compare(elbo, ">", lambda den: elbo(best), perturbed,
                    what="sum_t L_t at perturbed tables vs at q(x_0^i|X_t)"),
        num_equal(elbo, elbo_oracle, [{"den": best}, *perturbed[:2]],
                  what="sum_t rho_t (masked CE) vs sum_t L_t (discrete.absorbing_loss_enumeration)"))

    def shared(params):  # one logit vector theta and one weight phi on the other position's visible token
        theta, phi = params[:3], params[3]

        def den(Xt):
            probs = []
            for i in range(2):
                logits = theta + (phi * np.eye(3)[Xt[1 - i]] if Xt[1 - i] != m else 0.0)
                probs.append(np.exp(logits - logits.max()) / np.exp(logits - logits.max()).sum())
            return carry(Xt, probs)
        return den

    def argmin(objective):
        return optimize.minimize(lambda v: objective(shared(v)), np.zeros(4), method="BFGS",
                                 options={"gtol": 1e-10}).x

    def probs_at(params):  # the fitted denoiser's laws: other position masked, and showing token 0, 1, 2
        den = shared(params)
        return np.array([den((m, m))[0][:3]] + [den((m, j))[0][:3] for j in range(3)])

    fit_printed, fit_elbo = argmin(printed), argmin(elbo)
    outside = all_of(
        num_equal(elbo, elbo_oracle, [{"den": shared(fit_elbo)}],
                  what="sum_t rho_t (masked CE) vs the oracle at the fitted shared denoiser"),
        num_equal(lambda: probs_at(fit_printed), lambda: probs_at(fit_elbo), [{}], rtol=1e-4, atol=1e-5,
                  what="minimizing denoiser of the printed objective vs of sum_t L_t, in a family shared over "
                       "mask patterns (logits theta + phi [other token])"))
    return holds_if("the denoiser can represent q(x_0^i|X_t) for every X_t (e.g. a free table over X_t)",
                    inside, outside)


def _absorbing_marginal():
    betas = [0.25, 0.4, 0.1]
    K, m = 4, 3
    Qs = np.array([dd.absorbing_matrix(b, K, m) for b in betas])
    ab = dd.alpha_bars(betas)

    def slide(t, x0):
        e = np.eye(K)
        return ab[t] * e[x0] + (1 - ab[t]) * e[m]
    return num_equal(lambda t, x0: dd.forward_probs(Qs, t, x0), slide,
                     [{"t": t, "x0": x0} for t in (1, 2, 3) for x0 in range(3)],
                     what="q(x_t|x_0) vs abar_t [x_t = x_0] + (1 - abar_t) [x_t = e_m], x_0 != e_m")


def _absorbing_matrix_k3():
    b = sp.Symbol("beta", positive=True)
    printed = sp.Matrix([[1 - b, 0, 0], [0, 1 - b, 0], [b, b, 1]])
    e3 = sp.Matrix([0, 0, 1])
    general = (1 - b) * sp.eye(3) + b * e3 * sp.ones(1, 3)
    return all_of(sym_equal(printed, general, what="printed 3x3 Q_t vs (1 - beta) I + beta e_m 1^T, m = 3"),
                  sym_equal(printed * e3, e3, what="Q_t e_m = e_m (the mask column is absorbing)"))


def _absorbing_posterior_cases():
    betas = [0.25, 0.4, 0.1, 0.3]
    K, m = 4, 3
    Qs = np.array([dd.absorbing_matrix(b, K, m) for b in betas])
    ab = dd.alpha_bars(betas)

    def slide(t, xt, x0):
        e = np.eye(K)
        if xt != m:
            return e[xt]
        rho = betas[t - 1] * ab[t - 1] / (1 - ab[t])
        return rho * e[x0] + (1 - ab[t - 1]) / (1 - ab[t]) * e[m]
    cases = [{"t": t, "xt": xt, "x0": x0} for t in (2, 3, 4) for x0 in range(3) for xt in (x0, m)]
    closed = num_equal(slide, lambda t, xt, x0: dd.posterior_enumeration(Qs, t, xt, x0), cases,
                       what="slide's cases (rho_t on x_0, (1-abar_{t-1})/(1-abar_t) on e_m) vs enumeration")
    rho_sum = num_equal(lambda t: betas[t - 1] * ab[t - 1] / (1 - ab[t]) + (1 - ab[t - 1]) / (1 - ab[t]),
                        lambda t: 1.0, [{"t": t} for t in (2, 3, 4)], what="1 - rho_t = (1-abar_{t-1})/(1-abar_t)")
    return all_of(closed, rho_sum)


def _absorbing_loss():
    betas, X0, K, m = [0.2, 0.3, 0.5], (0, 2, 1), 4, 3
    pts = [{"t": t, "seed": s} for t in (1, 2, 3) for s in (1, 2)]
    return num_equal(lambda t, seed: dd.absorbing_loss_enumeration(betas, t, X0, _denoiser(seed), K, m),
                     lambda t, seed: dd.absorbing_loss_closed_form(betas, t, X0, _denoiser(seed), K, m), pts,
                     what="E sum_i KL(q||p_theta) by enumeration vs E sum_i rho_t [x^i = m](-log p_theta(x_0^i|X_t))")


def _mask_rate_range():
    # lambda_t = 1 - abar_t (abar_t by discrete.alpha_bars) lies in [0, 1]; it is non-decreasing exactly when the
    # registry's MDLM weights w = -(d abar)/(1 - abar) (discrete.mdlm_weight, here the discrete rho_t) are >= 0
    rng = np.random.default_rng(12)
    abars = [np.array(dd.alpha_bars(list(rng.uniform(0, 1, 6)))) for _ in range(5)]
    lam = [1 - ab for ab in abars]

    def weights(i):
        return dd.mdlm_weight(abars[i][1:], np.diff(abars[i]))
    pts = [{"i": i} for i in range(5)]
    return all_of(num_compare(lambda i: float(lam[i].min()), ">=", lambda i: 0.0, pts),
                  num_compare(lambda i: float(lam[i].max()), "<=", lambda i: 1.0, pts),
                  num_compare(lambda i: float(np.min(weights(i))), ">=", lambda i: 0.0, pts,
                              what="discrete.mdlm_weight(abar_t, abar_t - abar_{t-1}) >= 0 (lambda_t non-decreasing)"),
                  num_equal(lambda i: weights(i), lambda i: np.diff(lam[i]) / lam[i][1:], pts,
                            what="the weight is (lambda_t - lambda_{t-1})/lambda_t"))


def _mask_rate_law():
    # slide: q(x_lambda|x_0) = (1 - lambda)[x = x_0] + lambda [x = e_m]; registry: the absorbing chain's q(x_t|x_0)
    # (discrete.forward_probs) with lambda = lambda_t = 1 - abar_t
    betas, K, m = [0.25, 0.4, 0.1], 4, 3
    Qs = np.array([dd.absorbing_matrix(b, K, m) for b in betas])
    lam = 1 - np.array(dd.alpha_bars(betas))

    def slide(t, x0):
        e = np.eye(K)
        return (1 - lam[t]) * e[x0] + lam[t] * e[m]
    return num_equal(slide, lambda t, x0: dd.forward_probs(Qs, t, x0),
                     [{"t": t, "x0": x0} for t in (1, 2, 3) for x0 in range(3)],
                     what="(1 - lambda) e_{x_0} + lambda e_m vs discrete.forward_probs of the absorbing chain")


def _mask_rate_limit():
    X0, mask = (0, 2), 3
    den = _denoiser(3)
    cont = dd.continuous_mask_objective(X0, den, mask)

    def riemann(T):  # linear mask-rate schedule lambda_t = t/T: sum_t rho_t f(lambda_t)
        return dd.discrete_mask_objective([1 - t / T for t in range(T + 1)], X0, den, mask)
    r1, r2 = riemann(400), riemann(800)
    return num_equal(lambda: 2 * r2 - r1, lambda: cont, [{}], rtol=1e-5,
                     what="Richardson limit (T -> inf) of sum_t rho_t E[masked CE] vs int_0^1 (1/lambda) E[masked CE]")


def _mdlm_single_sample():
    # Sampling lambda ~ w (inverse CDF of the normalized w) and averaging the unweighted masked CE f(lambda)
    # (discrete.masked_ce_polynomial) vs the target int w f d lambda: equal exactly when int w = 1, which sampling
    # lambda ~ w presupposes: w = 2 lambda (a density, F^{-1}(u) = sqrt u). The ELBO weight
    # w = discrete.mdlm_weight(1 - lambda, -1) = 1/lambda (its target is discrete.continuous_mask_objective) is not a
    # density on [1e-12, 1].
    X0, mask, delta = (0, 2), 3, 1e-12
    den = _denoiser(3)
    f, lam = dd.masked_ce_polynomial(X0, den, mask)
    fn = sp.lambdify(lam, f, "numpy")

    def quad(g, lo=0.0, hi=1.0):
        return integrate.quad(g, lo, hi, epsabs=1e-13, epsrel=1e-12, limit=200)[0]
    inside = num_equal(lambda: quad(lambda u: fn(np.sqrt(u))), lambda: quad(lambda x: 2 * x * fn(x)), [{}],
                       what="E_{lambda ~ 2 lambda}[f] (inverse-CDF sampling) vs int 2 lambda f(lambda) d lambda")

    def elbo_weight(x):
        return dd.mdlm_weight(1 - x, -1.0)
    # 'lambda ~ w(lambda)' (step 1) makes w a probability density; the ELBO weight 1/lambda of 000:5155 is not one
    # (infinite mass; 27.6 on [1e-12, 1]), so sampling it would estimate int w f / int w, not int w f
    # lambda = e^u; mdlm_weight(1 - lambda) carries the roundoff of 1 - lambda near 0 (1e-4 relative at 1e-12), too
    # noisy for adaptive quadrature, and only "> 1" is asked: the trapezoid rule on 2001 points in u
    u = np.linspace(np.log(delta), 0.0, 2001)
    mass = float(integrate.trapezoid(np.array([elbo_weight(np.exp(v)) for v in u]) * np.exp(u), u))
    not_a_density = num_compare(lambda: mass, ">", lambda: 1.0, [{}],
                                what="int of the ELBO weight 1/lambda over [1e-12, 1] (> 1: not a density to sample)")
    target = num_equal(lambda: quad(lambda x: elbo_weight(x) * fn(x), delta, 1.0),
                       lambda: dd.continuous_mask_objective(X0, den, mask, lam_lo=delta), [{}], rtol=1e-7,
                       what="int w f by quadrature vs discrete.continuous_mask_objective")
    return all_of(target, inside, not_a_density)


def _ar_as_printed():
    # printed: prod_i p(x_i | x_{1:i}); registry: the chain-rule conditionals p(x_i | x_{1:i-1})
    # (autoregressive.conditionals_from_joint) whose product is p(x) (autoregressive.joint_from_conditionals)
    rng = np.random.default_rng(13)
    p = rng.dirichlet(np.ones(8)).reshape(2, 2, 2)  # a law on {0,1}^3

    def cond_incl(x, i):  # p(x_i | x_{1:i}) = p(x_{1:i}) / p(x_{1:i}): the conditioning includes x_i itself
        pref = p[tuple(x[: i + 1])].sum()
        return pref / pref

    def printed(x):
        return math.prod(cond_incl(x, i) for i in range(3))

    def registry(x):
        return float(ar.joint_from_conditionals(lambda y: ar.conditionals_from_joint(p, y), 2, 3)[tuple(x)])
    def chain_rule(x):  # prod_i p(x_i | x_{1:i-1}) from the registry's conditionals
        c = ar.conditionals_from_joint(p, np.array(x))
        return float(np.prod(c[np.arange(3), list(x)]))
    every = [{"x": x} for x in itertools.product((0, 1), repeat=3)]
    return slip(num_equal(printed, registry, [{"x": (0, 1, 1)}],
                          what="prod_i p(x_i | x_{1:i}) vs prod_i p(x_i | x_{1:i-1}) = p(x) (random law on "
                               "{0,1}^3)"),
                num_equal(chain_rule, lambda x: float(p[x]), every,
                          what="corrected prod_i p(x_i | x_{1:i-1}) vs p(x), all 8 points"),
                evidence=(Place("000", "L14", "What We Covered: Part 1", 5219),),
                why="an index off by one: the line names its source, 'Autoregressive (L1)', and L1 writes the "
                    "factorization with x_{1:j-1} (line 300)")


def _change_of_variables():
    # slide: log p(x) = log p(z) + log|det dz/dx| for x = A z + c, z ~ N(0, I) (written with scipy's N(0, I) and the
    # determinant of A^{-1}); registry: flows.flow_log_density(z, flows.log_abs_det(dz/dx)); both vs the exact law
    rng = np.random.default_rng(14)
    A = rng.normal(size=(2, 2)) + 2 * np.eye(2)
    c = rng.normal(size=2)

    def slide(x):
        z = np.linalg.solve(A, x - c)
        return float(stats.multivariate_normal(np.zeros(2), np.eye(2)).logpdf(z)
                     + np.log(abs(np.linalg.det(np.linalg.inv(A)))))

    def registry(x):
        return float(flows.flow_log_density(np.linalg.solve(A, x - c), flows.log_abs_det(np.linalg.inv(A))))
    pts = points(6, seed=15, x=lambda r: r.normal(size=2))
    return all_of(num_equal(slide, registry, pts, what="slide's log p(z) + log|det dz/dx| vs flows.flow_log_density"),
                  num_equal(slide, lambda x: float(stats.multivariate_normal(c, A @ A.T).logpdf(x)), pts,
                            what="vs the exact density of x = A z + c"))


def _elbo_bound():
    # slide's right side E_q log p(x|z) - KL(q||p(z)) (written out) vs latent.disc_elbo, and log p(x) =
    # latent.disc_log_marginal >= it, for random discrete models and q (with a zero entry)
    rng = np.random.default_rng(16)
    pts = []
    for i in range(8):
        prior = rng.dirichlet(np.ones(4))
        lik = rng.dirichlet(np.ones(3), size=4)  # p(x|z) over 3 values of x, for 4 values of z
        q = rng.dirichlet(np.ones(4))
        if i % 2:
            q[0] = 0.0
            q /= q.sum()
        pts.append({"prior": prior, "lik": lik, "q": q, "x": int(rng.integers(3))})

    def slide_rhs(prior, lik, q, x):
        nz = q > 0
        return float(np.sum(q[nz] * np.log(lik[nz, x])) - np.sum(q[nz] * np.log(q[nz] / prior[nz])))
    return all_of(num_equal(slide_rhs, lambda prior, lik, q, x: lat.disc_elbo(prior, lik, x, q), pts,
                            what="E_q log p(x|z) - KL(q||p(z)) vs latent.disc_elbo"),
                  num_compare(lambda prior, lik, q, x: lat.disc_log_marginal(prior, lik, x), ">=", slide_rhs, pts,
                              what="log p(x) (latent.disc_log_marginal) >= E_q log p(x|z) - KL(q||p(z))"))


def _vq_elbo():
    # slide: L = log p(x|z_q) - log K with z_q the nearest code (vq.nearest_code); true: E_q log p(x|z) - KL(q||U{1..K})
    # with q(c|x) one-hot at k* and the KL from vq.kl_to_uniform
    rng = np.random.default_rng(18)
    K = 5
    E = rng.normal(size=(K, 2))
    loglik = np.log(rng.dirichlet(np.ones(6), size=K))  # log p(x|e_k) over 6 values of x
    pts = [{"x": int(rng.integers(6)), "z": rng.normal(size=(1, 2))} for _ in range(5)]

    def elbo(x, z):
        q = np.eye(K)[vq.nearest_code(z, E)[0]]
        return float(np.sum(q * loglik[:, x]) - vq.kl_to_uniform(q))

    def slide(x, z):
        k = int(np.argmin(((z[0] - E) ** 2).sum(-1)))  # z_q = e_k, the nearest code
        return float(loglik[k, x] - np.log(K))
    return num_equal(slide, elbo, pts,
                     what="log p(x|z_q) - log K vs E_q log p(x|z) - KL(q(c|x)||Uniform(K)) (vq.kl_to_uniform)")


def _c(id_, formulas, check=None, meaning="", kind="claim", **kw):
    return Claim(id=id_, formulas=tuple(formulas), kind=kind, meaning=meaning, check=check, **kw)


_D = "definition"
CLAIMS: list[Claim] = [
    _c("000.L13.gaussian_chain", ["000:4797"], kind=_D, meaning="The Gaussian forward kernel, for comparison."),
    _c("000.L13.discrete_chain", ["000:4803"], kind=_D,
       meaning="The discrete forward kernel: a categorical law with probability vector Q_t x_{t-1} (one-hot x)."),
    _c("000.L13.transition_matrix", ["000:4814"], _column_sums, theorem="discrete.transition",
       meaning="[Q_t]_{ij} = q(x_t = i | x_{t-1} = j) (a definition) and the assertion that columns sum to 1 "
               "(conditional probabilities over i). Checked on the uniform and absorbing choices."),
    _c("000.L13.cumulative", ["000:4819"], _cumulative_product, theorem="discrete.cumulative",
       meaning="q(x_t|x_0) = Cat(Q_{1:t} x_0) with Q_{1:t} = Q_t Q_{t-1} ... Q_1 (column convention). Checked "
               "against the chain's law by enumeration for random non-commuting column-stochastic Q_t.",
       convention=(Place("000", "L13", "Transition Matrix", 4814),)),
    _c("000.L13.uniform_q", ["000:4833", "000:4849"], kind=_D,
       meaning="Uniform transition matrix (1 - beta_t) I + beta_t U, U_ij = 1/K."),
    _c("000.L13.absorbing_q", ["000:4839", "000:4861", "000:5063"], kind=_D,
       meaning="Absorbing transition matrix (1 - beta_t) I + beta_t e_m 1^T (and abar_t = prod (1 - beta_s))."),
    _c("000.L13.uniform_cumulative", ["000:4851"], _uniform_cumulative, theorem="discrete.cumulative",
       meaning="Q_{1:t} = abar_t I + (1 - abar_t) U for uniform Q_s, abar_t = prod_{s<=t} (1 - beta_s)."),
    _c("000.L13.absorbing_cumulative", ["000:4863", "000:5064"], _absorbing_cumulative, theorem="discrete.cumulative",
       meaning="Q_{1:t} = abar_t I + (1 - abar_t) e_m 1^T for absorbing Q_s."),
    _c("000.L13.posterior_bayes", ["000:4906", "004:104"], _bayes_posterior, theorem="discrete.posterior",
       meaning="q(x_{t-1}|x_t, x_0) = q(x_t|x_{t-1}, x_0) q(x_{t-1}|x_0)/q(x_t|x_0) (Bayes; Markov: "
               "q(x_t|x_{t-1}, x_0) = q(x_t|x_{t-1}) = Cat(Q_t x_{t-1})); the second line is the same in shorthand."),
    _c("000.L13.posterior_matrix_form", ["000:4912", "000:5025"], _posterior_as_printed, theorem="discrete.posterior",
       meaning="Column convention [Q_t]_{ij} = q(x_t = i|x_{t-1} = j), one-hot x: the printed probability vector "
               "over x_{t-1} is Q_t x_t ⊙ Q_{1:t-1} x_0 / (x_t^T Q_{1:t} x_0). Q_t x_t is the law of the NEXT "
               "state from x_t; Bayes needs the row [Q_t]_{x_t, .} = Q_t^T x_t. Absorbing counterexample: "
               "K = 3, m = e_2, beta = (0.3, 0.4), t = 2, x_t = m, x_0 = e_0 (for a symmetric Q_t, e.g. uniform, the "
               "two coincide). Judgement: slip (a missing transpose), read against the column convention of line "
               "4814 (cited); the Bayes line above fixes the intended row.",
       corrected=r"q(\mathbf{x}_{t-1}|\mathbf{x}_t,\mathbf{x}_0) = \text{Cat}\left(\frac{\mathbf{Q}_t^\top "
                 r"\mathbf{x}_t "
                 r"\odot \mathbf{Q}_{1:t-1}\mathbf{x}_0}{\mathbf{x}_t^\top \mathbf{Q}_{1:t}\mathbf{x}_0}\right)",
       convention=(Place("000", "L13", "Transition Matrix", 4814),)),
    _c("000.L13.elbo_term", ["000:4916", "000:4929", "004:151"], kind=_D,
       meaning="The ELBO term L_t = E_{q(x_t|x_0)} KL(q(x_{t-1}|x_t, x_0) || p_theta(x_{t-1}|x_t))."),
    _c("000.L13.reverse_model", ["000:4921"], kind=_D, meaning="The reverse model, a categorical law."),
    _c("000.L13.categorical_kl", ["000:4933", "004:157"], _categorical_kl, theorem="discrete.categorical_kl",
       meaning="KL(Cat(q)||Cat(p)) = sum_k q_k log(q_k/p_k) = H(q, p) - H(q) (cross-entropy minus entropy)."),
    _c("000.L13.ce_objective", ["000:4940", "004:163"], _kl_minus_ce, theorem="discrete.categorical_kl",
       meaning="Minimizing L_t over theta is minimizing E H(q(x_{t-1}|x_t, x_0), p_theta(x_{t-1}|x_t)): the two "
               "differ by E H(q(x_{t-1}|x_t, x_0)), which does not depend on theta."),
    _c("000.L14.onehot_sequence", ["000:5002"], kind="notation",
       meaning="A sequence of m one-hot tokens as a K x m matrix X_t."),
    _c("000.L14.token_forward", ["000:5008"], _token_factorization_step, theorem="discrete.sequence_factorization",
       meaning="Independent token-wise forward step: q(X_t|X_{t-1}) = prod_i q(x_t^i|x_{t-1}^i), written as Cat of "
               "the columns of Q_t X_{t-1}. Checked against the joint chain on sequences."),
    _c("000.L14.sequence_cumulative_as_printed", ["000:5021"], _sequence_one_step_as_printed,
       meaning="As printed, the left side is the one-step kernel q(X_t|X_{t-1}) = Cat(Q_t X_{t-1}), set equal to "
               "Cat(Q_{1:t} X_0). Counterexample with m = 1, uniform Q, beta = (0.3, 0.4), t = 2, x_1 = x_0 = e_0. "
               "Judgement: slip (X_{t-1} for X_0; the one-step line above and Q_{1:t} X_0 fix it).",
       corrected=r"q(\mathbf{X}_t | \mathbf{X}_0) = \text{Cat}(\mathbf{Q}_{1:t} \mathbf{X}_0)"),
    _c("000.L14.sequence_posterior", ["000:5026"], _sequence_posterior_product,
       theorem="discrete.sequence_factorization",
       meaning="q(X_{t-1}|X_t, X_0) = prod_i q(x_{t-1}^i|x_t^i, x_0^i) for the independent token-wise chain. "
               "Checked by Bayes on the joint chain."),
    _c("000.L14.reverse_sequence_model", ["000:5033", "000:5111"], kind=_D,
       meaning="The factorized reverse model; each factor conditions on the whole X_t."),
    _c("000.L14.kl_sum", ["000:5041"], _kl_of_products, theorem="discrete.sequence_factorization",
       meaning="Both laws factorize over positions (q by the previous claim, p_theta by definition), so the KL of "
               "the sequence laws is the sum of per-token KLs (the x_t in p_theta(x^i_{t-1}|x_t) read as X_t)."),
    _c("000.L14.masked_lm_final_objective", ["000:5045"], _masked_lm_same_minimizer, theorem="discrete.absorbing_loss",
       meaning="'Final objective': the sum over t of the ELBO terms (previous claim) replaced by the unweighted "
               "sum_t sum_i E_{q(X_t|X_0)}[-log p_theta(x_0^i|X_t)] (x_0-parametrized reverse model, data averaged). "
               "Read as the L_simple of 000:2940 is read (000.L8.simple_loss_same_minimizer): a surrogate of sum_t "
               "L_t with the same minimizing denoiser, not the ELBO itself (the weights rho_t are dropped, so the "
               "difference to the ELBO changes with theta). Checked on the absorbing chain (m = 2, K = 3 + mask, "
               "beta = (0.2, 0.3, 0.5), a random data law): a denoiser free per X_t minimizes both at q(x_0^i|X_t) "
               "(12 perturbations raise both); a family shared over mask patterns has different minimizers. "
               "Judgement: holds_if, consistent with L_simple; judging it as the ELBO (fails) would hold the slide "
               "to a claim it does not make.",
       corrected=r"\sum_{t=1}^T \mathcal{L}_t = \sum_{t=1}^T \mathbb{E}_{q(\mathbf{X}_t|\mathbf{X}_0)} \sum_{i=1}^m "
                 r"\rho_t [\mathbf{x}_t^i = \mathbf{e}_m] [-\log p_\theta(\mathbf{x}_0^i|\mathbf{X}_t)] "
                 r"\text{ (absorbing, } x_0\text{-parametrization)}"),
    _c("000.L14.absorbing_marginal", ["000:5068", "000:5133", "004:78", "004:94"], _absorbing_marginal,
       theorem="discrete.cumulative",
       meaning="For x_0 != e_m: q(x_t|x_0) puts abar_t on x_0 and 1 - abar_t on e_m (0 elsewhere); per token in "
               "004's sequence view."),
    _c("000.L14.absorbing_matrix_k3", ["000:5070"], _absorbing_matrix_k3,
       meaning="For K = 3 and m = 3 the printed matrix is (1 - beta_t) I + beta_t e_3 1^T (column convention), "
               "and its mask column is e_3: once masked, always masked.",
       convention=(Place("000", "L13", "Transition Matrix", 4814),)),
    _c("000.L14.absorbing_posterior", ["000:5078", "000:5082", "000:5099", "004:112", "004:127", "004:129",
                                       "004:139"], _absorbing_posterior_cases, theorem="discrete.absorbing_posterior",
       meaning="Absorbing posterior: unmasked x_t stays (x_{t-1} = x_t); masked x_t gives x_0 with rho_t = "
               "beta_t abar_{t-1}/(1 - abar_t) and e_m with (1 - abar_{t-1})/(1 - abar_t) (= 1 - rho_t). Checked "
               "against enumeration for all t in 2..4, x_0 != e_m."),
    _c("000.L14.absorbing_loss", ["000:5115", "000:5151"], _absorbing_loss, theorem="discrete.absorbing_loss",
       meaning="With the x_0-parametrized reverse model (p_theta(x_{t-1}|X_t) = sum_{x_0} q(x_{t-1}|x_t, x_0) "
               "p_theta(x_0|X_t)), L_t = E sum_i rho_t [x_t^i = e_m](-log p_theta(x_0^i|X_t)) + const (const = 0 "
               "here). Checked by enumeration (m = 3)."),
    _c("000.L14.mask_rate", ["000:5137"], _mask_rate_range, theorem="discrete.mask_rate",
       meaning="lambda_t = 1 - abar_t lies in [0, 1] (and increases with t) for beta_s in [0, 1]."),
    _c("000.L14.mask_rate_index", ["000:5141"], kind="notation",
       meaning="Re-indexing by the mask rate lambda instead of t."),
    _c("004.L14.sequence_forward", ["004:90"], _sequence_forward_product, theorem="discrete.sequence_factorization",
       meaning="q(x_t|x_0) over a sequence = prod_l q(x_t^l|x_0^l) for the independent token-wise chain. Checked "
               "against the joint chain on sequences (random Q_t, t = 2, 3)."),
    _c("000.L14.mask_rate_law", ["000:5145"], _mask_rate_law, theorem="discrete.cumulative",
       meaning="q(x_lambda|x_0) is q(x_t|x_0) of the absorbing chain with abar_t = 1 - lambda."),
    _c("000.L14.mask_rate_elbo", ["000:5155"], _mask_rate_limit, theorem="discrete.mask_rate",
       meaning="The continuous-time limit of sum_t L_t: since rho_t = (lambda_t - lambda_{t-1})/lambda_t, the sum "
               "is a Riemann sum of int w(lambda) f(lambda) d lambda with w(lambda) = 1/lambda (the slide leaves w "
               "unspecified; the claim holds with this weight). Checked on a linear mask-rate grid (Richardson "
               "extrapolation of T = 400, 800) against the exact integral."),
    _c("000.L14.mdlm_corrupt", ["000:5168"], kind=_D,
       meaning="Training step 2: independent masking with probability lambda (a draw of q_lambda(X_lambda|X_0))."),
    _c("000.L14.mdlm_parallel_prediction", ["000:5172"], kind=_D, meaning="The factorized denoiser."),
    _c("000.L14.mdlm_loss_estimator", ["000:5176"], _mdlm_single_sample, theorem="discrete.mask_rate",
       meaning="Training with lambda ~ w(lambda) (step 1) and the unweighted masked CE L(theta) gives an unbiased "
               "estimate of int w(lambda) E[masked CE] d lambda. True only when w is a probability density; the "
               "ELBO's weight w = 1/lambda has infinite mass (cannot be sampled), so then one samples lambda "
               "uniformly and multiplies the loss by 1/lambda. Judgement: holds, not holds_if 'w is a density': "
               "the algorithm samples lambda ~ w(lambda) (the convention cited, step 1), which makes w a density; "
               "the check also shows the ELBO weight is not one.",
       convention=(Place("000", "L14", "Training", 5165),)),
    _c("000.L14.divergence_minimization", ["000:5210"], kind=_D,
       meaning="The divergence-minimization view of generative modelling."),
    _c("000.L14.ar_recap", ["000:5221"], _ar_as_printed, theorem="ar.factorization",
       meaning="As printed the i-th factor conditions on x_{1:i}, which includes x_i: p(x_i|x_{1:i}) = 1, so the "
               "product is 1, not p(x). Checked on a random law over {0,1}^3. Judgement: slip (an index off by one; "
               "the line names its source, L1, whose factorization (line 300, cited) has x_{1:i-1}).",
       corrected=r"p_{\theta}(\mathbf{x}) = \prod_{i=1}^n p_{\theta}(x_i | \mathbf{x}_{1:i-1})",
       convention=(Place("000", "L1", "Likelihood as a Product of Conditionals", 300),)),
    _c("000.L14.flow_recap", ["000:5225"], _change_of_variables, theorem="change_of_variables.density",
       meaning="x = f_theta(z) invertible, z ~ p(z): log p(x) = log p(z) + log|det dz/dx|. Checked for an affine "
               "flow in 2-D against the exact Gaussian density."),
    _c("000.L14.vae_recap", ["000:5230"], _elbo_bound, theorem="elbo.bound",
       meaning="The ELBO lower-bounds the log-likelihood for any q. Checked by enumeration with discrete z."),
    _c("002.L14.vq_quantizer", ["002:529", "002:531"], kind=_D,
       meaning="The VQ quantizer: nearest codebook vector."),
    _c("002.L14.vq_elbo", ["002:535", "004:284"], _vq_elbo, theorem="vq.deterministic_posterior_kl",
       meaning="ELBO with a deterministic (one-hot) posterior q(c|x) at k* and a uniform prior over K codes: "
               "E_q log p(x|z) - KL(q||U) = log p(x|z_q) - log K."),
    _c("004.L14.x0_denoiser", ["004:186"], kind=_D, meaning="The x_0-predicting denoiser."),
    _c("004.L14.mask_objective", ["004:190"], kind=_D,
       meaning="The practical masked objective with an optional time weight w_t (defined as a training loss)."),
    _c("004.L14.masked_lm_view", ["004:201"], kind=_D, meaning="The training recipe as a masked LM."),
]
