"""000 Lecture 4: discrete VAE latents (KL to a uniform prior), VQ-VAE (deterministic posterior,
straight-through estimator, codebook and commitment losses), ELBO surgery, the optimal prior and
flow-based priors."""

from __future__ import annotations

import numpy as np

from dgmcheck.audit.claims.f000_l03_elbo_vae import _disc_points, _lg_points, _recon_minus_kl
from dgmcheck.audit.formulas import Place
from dgmcheck.audit.model import Claim, all_of, imprecise, num_compare, num_equal, points
from dgmcheck.theory import latent, vq

_LOG2PI = float(np.log(2 * np.pi))


# --------------------------------------------------------------------------- discrete latents
def _uniform_disc_points(n, seed, K=4):
    out = []
    for p in _disc_points(n, seed):
        out.append({**p, "prior": np.full(K, 1.0 / K)})
    return out


def _discrete_elbo():
    # L = E_q log p(x|c) - KL(q || p(c)) for the uniform prior, by enumeration (registry latent oracles)
    return num_equal(lambda prior, lik, x, q: latent.disc_elbo(prior, lik, x, q),
                     lambda prior, lik, x, q: latent.disc_recon(lik, x, q) - latent.categorical_kl(q, prior),
                     _uniform_disc_points(20, 81), what="sum_c q log p(x,c)/q = E_q log p(x|c) - KL(q || U{1..K})")


def _kl_uniform_chain():
    K = 5

    def draw(r):
        q = r.dirichlet(np.ones(K) * 0.7)
        return q

    pts = points(20, seed=82, q=draw)
    p = np.full(K, 1.0 / K)

    def line1(q):
        return latent.categorical_kl(q, p)

    def line2(q):
        return float(q @ np.log(q) - q @ np.log(p))

    def line3(q):
        return float(-latent.entropy(q) + np.log(K))

    return all_of(num_equal(line1, line2, pts, what="sum q log(q/p) = sum q log q - sum q log p"),
                  num_equal(line2, line3, pts, what="... = -H(q) + log K, p(k) = 1/K"),
                  num_equal(line1, lambda q: float(vq.kl_to_uniform(q)), pts, what="registry oracle vq.kl_to_uniform"))


def _discrete_elbo_entropy():
    # the slide's right side (H the Shannon entropy, vq.entropy) vs the ELBO by enumeration, and vs reconstruction
    # minus the registry oracle's KL(q || U{1..K}) (vae.discrete_kl_uniform: vq.kl_to_uniform)
    K = 4
    pts = _uniform_disc_points(20, 83, K)

    def slide(prior, lik, x, q):
        return latent.disc_recon(lik, x, q) + float(vq.entropy(q)) - np.log(K)

    return all_of(num_equal(lambda prior, lik, x, q: latent.disc_elbo(prior, lik, x, q), slide, pts,
                            what="L (enumeration) = E_q log p(x|c) + H(q) - log K (uniform prior)"),
                  num_equal(lambda prior, lik, x, q: latent.disc_recon(lik, x, q) - float(vq.kl_to_uniform(q)), slide,
                            pts, what="E_q log p(x|c) - KL(q || U) (vq.kl_to_uniform) = E_q log p(x|c) + H(q) - log K"))


# --------------------------------------------------------------------------- VQ-VAE
def _vq_setup(rng):
    E = rng.normal(size=(6, 2))
    return {"E": E, "z": rng.normal(size=2) * 1.2}


def _onehot(z, E):
    q = np.zeros(len(E))
    q[int(vq.nearest_code(z[None], E)[0])] = 1.0
    return q


def _deterministic_kl():
    pts = [p["c"] for p in points(10, seed=84, c=_vq_setup)]
    return all_of(
        num_equal(lambda E, z: float(vq.entropy(_onehot(z, E))), lambda E, z: 0.0, pts, what="H(one-hot q) = 0"),
        num_equal(lambda E, z: latent.categorical_kl(_onehot(z, E), np.full(len(E), 1.0 / len(E))),
                  lambda E, z: float(np.log(len(E))), pts, what="KL(one-hot q || U{1..K}) = log K"))


_B_DEC = np.array([[1.0, 0.4], [-0.3, 1.2], [0.5, -0.8]])


