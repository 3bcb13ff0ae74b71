"""A ``GaussianDiffusion`` written the way OpenAI's improved/guided-diffusion writes it (numpy float64
tables, 0-based ``t``, ``_extract_into_tensor`` handing tables out in float32, ``mean_flat`` losses,
``clip_denoised=True`` by default, noise drawn inside with ``torch.randn_like``), and bug twins."""

from __future__ import annotations

import enum

import numpy as np
import torch as th


class ModelMeanType(enum.Enum):
    PREVIOUS_X = enum.auto()
    START_X = enum.auto()
    EPSILON = enum.auto()


class ModelVarType(enum.Enum):
    FIXED_SMALL = enum.auto()
    FIXED_LARGE = enum.auto()


def mean_flat(tensor):
    return tensor.mean(dim=list(range(1, len(tensor.shape))))


def _extract_into_tensor(arr, timesteps, broadcast_shape):
    res = th.from_numpy(arr).to(device=timesteps.device)[timesteps].float()
    while len(res.shape) < len(broadcast_shape):
        res = res[..., None]
    return res.expand(broadcast_shape)


class GaussianDiffusion:
    def __init__(self, *, betas, model_mean_type=ModelMeanType.EPSILON, model_var_type=ModelVarType.FIXED_SMALL):
        self.model_mean_type, self.model_var_type = model_mean_type, model_var_type
        self.betas = betas = np.array(betas, dtype=np.float64)
        self.num_timesteps = int(betas.shape[0])
        alphas = 1.0 - betas
        self.alphas_cumprod = np.cumprod(alphas, axis=0)
        self.alphas_cumprod_prev = np.append(1.0, self.alphas_cumprod[:-1])
        self.sqrt_alphas_cumprod = np.sqrt(self.alphas_cumprod)
        self.sqrt_one_minus_alphas_cumprod = np.sqrt(1.0 - self.alphas_cumprod)
        self.log_one_minus_alphas_cumprod = np.log(1.0 - self.alphas_cumprod)
        self.sqrt_recip_alphas_cumprod = np.sqrt(1.0 / self.alphas_cumprod)
        self.sqrt_recipm1_alphas_cumprod = np.sqrt(1.0 / self.alphas_cumprod - 1)
        self.posterior_variance = betas * (1.0 - self.alphas_cumprod_prev) / (1.0 - self.alphas_cumprod)
        self.posterior_log_variance_clipped = np.log(np.append(self.posterior_variance[1], self.posterior_variance[1:]))
        self.posterior_mean_coef1 = betas * np.sqrt(self.alphas_cumprod_prev) / (1.0 - self.alphas_cumprod)
        self.posterior_mean_coef2 = (1.0 - self.alphas_cumprod_prev) * np.sqrt(alphas) / (1.0 - self.alphas_cumprod)

    def q_mean_variance(self, x_start, t):
        mean = _extract_into_tensor(self.sqrt_alphas_cumprod, t, x_start.shape) * x_start
        variance = _extract_into_tensor(1.0 - self.alphas_cumprod, t, x_start.shape)
        return mean, variance, _extract_into_tensor(self.log_one_minus_alphas_cumprod, t, x_start.shape)

    def q_sample(self, x_start, t, noise=None):
        if noise is None:
            noise = th.randn_like(x_start)
        return (_extract_into_tensor(self.sqrt_alphas_cumprod, t, x_start.shape) * x_start
                + _extract_into_tensor(self.sqrt_one_minus_alphas_cumprod, t, x_start.shape) * noise)

    def q_posterior_mean_variance(self, x_start, x_t, t):
        posterior_mean = (_extract_into_tensor(self.posterior_mean_coef1, t, x_t.shape) * x_start
                          + _extract_into_tensor(self.posterior_mean_coef2, t, x_t.shape) * x_t)
        posterior_variance = _extract_into_tensor(self.posterior_variance, t, x_t.shape)
        posterior_log_variance = _extract_into_tensor(self.posterior_log_variance_clipped, t, x_t.shape)
        return posterior_mean, posterior_variance, posterior_log_variance

    def p_mean_variance(self, model, x, t, clip_denoised=True, model_kwargs=None):
        model_output = model(x, t, **(model_kwargs or {}))
        model_variance, model_log_variance = {
            ModelVarType.FIXED_LARGE: (np.append(self.posterior_variance[1], self.betas[1:]),
                                       np.log(np.append(self.posterior_variance[1], self.betas[1:]))),
            ModelVarType.FIXED_SMALL: (self.posterior_variance, self.posterior_log_variance_clipped),
        }[self.model_var_type]
        model_variance = _extract_into_tensor(model_variance, t, x.shape)
        model_log_variance = _extract_into_tensor(model_log_variance, t, x.shape)

        def process_xstart(x):
            return x.clamp(-1, 1) if clip_denoised else x

        if self.model_mean_type == ModelMeanType.START_X:
            pred_xstart = process_xstart(model_output)
        else:
            pred_xstart = process_xstart(self._predict_xstart_from_eps(x_t=x, t=t, eps=model_output))
        model_mean, _, _ = self.q_posterior_mean_variance(x_start=pred_xstart, x_t=x, t=t)
        return {"mean": model_mean, "variance": model_variance, "log_variance": model_log_variance,
                "pred_xstart": pred_xstart}

    def _predict_xstart_from_eps(self, x_t, t, eps):
        return (_extract_into_tensor(self.sqrt_recip_alphas_cumprod, t, x_t.shape) * x_t
                - _extract_into_tensor(self.sqrt_recipm1_alphas_cumprod, t, x_t.shape) * eps)

    def _predict_eps_from_xstart(self, x_t, t, pred_xstart):
        return ((_extract_into_tensor(self.sqrt_recip_alphas_cumprod, t, x_t.shape) * x_t - pred_xstart)
                / _extract_into_tensor(self.sqrt_recipm1_alphas_cumprod, t, x_t.shape))

    def p_sample(self, model, x, t, clip_denoised=True, model_kwargs=None):
        out = self.p_mean_variance(model, x, t, clip_denoised=clip_denoised, model_kwargs=model_kwargs)
        noise = th.randn_like(x)
        nonzero_mask = (t != 0).float().view(-1, *([1] * (len(x.shape) - 1)))  # no noise when t == 0
        sample = out["mean"] + nonzero_mask * th.exp(0.5 * out["log_variance"]) * noise
        return {"sample": sample, "pred_xstart": out["pred_xstart"]}

    def p_sample_loop(self, model, shape, noise=None, clip_denoised=True, model_kwargs=None, device=None,
                      progress=False):
        img = noise if noise is not None else th.randn(*shape, device=device)
        for i in list(range(self.num_timesteps))[::-1]:
            t = th.tensor([i] * shape[0], device=img.device)
            img = self.p_sample(model, img, t, clip_denoised=clip_denoised, model_kwargs=model_kwargs)["sample"]
        return img

    def ddim_sample(self, model, x, t, clip_denoised=True, model_kwargs=None, eta=0.0):
        out = self.p_mean_variance(model, x, t, clip_denoised=clip_denoised, model_kwargs=model_kwargs)
        eps = self._predict_eps_from_xstart(x, t, out["pred_xstart"])
        alpha_bar = _extract_into_tensor(self.alphas_cumprod, t, x.shape)
        alpha_bar_prev = _extract_into_tensor(self.alphas_cumprod_prev, t, x.shape)
        sigma = (eta * th.sqrt((1 - alpha_bar_prev) / (1 - alpha_bar)) * th.sqrt(1 - alpha_bar / alpha_bar_prev))
        noise = th.randn_like(x)
        mean_pred = out["pred_xstart"] * th.sqrt(alpha_bar_prev) + th.sqrt(1 - alpha_bar_prev - sigma**2) * eps
        nonzero_mask = (t != 0).float().view(-1, *([1] * (len(x.shape) - 1)))
        return {"sample": mean_pred + nonzero_mask * sigma * noise, "pred_xstart": out["pred_xstart"]}

    def training_losses(self, model, x_start, t, model_kwargs=None, noise=None):
        if noise is None:
            noise = th.randn_like(x_start)
        x_t = self.q_sample(x_start, t, noise=noise)
        model_output = model(x_t, t, **(model_kwargs or {}))
        target = {ModelMeanType.START_X: x_start, ModelMeanType.EPSILON: noise}[self.model_mean_type]
        terms = {"mse": mean_flat((target - model_output) ** 2)}
        terms["loss"] = terms["mse"]
        return terms


