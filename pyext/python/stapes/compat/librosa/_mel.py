"""``librosa.feature.melspectrogram`` and ``mfcc``: the core's mel bank, dB and DCT."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike, DTypeLike, NDArray

from ._common import (
    as_array,
    audio,
    check_length,
    frames_config,
    framing,
    padding,
    positive_int,
    run,
    sample_rate,
    window_kind,
)
from ._spectrum import power_to_db, stft
from .filters import mel as mel_filter
from .filters import mel_spec

__all__ = ["melspectrogram", "mfcc"]

_MEL_KWARGS = ("n_mels", "fmin", "fmax", "htk", "norm", "dtype")
_MEL_DEFAULTS: dict[str, Any] = {"n_mels": 128, "fmin": 0.0, "fmax": None, "htk": False, "norm": "slaney"}


def _mel_args(sr: float, kwargs: dict[str, Any], function: str) -> tuple[Any, DTypeLike]:
    unknown = sorted(set(kwargs) - set(_MEL_KWARGS))
    if unknown:
        raise TypeError(f"{function}() got an unexpected keyword argument {unknown[0]!r}")
    args = {**_MEL_DEFAULTS, **{k: v for k, v in kwargs.items() if k != "dtype"}}
    spec = mel_spec(sr, args["n_mels"], args["fmin"], args["fmax"], args["htk"], args["norm"])
    return spec, kwargs.get("dtype", np.float32)


def melspectrogram(
    *,
    y: ArrayLike | None = None,
    sr: float = 22050,
    S: ArrayLike | None = None,
    n_fft: int = 2048,
    hop_length: int = 512,
    win_length: int | None = None,
    window: Any = "hann",
    center: bool = True,
    pad_mode: Any = "constant",
    power: float = 2.0,
    **kwargs: Any,
) -> NDArray[Any]:
    """Mel spectrogram ``(..., n_mels, n_frames)``, as ``librosa.feature.melspectrogram``: ``|stft|**power``
    through ``filters.mel(sr, n_fft, **kwargs)`` (``n_mels``, ``fmin``, ``fmax``, ``htk``, ``norm``, ``dtype``).
    ``power`` 2 and 1 run in the core; other powers square the stapes STFT in numpy."""
    spec, dtype = _mel_args(sr, kwargs, "melspectrogram")
    out_dtype = np.result_type(np.float32, dtype)
    if S is not None:
        S = as_array(S)
        n_fft_s = n_fft if n_fft // 2 + 1 == S.shape[-2] else 2 * (S.shape[-2] - 1)
        n_mels, fmin, fmax, htk, norm = spec
        basis = mel_filter(sr=sr, n_fft=n_fft_s, n_mels=n_mels, fmin=fmin, fmax=fmax, htk=htk, norm=norm, dtype=dtype)
        result: NDArray[Any] = np.einsum("...ft,mf->...mt", S, basis, optimize=True)
        return result
    n_fft, hop_length, win_length = framing(n_fft, hop_length, win_length)
    x = audio(y)
    if power in (1.0, 2.0):
        cfg = frames_config(
            sample_rate(sr),
            n_fft,
            hop_length,
            win_length,
            window_kind(window),
            padding(center, pad_mode),
            "power" if power == 2.0 else "magnitude",
            mel=spec,
        )
        check_length(x, n_fft, center)
        M = run(x, cfg)
    else:
        magnitude = np.abs(
            stft(
                x,
                n_fft=n_fft,
                hop_length=hop_length,
                win_length=win_length,
                window=window,
                center=center,
                pad_mode=pad_mode,
            )
        )
        n_mels, fmin, fmax, htk, norm = spec
        basis = mel_filter(sr=sr, n_fft=n_fft, n_mels=n_mels, fmin=fmin, fmax=fmax, htk=htk, norm=norm)
        M = np.einsum("...ft,mf->...mt", magnitude**power, basis, optimize=True).astype(np.float32)
    return M if M.dtype == out_dtype else M.astype(out_dtype)


def _dct_ortho(n_out: int, n_in: int) -> NDArray[np.float64]:
    k = np.arange(n_out)[:, None]
    n = np.arange(n_in)[None, :]
    basis: NDArray[np.float64] = np.cos(np.pi * k * (2 * n + 1) / (2 * n_in)) * np.sqrt(2.0 / n_in)
    basis[0] *= np.sqrt(0.5)
    return basis


def _unnormalized_scale(n_mfcc: int, n_mels: int) -> NDArray[np.float32]:
    """Row factors from orthonormal DCT-II to scipy's ``norm=None`` (``2·Σ x cos``)."""
    scale = np.full(n_mfcc, np.sqrt(2.0 * n_mels))
    scale[0] = 2.0 * np.sqrt(n_mels)
    return scale.astype(np.float32)[:, None]


