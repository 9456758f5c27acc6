"""``librosa.load`` and ``librosa.resample``: the two librosa functions that resample, with the stapes core's
resampler in place of soxr (``res_type='soxr_hq'``, librosa's default). Both give the same length as librosa
(``ceil(n * target_sr / orig_sr)``) and the same alignment (no delay); the samples differ from soxr's by what
two different filters of that class differ by (``pyext/tests/test_resample.py`` states how much)."""

from __future__ import annotations

import os
from typing import Any, Union

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..._core import _rate, as_float32
from ..._core import resample as _resample

PathLike = Union[str, "os.PathLike[str]"]

_RES_TYPE = "soxr_hq"


def _check_res_type(res_type: Any) -> None:
    if res_type != _RES_TYPE:
        raise NotImplementedError(
            f"res_type={res_type!r}: stapes resamples with its own filter, which stands in for librosa's default "
            f"res_type={_RES_TYPE!r} only"
        )


def resample(
    y: ArrayLike,
    *,
    orig_sr: float,
    target_sr: float,
    res_type: str = _RES_TYPE,
    fix: bool = True,
    scale: bool = False,
    axis: int = -1,
    **kwargs: Any,
) -> NDArray[np.float32]:
    """``librosa.resample``: ``y`` from ``orig_sr`` to ``target_sr`` along ``axis`` (float32 out). Rates must be
    whole numbers of Hz in 8-48 kHz. ``scale=True`` divides by ``sqrt(target_sr / orig_sr)`` as librosa does;
    ``fix=False`` and keyword arguments for other resamplers are not supported."""
    _check_res_type(res_type)
    if not fix:
        raise NotImplementedError("fix=False: stapes always returns ceil(n * target_sr / orig_sr) samples (fix=True)")
    if kwargs:
        raise NotImplementedError(f"resampler options {sorted(kwargs)} are not supported")
    x = as_float32(y)
    if _rate(orig_sr, "orig_sr") == _rate(target_sr, "target_sr"):
        return x
    moved = np.moveaxis(x, axis, -1)
    rows = moved.reshape(-1, moved.shape[-1])
    out = np.stack([_resample(r, orig_sr, target_sr) for r in rows]) if rows.shape[0] else rows
    out = out.reshape(*moved.shape[:-1], out.shape[-1])
    if scale:
        out = out / np.float32(np.sqrt(float(target_sr) / float(orig_sr)))
    return np.ascontiguousarray(np.moveaxis(out, -1, axis))


def load(
    path: PathLike,
    *,
    sr: float | None = 22050,
    mono: bool = True,
    offset: float = 0.0,
    duration: float | None = None,
    dtype: Any = np.float32,
    res_type: str = _RES_TYPE,
) -> tuple[NDArray[Any], float]:
    """``librosa.load``: a WAV/FLAC file (anything libsndfile reads) as float samples in [-1, 1] and its rate,
    resampled to ``sr`` (default 22050, as librosa; ``sr=None`` keeps the file's rate), channels averaged when
    ``mono``; ``offset`` and ``duration`` in seconds, rounded to samples at the file's rate as librosa rounds them.
    File-like objects and audioread fallbacks are not supported."""
    _check_res_type(res_type)
    from ..._files import _soundfile

    soundfile = _soundfile()
    with soundfile.SoundFile(os.fspath(path)) as f:
        native = f.samplerate
        start = int(np.round(native * offset))
        f.seek(min(start, f.frames))
        frames = -1 if duration is None else int(np.round(native * duration))
        data = f.read(frames=frames, dtype="float32", always_2d=True).T
    y = data.mean(axis=0, dtype=np.float32) if mono else (data[0] if data.shape[0] == 1 else data)
    if sr is not None and _rate(sr, "sr") != native:
        y = resample(y, orig_sr=native, target_sr=sr)
    else:
        sr = native
    return np.ascontiguousarray(y, dtype=dtype), sr