def _log_dec(x, e):
    """log p_theta(x | e) = log N(x; B e, I)."""
    r = x - _B_DEC @ e
    return float(-0.5 * r @ r - 1.5 * _LOG2PI)


def _vq_elbo():
    # with the deterministic posterior: E_q log p(x|e_c) - log K = log p(x|z_q) - log K, and it equals the full ELBO
    # E_q log p(x|e_c) - KL(q || U{1..K})
    pts = [{**p["c"], "x": p["x"]} for p in points(10, seed=85, c=_vq_setup, x=lambda r: r.normal(size=3))]
    K = 6

    def expectation(E, z, x):
        q = _onehot(z, E)
        return float(sum(q[k] * _log_dec(x, E[k]) for k in range(K) if q[k] > 0)) - np.log(K)

    def at_zq(E, z, x):
        zq = E[int(np.argmin(np.linalg.norm(E - z, axis=1)))]
        return _log_dec(x, zq) - np.log(K)

    def full_elbo(E, z, x):
        q = _onehot(z, E)
        return float(sum(q[k] * _log_dec(x, E[k]) for k in range(K) if q[k] > 0)) - latent.categorical_kl(
            q, np.full(K, 1.0 / K))

    return all_of(num_equal(expectation, at_zq, pts, what="E_q log p(x|e_c) - log K = log p(x|z_q) - log K"),
                  num_equal(full_elbo, expectation, pts, what="the ELBO with KL = log K"))


# the straight-through setting: z_e(phi) = phi * u, decoder log p(x|z) = log N(x; B z, I), codebook of 6 codes
_U = np.array([0.8, -0.5])
_X = np.array([0.3, -1.0, 0.7])


def _zq_of(phi, E):
    """z_q = e_{k*(z_e)}, k* by the registry oracle vq.nearest_code."""
    ze = phi * _U
    return E[int(vq.nearest_code(ze[None], E)[0])]


def _st_points():
    return [{"phi": p["phi"], "E": p["c"]["E"]} for p in points(8, seed=86, phi=(-2, 2), c=_vq_setup)]


def _exact_grad(phi, E, h=1e-6):
    return (_log_dec(_X, _zq_of(phi + h, E)) - _log_dec(_X, _zq_of(phi - h, E))) / (2 * h)


def _decoder_grad(zq):
    return _B_DEC.T @ (_X - _B_DEC @ zq)  # d log p(x|z)/dz at z = z_q


def _st_chain_rule():
    # dz_q/dz_e = 0 (z_q is piecewise constant in z_e, away from the cell boundaries), so both chain-rule
    # expressions equal the exact derivative, which is 0
    def dzq_dze(phi, E, h=1e-6):
        ze = phi * _U
        cols = []
        for e in np.eye(2):
            plus = E[int(np.argmin(np.linalg.norm(E - (ze + h * e), axis=1)))]
            minus = E[int(np.argmin(np.linalg.norm(E - (ze - h * e), axis=1)))]
            cols.append((plus - minus) / (2 * h))
        return np.stack(cols, 1)

    def chain(phi, E):
        return float(_decoder_grad(_zq_of(phi, E)) @ dzq_dze(phi, E) @ _U)

    return num_equal(_exact_grad, chain, _st_points(),
                     what="d log p(x|z_q)/d phi (central differences) = G . dz_q/dz_e . dz_e/dphi (both 0)")


