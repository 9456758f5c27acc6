"""``librosa.feature.spectral_centroid``, ``spectral_bandwidth``, ``spectral_rolloff`` and ``spectral_flatness``:
the core's per-frame scalars where it has the switch, librosa's numpy formulas on a stapes spectrogram elsewhere."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._common import as_array, audio, core_scalar
from ._spectrum import stft

__all__ = ["spectral_bandwidth", "spectral_centroid", "spectral_flatness", "spectral_rolloff"]


def _magnitude(
    y: Any, S: Any, n_fft: int, hop_length: int, win_length: int | None, window: Any, center: bool, pad_mode: Any
) -> tuple[NDArray[Any], int]:
    """librosa's ``_spectrogram(power=1)``: ``S`` as given (with ``n_fft`` inferred from it), or ``|stft(y)|``."""
    if S is not None:
        S = as_array(S)
        if n_fft // 2 + 1 != S.shape[-2]:
            n_fft = 2 * (S.shape[-2] - 1)
        return S, n_fft
    D = stft(
        audio(y),
        n_fft=n_fft,
        hop_length=hop_length,
        win_length=win_length,
        window=window,
        center=center,
        pad_mode=pad_mode,
    )
    return np.abs(D), n_fft


def _real_nonnegative(S: NDArray[Any], what: str) -> None:
    if not np.isrealobj(S):
        raise ValueError(f"{what} is only defined with real-valued input")
    if np.any(S < 0):
        raise ValueError(f"{what} is only defined with non-negative energies")


def _fft_frequencies(sr: float, n_fft: int) -> NDArray[np.float64]:
    return np.fft.rfftfreq(n=n_fft, d=1.0 / sr).astype(np.float64)


def _l1_normalize(S: NDArray[Any]) -> NDArray[Any]:
    """``librosa.util.normalize(S, norm=1, axis=-2)``: columns with a (near-)zero sum are left as they are."""
    length = np.sum(np.abs(S), axis=-2, keepdims=True)
    length[length < np.finfo(S.dtype if S.dtype.kind == "f" else np.float64).tiny] = 1.0
    result: NDArray[Any] = S / length
    return result


def _expand_freq(freq: NDArray[Any], ndim: int) -> NDArray[Any]:
    freq = np.asarray(freq)
    return freq.reshape((*freq.shape, 1)) if freq.ndim == 1 else freq


def spectral_centroid(
    *,
    y: ArrayLike | None = None,
    sr: float = 22050,
    S: ArrayLike | None = None,
    n_fft: int = 2048,
    hop_length: int = 512,
    freq: ArrayLike | None = None,
    win_length: int | None = None,
    window: Any = "hann",
    center: bool = True,
    pad_mode: Any = "constant",
) -> NDArray[np.float64]:
    """Magnitude-weighted mean frequency (Hz) per frame, ``(..., 1, n_frames)``, as
    ``librosa.feature.spectral_centroid``."""
    if S is None and freq is None:
        return core_scalar("centroid", y, sr, n_fft, hop_length, win_length, window, center, pad_mode).astype(np.float64)
    S, n_fft = _magnitude(y, S, n_fft, hop_length, win_length, window, center, pad_mode)
    _real_nonnegative(S, "Spectral centroid")
    f = _fft_frequencies(sr, n_fft) if freq is None else np.asarray(freq)
    result: NDArray[np.float64] = np.sum(_expand_freq(f, S.ndim) * _l1_normalize(S), axis=-2, keepdims=True)
    return result


def spectral_bandwidth(
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
    freq: ArrayLike | None = None,
    centroid: ArrayLike | None = None,
    norm: bool = True,
    p: float = 2,
) -> NDArray[np.float64]:
    """``(Σ S·|freq − centroid|^p)^(1/p)`` per frame, ``(..., 1, n_frames)``, as
    ``librosa.feature.spectral_bandwidth``."""
    if S is None and freq is None and centroid is None and norm and p == 2:
        return core_scalar("bandwidth", y, sr, n_fft, hop_length, win_length, window, center, pad_mode).astype(np.float64)
    S, n_fft = _magnitude(y, S, n_fft, hop_length, win_length, window, center, pad_mode)
    _real_nonnegative(S, "Spectral bandwidth")
    if centroid is None:
        centroid = spectral_centroid(S=S, sr=sr, n_fft=n_fft, freq=freq)
    centroid = np.asarray(centroid)
    f = _fft_frequencies(sr, n_fft) if freq is None else np.asarray(freq)
    if f.ndim == 1:
        deviation = np.abs(np.subtract.outer(centroid[..., 0, :], f).swapaxes(-2, -1))
    else:
        deviation = np.abs(f - centroid)
    if norm:
        S = _l1_normalize(S)
    result: NDArray[np.float64] = np.sum(S * deviation**p, axis=-2, keepdims=True) ** (1.0 / p)
    return result


def spectral_rolloff(
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
    freq: ArrayLike | None = None,
    roll_percent: float = 0.85,
) -> NDArray[np.float64]:
    """Frequency (Hz) below which ``roll_percent`` of the magnitude lies, ``(..., 1, n_frames)``, as
    ``librosa.feature.spectral_rolloff``."""
    if not 0.0 < roll_percent < 1.0:
        raise ValueError("roll_percent must lie in the range (0, 1)")
    if S is None and freq is None and roll_percent == 0.85:
        return core_scalar("rolloff", y, sr, n_fft, hop_length, win_length, window, center, pad_mode).astype(np.float64)
    S, n_fft = _magnitude(y, S, n_fft, hop_length, win_length, window, center, pad_mode)
    _real_nonnegative(S, "Spectral rolloff")
    f = _expand_freq(_fft_frequencies(sr, n_fft) if freq is None else np.asarray(freq), S.ndim)
    total_energy = np.cumsum(S, axis=-2)
    threshold = np.expand_dims(roll_percent * total_energy[..., -1, :], axis=-2)
    ind = np.where(total_energy < threshold, np.nan, 1)
    result: NDArray[np.float64] = np.nanmin(ind * f, axis=-2, keepdims=True)
    return result


def spectral_flatness(
    *,
    y: ArrayLike | None = None,
    S: ArrayLike | None = None,
    n_fft: int = 2048,
    hop_length: int = 512,
    win_length: int | None = None,
    window: Any = "hann",
    center: bool = True,
    pad_mode: Any = "constant",
    amin: float = 1e-10,
    power: float = 2.0,
) -> NDArray[np.float32]:
    """Geometric over arithmetic mean of ``max(S**power, amin)`` per frame, ``(..., 1, n_frames)``, as
    ``librosa.feature.spectral_flatness``."""
    if amin <= 0:
        raise ValueError("amin must be strictly positive")
    if S is None and amin == 1e-10 and power == 2.0:
        return core_scalar("flatness", y, 22050, n_fft, hop_length, win_length, window, center, pad_mode)
    S, _ = _magnitude(y, S, n_fft, hop_length, win_length, window, center, pad_mode)
    _real_nonnegative(S, "Spectral flatness")
    S_thresh = np.maximum(amin, S**power)
    gmean = np.exp(np.mean(np.log(S_thresh), axis=-2, keepdims=True))
    amean = np.mean(S_thresh, axis=-2, keepdims=True)
    result: NDArray[np.float32] = gmean / amean
    return result
