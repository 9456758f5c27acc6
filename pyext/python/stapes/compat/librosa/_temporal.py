"""``librosa.feature.zero_crossing_rate`` and ``rms``: time-domain scalars."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from numpy.typing import ArrayLike, DTypeLike, NDArray

from ..._core import ConfigError
from ._common import as_array, audio, frames_config, padding, positive_int, run

__all__ = ["rms", "zero_crossing_rate"]


def _frames_numpy(x: NDArray[Any], frame_length: int, hop_length: int) -> NDArray[Any]:
    """``(..., n_frames, frame_length)`` views of ``x``."""
    if x.shape[-1] < frame_length:
        raise ValueError(f"Input is too short (n={x.shape[-1]}) for frame_length={frame_length}")
    return sliding_window_view(x, frame_length, axis=-1)[..., ::hop_length, :]


def _timecore_scalar(
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
    out = _timecore_scalar("zcr", x, frame_length, hop_length, "edge" if center else "none")
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
            out = _timecore_scalar("rms", x, frame_length, hop_length, padding(center, pad_mode, stft=False))
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
