"""What the librosa drop-ins share: argument mapping onto stapes configs, and running a config over ``(..., n)``
audio (multichannel arrays are batches; the GIL is released and channels run on every core)."""

from __future__ import annotations

import warnings
from functools import lru_cache
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..._core import Config, _check_size, as_float32

# scipy.signal.get_window names (librosa's `window=` strings, always periodic: `fftbins=True`) → stapes kinds.
_WINDOWS = {
    "hann": "hann",
    "han": "hann",
    "hamming": "hamming",
    "hamm": "hamming",
    "ham": "hamming",
    "blackman": "blackman",
    "black": "blackman",
    "blk": "blackman",
    "boxcar": "rectangular",
    "box": "rectangular",
    "ones": "rectangular",
    "rect": "rectangular",
    "rectangular": "rectangular",
}
_PAD_MODES = {"constant": "constant", "reflect": "reflect", "edge": "edge"}
# librosa.stft refuses these itself.
_STFT_REFUSED = ("wrap", "maximum", "mean", "median", "minimum")

_NO_SCALARS = {n: False for n in ("rms", "zcr", "centroid", "bandwidth", "rolloff", "flatness", "flux")}


def window_kind(window: Any) -> str:
    """The stapes window kind of a librosa ``window=`` argument."""
    name = window[0] if isinstance(window, tuple) and len(window) == 1 else window
    if isinstance(name, str) and name in _WINDOWS:
        return _WINDOWS[name]
    raise NotImplementedError(
        f"window={window!r}: stapes computes the windows {', '.join(sorted(set(_WINDOWS)))} (scipy names, periodic); "
        "arrays, callables and parametrised windows are not supported"
    )


def padding(center: bool, pad_mode: Any, *, stft: bool = True) -> str:
    """The stapes padding of librosa's ``center``/``pad_mode``."""
    if not center:
        return "none"
    if isinstance(pad_mode, str) and pad_mode in _PAD_MODES:
        return _PAD_MODES[pad_mode]
    if stft and pad_mode in _STFT_REFUSED:
        raise ValueError(f"pad_mode='{pad_mode}' is not supported by librosa.stft")
    raise NotImplementedError(f"pad_mode={pad_mode!r}: stapes pads with 'constant' (zeros), 'reflect' or 'edge'")


def sample_rate(sr: float) -> int:
    if sr != int(sr) or sr <= 0:
        raise NotImplementedError(f"sr={sr}: stapes configs take a positive whole number of Hz")
    return int(sr)


def positive_int(name: str, value: Any) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) or value <= 0:
        raise ValueError(f"{name}={value!r} must be a positive integer")
    return int(value)


@lru_cache(maxsize=128)
def frames_config(
    sr: int,
    n_fft: int,
    hop_length: int,
    win_length: int,
    window: str,
    pad: str,
    spectrum: str = "power",
    mel: tuple[int, float, float, bool, str | None] | None = None,
    scalars: tuple[str, ...] = (),
    db_mfcc: tuple[int, float, bool] | None = None,
) -> Config:
    """A stapes config with librosa's framing; optionally a mel bank ``(n_mels, fmin, fmax, htk, norm)``, scalars,
    and ``db_mfcc = (n_mfcc, lifter, utterance)``: dB (ref 1, amin 1e-10, ``top_db = 80`` over the utterance when
    ``utterance``), then MFCC when ``n_mfcc > 0``."""
    data: dict[str, Any] = {
        "sample_rate": sr,
        "input_scale": 1.0,
        "frames": {
            "n_fft": n_fft,
            "win_length": win_length,
            "hop_length": hop_length,
            "padding": pad,
            "drop_last": False,
        },
        "dither": 0.0,
        "dither_seed": 0,
        "remove_dc": False,
        "preemphasis": 0.0,
        "window": {"kind": window, "symmetric": False, "align": "center"},
        "spectrum": spectrum,
        "mel": None,
        "log": "none",
        "normalize": "none",
        "affine": {"add": 0.0, "mul": 1.0},
        "mfcc": None,
        "scalars": {**_NO_SCALARS, **{name: True for name in scalars}},
    }
    if mel is not None:
        n_mels, fmin, fmax, htk, norm = mel
        data["mel"] = {
            "n_mels": n_mels,
            "fmin": fmin,
            "fmax": fmax,
            "scale": "htk" if htk else "slaney",
            "norm": "slaney" if norm == "slaney" else "peak",
            "domain": "hz",
            "zero_dc": False,
            "include_nyquist": True,
        }
    if db_mfcc is not None:
        n_mfcc, lifter, utterance = db_mfcc
        data["log"] = {"db": {"amin": 1e-10, "reference": 1.0}}
        if utterance:
            data["normalize"] = {"utterance": {"range": 80.0}}
        if n_mfcc > 0:
            data["mfcc"] = {
                "n_mfcc": n_mfcc,
                "lifter": {"librosa": float(lifter)} if lifter > 0 else "none",
                "energy_c0": False,
            }
    return Config.from_dict(data)


def audio(y: Any) -> NDArray[np.float32]:
    """librosa's ``y``: float32, at least 1-D, not empty."""
    if y is None:
        raise ValueError("Either `y` or `S` must be input")
    x = as_float32(y, "y")
    if x.ndim == 0:
        raise ValueError(f"Audio data must be at least one-dimensional, given y.shape={x.shape}")
    if x.shape[-1] == 0:
        raise ValueError(f"y is empty (shape {x.shape})")
    return x


def check_length(x: NDArray[np.float32], n_fft: int, center: bool, what: str = "n_fft") -> None:
    """librosa's checks of the frame length against the signal."""
    if n_fft > x.shape[-1]:
        if center:
            warnings.warn(f"{what}={n_fft} is too large for input signal of length={x.shape[-1]}", stacklevel=3)
        else:
            raise ValueError(
                f"{what}={n_fft} is too large for uncentered analysis of input signal of length={x.shape[-1]}"
            )


def run(x: NDArray[np.float32], cfg: Config, *, scalars: bool = False) -> NDArray[np.float32]:
    """Features (or scalars) of ``(..., n)`` audio: ``(..., rows, frames)``."""
    lead, n = x.shape[:-1], x.shape[-1]
    if x.ndim == 1:
        _check_size(cfg, n)
        features, values = cfg._native.extract(x)
    else:
        flat = np.ascontiguousarray(x.reshape(-1, n))
        _check_size(cfg, n, flat.shape[0])
        features, values = cfg._native.extract_batch(flat)
    out: NDArray[np.float32] = values if scalars else features
    return out.reshape(lead + out.shape[-2:])


def as_array(S: ArrayLike, name: str = "S") -> NDArray[Any]:
    array = np.asarray(S)
    if array.ndim < 2:
        raise ValueError(f"{name} must be at least 2-D (..., bins, frames), got shape {array.shape}")
    return array


def framing(n_fft: Any, hop_length: Any, win_length: Any) -> tuple[int, int, int]:
    """librosa's ``(n_fft, hop_length, win_length)`` checked, ``win_length`` defaulting to ``n_fft``."""
    n_fft = positive_int("n_fft", n_fft)
    win_length = n_fft if win_length is None else positive_int("win_length", win_length)
    return n_fft, positive_int("hop_length", hop_length), win_length


def core_scalar(
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
    n_fft, hop_length, win_length = framing(n_fft, hop_length, win_length)
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
