"""``librosa.feature``: melspectrogram, mfcc, spectral centroid/bandwidth/rolloff/flatness, zero-crossing rate, rms.

With audio ``y`` and the parameters the core computes (the defaults, and most settings people use), everything runs
in the stapes core: framing, window, FFT, mel, dB, DCT and the per-frame scalars, multichannel input on every core
with the GIL released. Spectrogram input ``S=``, and parameters the core has no switch for (``roll_percent``,
``p``, ``freq``, other ``power`` values, frame lengths that are not FFT sizes...), take librosa's numpy formulas on a
stapes spectrogram instead. Parameters that neither path supports raise ``NotImplementedError`` naming them.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from numpy.typing import ArrayLike, DTypeLike, NDArray

from ..._core import ConfigError
from ._common import (
    as_array,
    audio,
    check_length,
    frames_config,
    padding,
    positive_int,
    run,
    sample_rate,
    window_kind,
)
from ._spectrum import power_to_db, stft
from .filters import mel as mel_filter
from .filters import mel_spec

__all__ = [
    "melspectrogram",
    "mfcc",
    "rms",
    "spectral_bandwidth",
    "spectral_centroid",
    "spectral_flatness",
    "spectral_rolloff",
    "zero_crossing_rate",
]

_MEL_KWARGS = ("n_mels", "fmin", "fmax", "htk", "norm", "dtype")
_MEL_DEFAULTS: dict[str, Any] = {"n_mels": 128, "fmin": 0.0, "fmax": None, "htk": False, "norm": "slaney"}


def _mel_args(sr: float, kwargs: dict[str, Any], function: str) -> tuple[Any, DTypeLike]:
    unknown = sorted(set(kwargs) - set(_MEL_KWARGS))
    if unknown:
        raise TypeError(f"{function}() got an unexpected keyword argument {unknown[0]!r}")
    args = {**_MEL_DEFAULTS, **{k: v for k, v in kwargs.items() if k != "dtype"}}
    spec = mel_spec(sr, args["n_mels"], args["fmin"], args["fmax"], args["htk"], args["norm"])
    return spec, kwargs.get("dtype", np.float32)


def _framing(n_fft: Any, hop_length: Any, win_length: Any) -> tuple[int, int, int]:
    n_fft = positive_int("n_fft", n_fft)
    win_length = n_fft if win_length is None else positive_int("win_length", win_length)
    return n_fft, positive_int("hop_length", hop_length), win_length


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


def _scalar(
    name: str,
    y: Any,
    sr: float,
    n_fft: Any,
    hop_length: Any,
    win_length: Any,
    window: Any,
    center: bool,
    pad_mode: Any,
) -> NDArray[np.float32]:
    """One core scalar of audio ``y``: ``(..., 1, frames)`` float32."""
    n_fft, hop_length, win_length = _framing(n_fft, hop_length, win_length)
    x = audio(y)
    sr_int = sample_rate(sr)
    # A one-band mel bank keeps the (discarded) feature output small.
    cfg = frames_config(
        sr_int,
        n_fft,
        hop_length,
        win_length,
        window_kind(window),
        padding(center, pad_mode),
        "magnitude",
        mel=(1, 0.0, sr_int / 2, False, None),
        scalars=(name,),
    )
    check_length(x, n_fft, center)
    return run(x, cfg, scalars=True)


# -- mel ----------------------------------------------------------------------------------------------------------


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
    n_fft, hop_length, win_length = _framing(n_fft, hop_length, win_length)
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
            n_fft, hop_length, win_length = _framing(
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


# -- spectral scalars ---------------------------------------------------------------------------------------------


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
        return _scalar("centroid", y, sr, n_fft, hop_length, win_length, window, center, pad_mode).astype(np.float64)
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
        return _scalar("bandwidth", y, sr, n_fft, hop_length, win_length, window, center, pad_mode).astype(np.float64)
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
        return _scalar("rolloff", y, sr, n_fft, hop_length, win_length, window, center, pad_mode).astype(np.float64)
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
        return _scalar("flatness", y, 22050, n_fft, hop_length, win_length, window, center, pad_mode)
    S, _ = _magnitude(y, S, n_fft, hop_length, win_length, window, center, pad_mode)
    _real_nonnegative(S, "Spectral flatness")
    S_thresh = np.maximum(amin, S**power)
    gmean = np.exp(np.mean(np.log(S_thresh), axis=-2, keepdims=True))
    amean = np.mean(S_thresh, axis=-2, keepdims=True)
    result: NDArray[np.float32] = gmean / amean
    return result


# -- time domain --------------------------------------------------------------------------------------------------


def _frames_numpy(x: NDArray[Any], frame_length: int, hop_length: int) -> NDArray[Any]:
    """``(..., n_frames, frame_length)`` views of ``x``."""
    if x.shape[-1] < frame_length:
        raise ValueError(f"Input is too short (n={x.shape[-1]}) for frame_length={frame_length}")
    return sliding_window_view(x, frame_length, axis=-1)[..., ::hop_length, :]


def _time_scalar(
    name: str, x: NDArray[np.float32], frame_length: int, hop_length: int, pad: str
) -> NDArray[np.float32] | None:
    """A time-domain core scalar, or ``None`` when ``frame_length`` is not an FFT size the core plans."""
    try:
        cfg = frames_config(
            22050,
            frame_length,
            hop_length,
            frame_length,
            "rectangular",
            pad,
            "power",
            mel=(1, 0.0, 11025.0, False, None),
            scalars=(name,),
        )
    except ConfigError as e:
        if getattr(e, "field", "") == "frames.n_fft":
            return None
        raise
    if pad == "none" and x.shape[-1] < frame_length:
        raise ValueError(f"Input is too short (n={x.shape[-1]}) for frame_length={frame_length}")
    return run(x, cfg, scalars=True)


def zero_crossing_rate(
    y: ArrayLike,
    *,
    frame_length: int = 2048,
    hop_length: int = 512,
    center: bool = True,
    **kwargs: Any,
) -> NDArray[np.float64]:
    """Fraction of sign changes per frame, ``(..., 1, n_frames)``, as ``librosa.feature.zero_crossing_rate``:
    centred frames pad with edge values; ``|x| ≤ 1e-10`` counts as zero and zero as positive."""
    defaults = {"threshold": 1e-10, "ref_magnitude": None, "pad": False, "zero_pos": True}
    for key, value in kwargs.items():
        if key == "axis":
            continue  # librosa overrides it too
        if key not in defaults:
            raise TypeError(f"zero_crossing_rate() got an unexpected keyword argument {key!r}")
        if value != defaults[key]:
            raise NotImplementedError(f"{key}={value!r}: stapes counts zero crossings with librosa's defaults only")
    frame_length = positive_int("frame_length", frame_length)
    hop_length = positive_int("hop_length", hop_length)
    x = audio(y)
    out = _time_scalar("zcr", x, frame_length, hop_length, "edge" if center else "none")
    if out is not None:
        # The core's rate is count / frame_length in float32; librosa's is the same count over frame_length in
        # float64. Recover the (exact, integer) count and divide again.
        exact: NDArray[np.float64] = np.round(out.astype(np.float64) * frame_length) / frame_length
        return exact
    if center:
        widths = [(0, 0)] * (x.ndim - 1) + [(frame_length // 2, frame_length // 2)]
        x = np.pad(x, widths, mode="edge")
    negative = _frames_numpy(x, frame_length, hop_length) < -1e-10
    crossings = np.count_nonzero(negative[..., 1:] != negative[..., :-1], axis=-1)
    rate: NDArray[np.float64] = (crossings / frame_length)[..., None, :]
    return rate


def rms(
    *,
    y: ArrayLike | None = None,
    S: ArrayLike | None = None,
    frame_length: int = 2048,
    hop_length: int = 512,
    center: bool = True,
    pad_mode: Any = "constant",
    dtype: DTypeLike = np.float32,
) -> NDArray[Any]:
    """Root-mean-square per frame, ``(..., 1, n_frames)``, as ``librosa.feature.rms``: of the unwindowed samples
    (centred frames padded with ``pad_mode``), or from a magnitude spectrogram ``S``."""
    frame_length = positive_int("frame_length", frame_length)
    hop_length = positive_int("hop_length", hop_length)
    if y is not None:
        x = audio(y)
        out: NDArray[Any] | None = None
        if not center or pad_mode in ("constant", "reflect", "edge"):
            out = _time_scalar("rms", x, frame_length, hop_length, padding(center, pad_mode, stft=False))
        if out is None:
            if center:
                widths = [(0, 0)] * (x.ndim - 1) + [(frame_length // 2, frame_length // 2)]
                x = np.pad(x, widths, mode=pad_mode)
            frames = _frames_numpy(x, frame_length, hop_length)
            out = np.sqrt(np.mean(np.square(frames, dtype=dtype), axis=-1))[..., None, :]
        return out if out.dtype == np.dtype(dtype) else out.astype(dtype)
    if S is None:
        raise ValueError("Either `y` or `S` must be input.")
    S = as_array(S)
    if S.shape[-2] != frame_length // 2 + 1:
        raise ValueError(
            f"Since S.shape[-2] is {S.shape[-2]}, frame_length is expected to be {S.shape[-2] * 2 - 2} or "
            f"{S.shape[-2] * 2 - 1}; found {frame_length}"
        )
    x = np.abs(S).astype(dtype) ** 2
    x[..., 0, :] *= 0.5
    if frame_length % 2 == 0:
        x[..., -1, :] *= 0.5
    power = 2 * np.sum(x, axis=-2, keepdims=True) / frame_length**2
    result: NDArray[Any] = np.sqrt(power)
    return result