# --------------------------------------------------------------------------- bug twins
class QSampleAlphaBar(GaussianDiffusion):
    """ᾱ_t where √ᾱ_t belongs in q_sample."""

    def q_sample(self, x_start, t, noise=None):
        noise = th.randn_like(x_start) if noise is None else noise
        return (_extract_into_tensor(self.alphas_cumprod, t, x_start.shape) * x_start
                + _extract_into_tensor(self.sqrt_one_minus_alphas_cumprod, t, x_start.shape) * noise)


class PosteriorVarianceBeta(GaussianDiffusion):
    """β_t where β̃_t belongs in the posterior variance."""

    def q_posterior_mean_variance(self, x_start, x_t, t):
        mean, _, log_var = super().q_posterior_mean_variance(x_start, x_t, t)
        return mean, _extract_into_tensor(self.betas, t, x_t.shape), log_var


class XstartFromEpsPrevAlphaBar(GaussianDiffusion):
    """x̂₀ from ε with ᾱ_{t-1} (``alphas_cumprod_prev``) where ᾱ_t belongs."""

    def _predict_xstart_from_eps(self, x_t, t, eps):
        abar = _extract_into_tensor(self.alphas_cumprod_prev, t, x_t.shape)
        return (x_t - th.sqrt(1 - abar) * eps) / th.sqrt(abar)