def _st_approximation():
    # the exact gradient is 0 almost everywhere; the straight-through value G . dz_e/dphi is not. Every input of the
    # setting is in the evidence: z_e = phi u, codebook E (rows e_k), decoder log p(x|z) = log N(x; B z, I).
    def zq(phi, E, u):  # nearest code by the registry oracle vq.nearest_code
        return E[int(vq.nearest_code((phi * u)[None], E)[0])]

    def log_dec(x, B, z):
        r = x - B @ z
        return float(-0.5 * r @ r - 0.5 * len(x) * _LOG2PI)

    def exact(phi, E, u, B, x, h=1e-6):
        return (log_dec(x, B, zq(phi + h, E, u)) - log_dec(x, B, zq(phi - h, E, u))) / (2 * h)

    def straight_through(phi, E, u, B, x):
        return float((B.T @ (x - B @ zq(phi, E, u))) @ u)

    pts = [{**p, "u": _U, "B": _B_DEC, "x": _X} for p in _st_points()]
    as_approximation = num_equal(exact, straight_through, pts,
                                 what="exact d log p(x|z_q)/d phi (central differences, h = 1e-6) vs the "
                                      "straight-through value (d log p/d z_q) . dz_e/dphi")
    # the reading the slide's heading names: the right side is the straight-through estimator, i.e. exactly the
    # phi-derivative of the surrogate log p(x | z_e + sg[z_q - z_e]) (sg frozen), which is what training uses
    return imprecise(as_approximation, _st_implementation(),
                     evidence=(Place("000", "L4", "Straight-Through Gradient Estimator", 1295),),
                     why="the slide's heading names the right side an estimator: it is, exactly, the gradient of "
                         "the straight-through surrogate log p(x | z_e + sg[z_q - z_e]), a deliberate biased "
                         "replacement for the true gradient (0 a.e.), not an approximation of it in any limit; "
                         "'≈' labels the replacement as if it approximated the left side")


def _st_implementation():
    # z_q^st = z_e + sg[z_q - z_e]: forward value z_q; derivative in phi with the sg term frozen = G . dz_e/dphi
    def forward(phi, E):
        ze = phi * _U
        return ze + (_zq_of(phi, E) - ze)

    def st_grad(phi, E, h=1e-6):
        frozen = _zq_of(phi, E) - phi * _U  # sg[z_q - z_e] at the current phi

        def f(p):
            return _log_dec(_X, p * _U + frozen)

        return (f(phi + h) - f(phi - h)) / (2 * h)

    return all_of(num_equal(forward, lambda phi, E: _zq_of(phi, E), _st_points(), what="forward value = z_q"),
                  num_equal(st_grad, lambda phi, E: float(_decoder_grad(_zq_of(phi, E)) @ _U), _st_points(),
                            rtol=1e-6, atol=1e-8, what="backward: d/dphi log p(x | z_e + sg[z_q - z_e]) = G . u"))


def _vq_losses():
    # L = -ELBO + ||sg[z_e] - e_k||^2 + beta ||z_e - sg[e_k]||^2: gradients with sg frozen (central differences)
    # vs the registry oracle vq.loss_gradients; value = -ELBO + (1 + beta) ||z_e - e_k||^2
    beta = 0.25
    pts = [p["c"] for p in points(8, seed=87, c=_vq_setup)]

    def grads(E, z, h=1e-6):
        k = int(vq.nearest_code(z[None], E)[0])

        def codebook(z_, e_, z_sg):
            return float(np.sum((z_sg - e_) ** 2))

        def commitment(z_, e_sg):
            return beta * float(np.sum((z_ - e_sg) ** 2))

        g_cb_e = np.array([(codebook(z, E[k] + h * d, z) - codebook(z, E[k] - h * d, z)) / (2 * h) for d in np.eye(2)])
        g_cb_z = np.array([(codebook(z + h * d, E[k], z) - codebook(z - h * d, E[k], z)) / (2 * h) for d in np.eye(2)])
        g_cm_z = np.array([(commitment(z + h * d, E[k]) - commitment(z - h * d, E[k])) / (2 * h) for d in np.eye(2)])
        return np.concatenate([g_cb_e, g_cb_z, g_cm_z])

    def oracle(E, z):
        g = vq.loss_gradients(z[None], E, beta)
        k = int(vq.nearest_code(z[None], E)[0])
        return np.concatenate([g["codebook_wrt_E"][k], g["codebook_wrt_z"][0], g["commitment_wrt_z"][0]])

    def value(E, z):
        k = int(vq.nearest_code(z[None], E)[0])
        return float(np.sum((z - E[k]) ** 2) + beta * np.sum((z - E[k]) ** 2))

    def oracle_value(E, z):
        return float((1 + beta) * vq.loss_gradients(z[None], E, beta)["value"][0])

    return all_of(num_equal(grads, oracle, pts, rtol=1e-6, atol=1e-8,
                            what="codebook term moves e_k only (2(e_k - z_e)), commitment moves z_e only "
                                 "(2 beta (z_e - e_k))"),
                  num_equal(value, oracle_value, pts, what="forward value of the two terms = (1+beta)||z_e - e_k||^2"))