def _lifter_gain(n_mfcc: int, lifter: float) -> NDArray[np.float64]:
    gain: NDArray[np.float64] = 1 + (lifter / 2) * np.sin(np.pi * np.arange(1, 1 + n_mfcc) / lifter)
    return gain


def mfcc(
    *,
    y: ArrayLike | None = None,
    sr: float = 22050,
    S: ArrayLike | None = None,
    n_mfcc: int = 20,
    dct_type: int = 2,
    norm: str | None = "ortho",
    lifter: float = 0,
    mel_norm: Any = "slaney",
    **kwargs: Any,
) -> NDArray[Any]:
    """MFCCs ``(..., n_mfcc, n_frames)``, as ``librosa.feature.mfcc``: DCT-II of
    ``power_to_db(melspectrogram(y, sr, norm=mel_norm, **kwargs))``, whose ``top_db=80`` clamp is over the whole
    input (all channels), then ``1 + (lifter/2)·sin(π(n+1)/lifter)`` when ``lifter > 0``. ``dct_type`` must be 2;
    ``norm`` is ``'ortho'`` or ``None``."""
    if dct_type != 2:
        raise NotImplementedError(f"dct_type={dct_type}: stapes computes the DCT-II (dct_type=2)")
    if norm not in ("ortho", None):
        raise NotImplementedError(f"norm={norm!r}: stapes computes the DCT with norm='ortho' or None")
    if lifter < 0:
        raise ValueError(f"MFCC lifter={lifter} must be a non-negative number")
    n_mfcc = positive_int("n_mfcc", n_mfcc)
    if S is None:
        x = audio(y)
        framing_keys = ("n_fft", "hop_length", "win_length", "window", "center", "pad_mode", "power")
        mel_kwargs = {k: v for k, v in kwargs.items() if k not in framing_keys}
        spec, dtype = _mel_args(sr, {**mel_kwargs, "norm": mel_norm}, "mfcc")
        power = kwargs.get("power", 2.0)
        if x.ndim == 1 and power in (1.0, 2.0) and np.dtype(dtype) == np.float32 and n_mfcc <= spec[0]:
            n_fft, hop_length, win_length = framing(
                kwargs.get("n_fft", 2048), kwargs.get("hop_length", 512), kwargs.get("win_length")
            )
            center = kwargs.get("center", True)
            cfg = frames_config(
                sample_rate(sr),
                n_fft,
                hop_length,
                win_length,
                window_kind(kwargs.get("window", "hann")),
                padding(center, kwargs.get("pad_mode", "constant")),
                "power" if power == 2.0 else "magnitude",
                mel=spec,
                db_mfcc=(n_mfcc, float(lifter), True),
            )
            check_length(x, n_fft, center)
            M: NDArray[Any] = run(x, cfg)
            if norm is None:
                M *= _unnormalized_scale(n_mfcc, spec[0])
            return M
        S = power_to_db(melspectrogram(y=x, sr=sr, norm=mel_norm, **kwargs))
    S = as_array(S)
    n_mels = S.shape[-2]
    rows = min(n_mfcc, n_mels)
    out_dtype = S.dtype if S.dtype.kind == "f" else np.dtype(np.float64)
    M = np.einsum("kn,...nt->...kt", _dct_ortho(rows, n_mels), S).astype(out_dtype)
    if norm is None:
        M *= _unnormalized_scale(rows, n_mels).astype(M.dtype)
    if lifter > 0:
        M *= _lifter_gain(rows, lifter).astype(M.dtype)[:, None]
    return M