class NoiseAtLastStep(GaussianDiffusion):
    """p_sample adds noise at t = 0 too (the nonzero mask forgotten)."""

    def p_sample(self, model, x, t, clip_denoised=True, model_kwargs=None):
        out = self.p_mean_variance(model, x, t, clip_denoised=clip_denoised, model_kwargs=model_kwargs)
        return {"sample": out["mean"] + th.exp(0.5 * out["log_variance"]) * th.randn_like(x),
                "pred_xstart": out["pred_xstart"]}


class DDIMSigmaSquared(GaussianDiffusion):
    """ddim_sample with σ² (η²·...) where σ belongs: the variance factor left without its root."""

    def ddim_sample(self, model, x, t, clip_denoised=True, model_kwargs=None, eta=0.0):
        out = self.p_mean_variance(model, x, t, clip_denoised=clip_denoised, model_kwargs=model_kwargs)
        eps = self._predict_eps_from_xstart(x, t, out["pred_xstart"])
        a = _extract_into_tensor(self.alphas_cumprod, t, x.shape)
        a_prev = _extract_into_tensor(self.alphas_cumprod_prev, t, x.shape)
        sigma = eta * (1 - a_prev) / (1 - a) * (1 - a / a_prev)
        mean_pred = out["pred_xstart"] * th.sqrt(a_prev) + th.sqrt(1 - a_prev - sigma**2) * eps
        nonzero_mask = (t != 0).float().view(-1, *([1] * (len(x.shape) - 1)))
        return {"sample": mean_pred + nonzero_mask * sigma * th.randn_like(x), "pred_xstart": out["pred_xstart"]}


class LossAtXstart(GaussianDiffusion):
    """training_losses runs the model at x_start instead of the noised x_t."""

    def training_losses(self, model, x_start, t, model_kwargs=None, noise=None):
        noise = th.randn_like(x_start) if noise is None else noise
        return {"mse": mean_flat((noise - model(x_start, t, **(model_kwargs or {}))) ** 2)}