# --------------------------------------------------------------------------- ELBO surgery
def _surgery_points(n, seed):
    def draw(r):
        nobs, K = 5, 4
        return {"q": r.dirichlet(np.ones(K), size=nobs), "prior": r.dirichlet(np.ones(K)),
                "lik": r.dirichlet(np.ones(3), size=K), "x": r.integers(0, 3, size=nobs)}

    return [p["c"] for p in points(n, seed=seed, c=draw)]


def _mi(q):
    """Mutual information of (i, z) with i uniform on the data indices and z | i ~ q_i: H(z) - H(z | i)."""
    return latent.entropy(q.mean(0)) - float(np.mean([latent.entropy(r) for r in q]))


def _average_elbo():
    return num_equal(lambda q, prior, lik, x: latent.average_elbo(q, prior, lik, x),
                     lambda q, prior, lik, x: float(np.mean([latent.disc_recon(lik, int(xi), qi)
                                                             - latent.categorical_kl(qi, prior)
                                                             for xi, qi in zip(x, q, strict=True)])),
                     _surgery_points(10, 88), what="(1/n) sum L(x_i) = (1/n) sum [E log p(x_i|z) - KL(q_i || p)]")


def _surgery():
    def lhs(q, prior, lik, x):
        return float(np.mean([latent.categorical_kl(r, prior) for r in q]))

    def rhs(q, prior, lik, x):
        return latent.categorical_kl(q.mean(0), prior) + _mi(q)

    def oracle(q, prior, lik, x):
        s = latent.elbo_surgery(q, prior)
        return s["marginal_kl"] + s["mutual_information"]

    pts = _surgery_points(15, 89)
    return all_of(num_equal(lhs, rhs, pts, what="avg KL(q_i || p) = KL(q_agg || p) + I(i; z) (I = H(z) - H(z|i))"),
                  num_equal(lhs, oracle, pts, what="registry oracle elbo.surgery"))


def _surgery_proof():
    pts = _surgery_points(15, 90)

    def l1(q, prior, lik, x):
        return float(np.mean([np.sum(r * np.log(r / prior)) for r in q]))

    def l2(q, prior, lik, x):
        a = q.mean(0)
        return float(np.mean([np.sum(r * np.log(a * r / (prior * a))) for r in q]))

    def l3(q, prior, lik, x):
        a = q.mean(0)
        return float(np.sum(a * np.log(a / prior)) + np.mean([np.sum(r * np.log(r / a)) for r in q]))

    def l4(q, prior, lik, x):
        a = q.mean(0)
        return latent.categorical_kl(a, prior) + float(np.mean([latent.categorical_kl(r, a) for r in q]))

    def mi_def(q, prior, lik, x):
        a = q.mean(0)
        return float(np.mean([latent.categorical_kl(r, a) for r in q]))

    return all_of(num_equal(l1, l2, pts, what="line 1 = line 2"), num_equal(l2, l3, pts, what="line 2 = line 3"),
                  num_equal(l3, l4, pts, what="line 3 = line 4"),
                  num_equal(mi_def, lambda q, prior, lik, x: _mi(q), pts,
                            what="(1/n) sum KL(q_i || q_agg) = I(i; z) = H(z) - H(z|i)"))


def _revisited_elbo():
    def rhs(q, prior, lik, x):
        rl = float(np.mean([latent.disc_recon(lik, int(xi), qi) for xi, qi in zip(x, q, strict=True)]))
        return rl - _mi(q) - latent.categorical_kl(q.mean(0), prior)

    return all_of(_average_elbo(),
                  num_equal(lambda q, prior, lik, x: latent.average_elbo(q, prior, lik, x), rhs,
                            _surgery_points(15, 91),
                            what="(1/n) sum L(x_i) = RL - MI - KL(q_agg || p)"))


