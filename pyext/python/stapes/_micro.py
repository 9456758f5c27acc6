"""The TFLite Micro front end ("microfrontend"): the features microWakeWord trains on through ``pymicro-features``,
computed by the core's integer pipeline, bit for bit the reference's ``uint16`` values.

Its config is a ``MicroConfig`` (its own fields: the reference's ``FrontendConfig``), not a ``Config``: the presets
``micro-wakeword`` and ``micro-speech`` go through ``stapes.extract`` like the others.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, Union, cast

import numpy as np
from numpy.typing import ArrayLike, NDArray

from . import _native

__all__ = ["MicroConfig", "micro_presets"]


def micro_presets() -> list[str]:
    """The TFLite Micro preset names: ``micro-wakeword`` (pymicro-features / microWakeWord: 16 kHz, 30 ms window,
    10 ms step, 40 channels 125-7500 Hz, noise reduction and PCAN on) and ``micro-speech`` (TFLite Micro's
    micro_speech example: the same with a 20 ms step)."""
    return list(_native.micro_presets())


class MicroConfig:
    """A validated TFLite Micro front-end config (JSON-backed, immutable).

    >>> MicroConfig.preset("micro-wakeword").n_features
    40
    >>> MicroConfig.preset("micro-wakeword").replace(output="u16").output
    'u16'

    ``output`` chooses what ``stapes.extract`` returns: ``"u16"`` (the reference's values, uint16), ``"float"``
    (pymicro-features' ``u16 × 0.0390625``, float32) or ``"int8"`` (ESPHome's model input, int8).
    """

    __slots__ = ("_json", "_dict")

    def __init__(self, json_text: str) -> None:
        self._json = _native.micro_canonical_json(json_text)
        self._dict: dict[str, Any] = json.loads(self._json)

    @classmethod
    def preset(cls, name: str) -> MicroConfig:
        """The preset ``name``; ``KeyError`` naming the known ones otherwise."""
        text = _native.micro_preset_json(name)
        if text is None:
            raise KeyError(f"no TFLite Micro preset {name!r}; known: {', '.join(micro_presets())}")
        return cls(text)

    def replace(self, **fields: Any) -> MicroConfig:
        """A copy with ``fields`` changed (validated; ``ConfigError`` names a bad one)."""
        unknown = set(fields) - set(self._dict)
        if unknown:
            raise _native.ConfigError(f"unknown MicroConfig field(s): {', '.join(sorted(unknown))}")
        return MicroConfig(json.dumps({**self._dict, **fields}))

    def to_json(self) -> str:
        """The canonical JSON form."""
        return self._json

    def to_dict(self) -> dict[str, Any]:
        """The fields as a dict."""
        return dict(self._dict)

    @property
    def sample_rate(self) -> int:
        """Sample rate of the input, Hz."""
        return int(self._dict["sample_rate"])

    @property
    def n_features(self) -> int:
        """Channels per frame."""
        return int(self._dict["channels"])

    @property
    def output(self) -> str:
        """``"u16"``, ``"float"`` or ``"int8"``."""
        return str(self._dict["output"])

    def __eq__(self, other: object) -> bool:
        return isinstance(other, MicroConfig) and other._json == self._json

    def __hash__(self) -> int:
        return hash(self._json)

    def __repr__(self) -> str:
        return f"MicroConfig({self._json!r})"


MicroConfigLike = Union[MicroConfig, str]


def is_micro(config: object) -> bool:
    """Whether ``config`` names or is a TFLite Micro config."""
    return isinstance(config, MicroConfig) or (isinstance(config, str) and config in _native.micro_presets())


def resolve(config: MicroConfigLike) -> MicroConfig:
    return config if isinstance(config, MicroConfig) else MicroConfig.preset(config)


def pcm(y: ArrayLike, what: str = "audio") -> NDArray[Any]:
    """``y`` as a contiguous 1-D int16 or float32 array (float64 becomes float32 first, as for every preset; the
    core then turns floats into int16 by its one rule, ``clip(x · 32768)`` truncated toward zero)."""
    a = np.asarray(y)
    if a.dtype.kind == "i" and a.dtype.itemsize == 2:
        # Native byte order and C order (a byte-swapped or strided int16 array is copied).
        return np.ascontiguousarray(a, dtype=np.int16)
    if a.dtype.kind == "f":
        with np.errstate(over="ignore"):
            return np.require(a, dtype=np.float32, requirements=["C_CONTIGUOUS", "ALIGNED"])
    raise TypeError(f"{what} has dtype {a.dtype}; the TFLite Micro front end takes int16 PCM or float samples in [-1, 1]")


def extract(y: ArrayLike | Sequence[ArrayLike], config: MicroConfigLike, sr: int | float | None = None) -> Any:
    """``stapes.extract`` for TFLite Micro configs: ``(channels, n_frames)`` per signal."""
    cfg = resolve(config)
    if sr is not None and sr != cfg.sample_rate:
        raise ValueError(f"sr={sr} but the config expects {cfg.sample_rate} Hz; resample first")
    if type(y) is not np.ndarray and isinstance(y, (list, tuple)) and y and not np.isscalar(y[0]):
        return [extract(s, cfg) for s in cast(Sequence[ArrayLike], y)]
    x = pcm(y)  # type: ignore[arg-type]
    if x.ndim == 2:
        if x.shape[0] == 0 or x.shape[1] == 0:
            raise ValueError(f"audio batch is empty (shape {x.shape})")
        return np.stack([_native.micro_extract(cfg.to_json(), row) for row in x])
    if x.ndim != 1:
        raise ValueError(f"audio must be 1-D (samples) or 2-D (batch, samples), got shape {x.shape}")
    if x.size == 0:
        raise ValueError("audio is empty")
    return _native.micro_extract(cfg.to_json(), x)
