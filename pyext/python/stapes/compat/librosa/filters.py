"""``librosa.filters.mel``."""

from __future__ import annotations

import json
from typing import Any, Optional

import numpy as np
from numpy.typing import DTypeLike, NDArray

from ... import _native
from ._common import positive_int, sample_rate

__all__ = ["mel"]

MelSpec = tuple[int, float, float, bool, Optional[str]]


def mel_spec(sr: float, n_mels: int, fmin: float, fmax: float | None, htk: bool, norm: Any) -> MelSpec:
    """The ``frames_config`` mel tuple of librosa's mel arguments."""
    if norm not in ("slaney", None):
        raise NotImplementedError(f"norm={norm!r}: stapes normalises mel filters with 'slaney' or None (peak 1)")
    fmax = float(sr) / 2 if fmax is None else float(fmax)
    return (positive_int("n_mels", n_mels), float(fmin), fmax, bool(htk), norm)


def mel_json(spec: MelSpec) -> str:
    n_mels, fmin, fmax, htk, norm = spec
    return json.dumps(
        {
            "n_mels": n_mels,
            "fmin": fmin,
            "fmax": fmax,
            "scale": "htk" if htk else "slaney",
            "norm": "slaney" if norm == "slaney" else "peak",
            "domain": "hz",
            "zero_dc": False,
            "include_nyquist": True,
        }
    )


def mel(
    *,
    sr: float,
    n_fft: int,
    n_mels: int = 128,
    fmin: float = 0.0,
    fmax: float | None = None,
    htk: bool = False,
    norm: Any = "slaney",
    dtype: DTypeLike = np.float32,
) -> NDArray[Any]:
    """Mel filterbank ``(n_mels, 1 + n_fft // 2)``, as ``librosa.filters.mel``: Slaney (or HTK with ``htk=True``)
    mel scale, triangles linear in Hz, Slaney area normalisation (``norm='slaney'``) or peak 1 (``norm=None``).
    Built in float64 and rounded once to float32 (then cast to ``dtype``). Numeric ``norm`` values are not
    supported; ``fmax`` is at most ``sr / 2``.
    """
    spec = mel_spec(sr, n_mels, fmin, fmax, htk, norm)
    weights: NDArray[np.float32] = _native.mel_filters(mel_json(spec), sample_rate(sr), positive_int("n_fft", n_fft))
    return weights if np.dtype(dtype) == np.float32 else weights.astype(dtype)