def _optimal_prior():
    pts = _surgery_points(15, 92)

    def kl_self(q, prior, lik, x):
        return latent.categorical_kl(q.mean(0), q.mean(0))

    def kl_other(q, prior, lik, x):
        return latent.categorical_kl(q.mean(0), prior)

    def kl_near(q, prior, lik, x):  # a prior a little away from q_agg
        a = q.mean(0)
        p = a + 1e-2 * (prior - a)
        return latent.categorical_kl(a, p)

    def best(q, prior, lik, x):
        return latent.average_elbo(q, q.mean(0), lik, x)

    return all_of(num_equal(kl_self, lambda **c: 0.0, pts, what="KL(q_agg || q_agg) = 0"),
                  num_compare(kl_other, ">", lambda **c: 0.0, pts, what="KL(q_agg || p) > 0 for p != q_agg"),
                  num_compare(kl_near, ">", lambda **c: 0.0, pts, what="KL(q_agg || p) > 0 for p near q_agg"),
                  num_compare(best, ">=", lambda q, prior, lik, x: latent.average_elbo(q, prior, lik, x), pts,
                              what="the average ELBO is largest at p = q_agg (elbo.optimal_prior)"))


def _learnable_prior_elbo():
    # the same decomposition with any prior p_lambda (random categorical laws)
    return _revisited_elbo()


# --------------------------------------------------------------------------- flow prior
def _flow_prior_points(n, seed):
    def draw(r):
        return {"A": r.normal(size=(2, 2)) + 1.5 * np.eye(2), "c": r.normal(size=2), "z": r.normal(size=2)}

    return [p["v"] for p in points(n, seed=seed, v=draw)]


def _flow_prior_density():
    # z* = f(z) = A z + c, p(z*) = N(0, I): log p_lambda(z) = log N(f(z); 0, I) + log|det A| vs the Gaussian
    # N(-A^{-1} c, (A^T A)^{-1}) (registry oracle latent.linear_flow_prior)
    def lhs(A, c, z):
        m, S = latent.linear_flow_prior(A, c)
        return latent.gaussian_logpdf(z, m, S)

    def rhs(A, c, z):
        return latent.gaussian_logpdf(A @ z + c, np.zeros(2), np.eye(2)) + float(np.log(abs(np.linalg.det(A))))

    return num_equal(lhs, rhs, _flow_prior_points(10, 93), what="log p_lambda(z) = log p(f(z)) + log|det J_f|")


def _elbo_flow_prior():
    # L = E_q log p(x|z) - KL(q || p_lambda) (closed form with the Gaussian p_lambda) = E_q[log p(x|z)
    # + (log N(A z + c) + log|det A|) - log q(z)] by Gauss-Hermite (exact: quadratic integrand)
    pts = [{**lg, **fp} for lg, fp in zip(_lg_points(8, 94), _flow_prior_points(8, 95), strict=True)]

    def closed(W, b, psi, x, m, S, A, c, z):
        m0, S0 = latent.linear_flow_prior(A, c)
        return latent.lg_elbo_general_prior(W, b, psi, x, m, S, m0, S0)

    def bracket(W, b, psi, x, m, S, A, c, z):
        L = np.linalg.cholesky(S)
        logdet = float(np.log(abs(np.linalg.det(A))))

        def f(eps):
            out = []
            for e in eps:
                zz = m + L @ e
                out.append(latent.gaussian_logpdf(x, W @ zz + b, np.diag(psi))
                           + latent.gaussian_logpdf(A @ zz + c, np.zeros(2), np.eye(2)) + logdet
                           - latent.gaussian_logpdf(zz, m, S))
            return np.array(out)

        return float(latent.gauss_hermite_expectation(f, 2, 3))

    return num_equal(closed, bracket, pts,
                     what="E_q log p(x|z) - KL(q || p_lambda) = E_q[log p(x|z) + log p(f(z)) + log|det J_f| - log q]")


