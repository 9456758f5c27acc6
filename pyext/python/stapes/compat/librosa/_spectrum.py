"""``librosa.stft``, ``power_to_db`` and ``amplitude_to_db``."""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Callable

import numpy as np
from numpy.typing import ArrayLike, DTypeLike, NDArray

from ... import _native
from ._common import audio, check_length, frames_config, padding, positive_int, window_kind

__all__ = ["amplitude_to_db", "power_to_db", "stft"]


@lru_cache(maxsize=32)
def _plan(config_json: str) -> Any:
    return _native.StftPlan(config_json)


def _complex_spectra(
    x: NDArray[np.float32],
    n_fft: int,
    hop_length: int,
    win_length: int,
    window: Any,
    center: bool,
    pad_mode: Any,
) -> NDArray[np.complex64]:
    cfg = frames_config(22050, n_fft, hop_length, win_length, window_kind(window), padding(center, pad_mode))
    check_length(x, n_fft, center)
    plan = _plan(cfg.to_json())
    if x.ndim == 1:
        result: NDArray[np.complex64] = plan.compute(x)
        return result
    lead, n = x.shape[:-1], x.shape[-1]
    spectra: NDArray[np.complex64] = plan.compute_batch(np.ascontiguousarray(x.reshape(-1, n)))
    return spectra.reshape(lead + spectra.shape[-2:])


def stft(
    y: ArrayLike,
    *,
    n_fft: int = 2048,
    hop_length: int | None = None,
    win_length: int | None = None,
    window: Any = "hann",
    center: bool = True,
    dtype: DTypeLike | None = None,
    pad_mode: Any = "constant",
    out: np.ndarray | None = None,
) -> NDArray[Any]:
    """Short-time Fourier transform, as ``librosa.stft``: complex64 ``(..., 1 + n_fft // 2, n_frames)``.

    Periodic windows (``'hann'``, ``'hamming'``, ``'blackman'``, ``'boxcar'`` and scipy's aliases) zero-padded to
    ``n_fft`` around the centre; ``center=True`` pads ``n_fft // 2`` on each side with ``pad_mode`` (``'constant'``,
    ``'reflect'`` or ``'edge'``). ``n_fft`` must be ``2^a·3^b·5^c`` between 16 and 4096. Computed in float32; pass
    ``dtype=np.complex128`` for a wider result. ``out`` is not supported.
    """
    if out is not None:
        raise NotImplementedError("out=: stapes.compat.librosa.stft always allocates its result")
    n_fft = positive_int("n_fft", n_fft)
    win_length = n_fft if win_length is None else positive_int("win_length", win_length)
    hop_length = positive_int("hop_length", win_length // 4 if hop_length is None else hop_length)
    spectra = _complex_spectra(audio(y), n_fft, hop_length, win_length, window, center, pad_mode)
    if dtype is not None and np.dtype(dtype) != spectra.dtype:
        return spectra.astype(dtype)
    return spectra


def power_to_db(
    S: ArrayLike,
    *,
    ref: float | Callable[..., Any] = 1.0,
    amin: float = 1e-10,
    top_db: float | None = 80.0,
) -> NDArray[Any]:
    """``10·log10(max(S, amin) / ref)``, clamped at ``max − top_db`` over the whole array, as
    ``librosa.power_to_db`` (``ref`` may be a callable such as ``np.max``).

    A float32 array runs in the core's lanes, the same bits as the fused dB of a preset (``stapes.extract`` with
    ``log: db`` and ``top_db``) on the same values; other dtypes, and arrays holding NaN or infinities (which librosa
    carries through), run in numpy."""
    S = np.asarray(S)
    if amin <= 0:
        raise ValueError("amin must be strictly positive")
    if top_db is not None and top_db < 0:
        raise ValueError("top_db must be non-negative")
    if np.issubdtype(S.dtype, np.complexfloating):
        magnitude = np.abs(S)
    else:
        magnitude = S
    ref_value = ref(magnitude) if callable(ref) else np.abs(ref)
    if magnitude.dtype == np.float32 and np.ndim(ref_value) == 0 and np.isfinite(ref_value):
        try:
            out: NDArray[Any] = _native.power_to_db(magnitude, float(amin), float(ref_value), top_db)
            return out
        except _native.NonFiniteError:
            pass
    log_spec: NDArray[Any] = 10.0 * np.log10(np.maximum(amin, magnitude))
    log_spec -= 10.0 * np.log10(np.maximum(amin, ref_value))
    if top_db is not None:
        log_spec = np.maximum(log_spec, log_spec.max() - top_db)
    return log_spec


def amplitude_to_db(
    S: ArrayLike,
    *,
    ref: float | Callable[..., Any] = 1.0,
    amin: float = 1e-5,
    top_db: float | None = 80.0,
) -> NDArray[Any]:
    """``20·log10(max(|S|, amin) / ref)`` with the ``top_db`` clamp, as ``librosa.amplitude_to_db``."""
    magnitude = np.abs(np.asarray(S))
    ref_value = ref(magnitude) if callable(ref) else np.abs(ref)
    power = np.square(magnitude, out=magnitude)
    return power_to_db(power, ref=ref_value**2, amin=amin**2, top_db=top_db)