CLAIMS: list[Claim] = [
    Claim(id="000.L4.elbo_objective", formulas=("000:1193",), theorem="elbo.recon_minus_kl",
          meaning="'-> max' names the objective; the identity L = E_q log p(x|z) - KL(q || p(z)) is checked.",
          check=_recon_minus_kl),
    Claim(id="000.L4.categorical_prior", formulas=("000:1204",), kind="definition",
          meaning="pi is the vector of class probabilities of c ~ Cat(pi)."),
    Claim(id="000.L4.discrete_elbo", formulas=("000:1210",), theorem="elbo.recon_minus_kl",
          meaning="c discrete with prior p(c) = Uniform{1..K}; the ELBO as reconstruction minus KL, by enumeration.",
          check=_discrete_elbo),
    Claim(id="000.L4.kl_to_uniform", formulas=("000:1212", "000:1216", "000:1218"), theorem="vae.discrete_kl_uniform",
          meaning="p(c) = Uniform{1..K} (the slide's assumption), so log p(k) = -log K; H the Shannon entropy in nats.",
          check=_kl_uniform_chain),
    Claim(id="000.L4.discrete_elbo_entropy", formulas=("000:1222",), theorem="vae.discrete_kl_uniform",
          meaning="the ELBO with the uniform prior, KL replaced by -H(q) + log K.",
          check=_discrete_elbo_entropy),
    Claim(id="000.L4.quantization", formulas=("000:1249",), kind="definition",
          meaning="the quantizer: nearest codebook vector in Euclidean norm (ties broken arbitrarily)."),
    Claim(id="000.L4.deterministic_posterior", formulas=("000:1265", "000:1276"), kind="definition",
          meaning="the one-hot encoder q_phi(c = k | x) = [k = k*], k* the nearest code to z_e (the cases are written "
                  "with c = k* on the left; read as the indicator of k = k*)."),
    Claim(id="000.L4.deterministic_posterior_kl", formulas=("000:1267",), theorem="vq.deterministic_posterior_kl",
          meaning="q one-hot, p(c) uniform on K codes: H(q) = 0, KL = log K. Checked with the nearest-code one-hot of "
                  "random z_e and codebooks.",
          check=_deterministic_kl),
    Claim(id="000.L4.vq_elbo", formulas=("000:1280", "000:1291", "000:1323"), theorem="vq.deterministic_posterior_kl",
          meaning="q one-hot at k*, so E_q log p(x|e_c) = log p(x|e_{k*}) = log p(x|z_q), and KL = log K. Checked "
                  "with a Gaussian decoder p(x|e) = N(x; B e, I).",
          check=_vq_elbo),
    Claim(id="000.L4.straight_through_chain_rule", formulas=("000:1297",),
          meaning="the two '=' of the chain rule: z_q = e_{k*(z_e)} is piecewise constant in z_e, so dz_q/dz_e = 0 "
                  "off the cell boundaries and every expression equals the exact derivative, 0. Checked with "
                  "z_e = phi u, a 6-code codebook and a Gaussian decoder.",
          check=_st_chain_rule),
    Claim(id="000.L4.straight_through_approximation", formulas=("000:1297",), theorem="vq.straight_through",
          meaning="the '≈' read as an approximation of the exact gradient d log p_theta(x|z_q)/d phi (the left-hand "
                  "side): it replaces dz_q/dz_e (= 0 a.e.) by the identity. The exact gradient is 0; the "
                  "straight-through value G . dz_e/dphi is not, so the right side does not approximate the left. "
                  "Judgement: imprecise, not fails. The slide's heading calls the right side the straight-through "
                  "gradient *estimator*, and it is exactly the gradient of the surrogate log p(x|z_e + sg[z_q - z_e]) "
                  "(checked): the '≈' names a deliberate replacement as an approximation of the true gradient.",
          check=_st_approximation,
          corrected=r"\frac{\partial \log p_{\theta}(\mathbf{x}|z_q)}{\partial \phi} = 0 \text{ a.e.}; \text{ the "
                    r"straight-through estimator \emph{replaces} it by the surrogate } \frac{\partial \log "
                    r"p_{\theta}(\mathbf{x}|z_q)}{\partial z_q} \cdot \frac{\partial z_e}{\partial \phi} \text{ (the "
                    r"gradient of } \log p_\theta(\mathbf{x}|z_e + \text{sg}[z_q - z_e])\text{), a biased estimate}",
          note="This is the intended design of VQ-VAE (a biased surrogate gradient, not an approximation in any "
               "limit); the next claim checks that the straight-through implementation computes exactly the "
               "right-hand side."),
    Claim(id="000.L4.straight_through_implementation", formulas=("000:1297",), theorem="vq.straight_through",
          meaning="the right-hand side is what z_q^st = z_e + sg[z_q - z_e] backpropagates: forward value z_q, "
                  "derivative G . dz_e/dphi.",
          check=_st_implementation),
    Claim(id="000.L4.vq_vae2_factorization", formulas=("000:1303",), kind="definition",
          meaning="VQ-VAE-2: a factorized posterior over the W x H code grid and a product of uniform priors."),
    Claim(id="000.L4.vq_training_quantize", formulas=("000:1319",), kind="definition",
          meaning="the quantization step of training (nearest code in the 2-norm; z_e the encoder output)."),
    Claim(id="000.L4.vq_total_loss", formulas=("000:1327",), theorem="vq.losses",
          meaning="sg is the identity in the forward pass with zero gradient; claim (the slide's 'codebook and "
                  "commitment losses'): the second term updates only the codebook entry e_{k*} (toward z_e), the "
                  "third only the encoder output z_e (toward e_{k*}), beta > 0.",
          check=_vq_losses),
    Claim(id="000.L4.average_elbo", formulas=("000:1348",), theorem="elbo.recon_minus_kl",
          meaning="the data-averaged ELBO, each term reconstruction minus KL. Checked on the discrete model.",
          check=_average_elbo),
    Claim(id="000.L4.elbo_surgery", formulas=("000:1352", "000:1361"), theorem="elbo.surgery",
          meaning="q_agg = (1/n) sum_i q_phi(z|x_i); I_q[x, z] the mutual information of (i, z) with i uniform on the "
                  "n data points and z|i ~ q_phi(z|x_i), computed as H(z) - H(z|i). Checked by enumeration.",
          check=_surgery),
    Claim(id="000.L4.elbo_surgery_proof", formulas=("000:1365",), theorem="elbo.surgery",
          meaning="each line of the proof, and the last line identifying (1/n) sum KL(q_i || q_agg) with the mutual "
                  "information H(z) - H(z|i).",
          check=_surgery_proof),
    Claim(id="000.L4.revisited_elbo", formulas=("000:1371",), theorem="elbo.surgery",
          meaning="average ELBO = reconstruction - mutual information - marginal KL. Checked on the discrete model.",
          check=_revisited_elbo),
    Claim(id="000.L4.optimal_prior", formulas=("000:1378",), theorem="elbo.optimal_prior",
          meaning="KL = 0 iff the laws agree; with the previous decomposition, the prior maximizing the average ELBO "
                  "is q_agg. Checked by enumeration.",
          check=_optimal_prior),
    Claim(id="000.L4.marginal_kl_name", formulas=("000:1384",), kind="notation",
          meaning="the marginal KL term, named."),
    Claim(id="000.L4.learnable_prior_elbo", formulas=("000:1416",), theorem="elbo.surgery",
          meaning="RL the reconstruction term, MI = I_q[x, z]; p_lambda any (learnable) prior. Checked with random "
                  "categorical priors.",
          check=_learnable_prior_elbo),
    Claim(id="000.L4.flow_prior_density", formulas=("000:1426",), theorem="vae.flow_prior",
          meaning="z* = f_lambda(z), p(z*) = N(0, I), J_f = dz*/dz. Checked for a linear flow, whose prior is the "
                  "Gaussian N(-A^{-1}c, (A^T A)^{-1}).",
          check=_flow_prior_density),
    Claim(id="000.L4.flow_prior_inverse", formulas=("000:1428",), kind="notation",
          meaning="sampling from the prior: g_lambda = f_lambda^{-1} maps base noise z* to z."),
    Claim(id="000.L4.elbo_flow_prior", formulas=("000:1435",), theorem="vae.flow_prior",
          meaning="the prior of the first line, written p(z), is the flow prior p_lambda(z) of the next lines. "
                  "Checked: linear-Gaussian decoder, Gaussian q, linear flow prior; closed form vs Gauss-Hermite of "
                  "the bracket.",
          check=_elbo_flow_prior,
          note="Notation slip only: the first line writes KL(q || p(z)) where the prior of this VAE is p_lambda(z); "
               "with p(z) read as the base N(0, I) the first two lines would differ."),
]
