"""Configs, offline extraction and streaming: the typed façade over the private ``stapes._native`` extension."""

from __future__ import annotations

import json
import pickle
from collections.abc import Mapping, Sequence
from typing import Any, Union, cast

import numpy as np
from numpy.typing import ArrayLike, NDArray

from . import _micro, _native
from ._native import ConfigError, NonFiniteError, NotStreamableError

__all__ = [
    "Config",
    "ConfigError",
    "ConfigLike",
    "Extractor",
    "NonFiniteError",
    "NotStreamableError",
    "extract",
    "presets",
]

#: Outputs larger than this many float32 values (8 GiB) are refused before any work starts.
MAX_OUTPUT_VALUES = 2**31

# Fields whose JSON value is an object of named fields: overrides of these merge into the preset's value. Every
# other field (numbers, and the enums `log`, `normalize`, `mfcc.lifter`) is replaced whole.
_STRUCT_FIELDS = frozenset({"frames", "window", "mel", "affine", "mfcc", "scalars"})


def presets() -> list[str]:
    """The preset names, in a stable order.

    >>> stapes.presets()[:2]
    ['whisper-80', 'whisper-128']
    """
    return list(_native.presets())


def _config_error(field: str, message: str) -> ConfigError:
    err = ConfigError(f"{field}: {message}" if field else message)
    err.field = field
    return err


def _json_default(value: Any) -> Any:
    """Numpy scalars in overrides become plain numbers."""
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"{type(value).__name__} is not a JSON value")


def _apply_override(data: dict[str, Any], key: str, value: Any) -> None:
    """Sets one override; `key` may be a dotted path (``"frames.n_fft"``)."""
    *parents, leaf = key.split(".")
    node = data
    path = ""
    for part in parents:
        path = f"{path}.{part}" if path else part
        child = node.get(part)
        if not isinstance(child, dict):
            raise _config_error(path, "is not an object in this config, so it has no field to override")
        node = child
    full = f"{path}.{leaf}" if path else leaf
    if leaf not in node:
        known = ", ".join(sorted(node))
        raise _config_error(full, f"unknown field (known here: {known})")
    old = node[leaf]
    if leaf in _STRUCT_FIELDS and not parents and isinstance(old, dict) and isinstance(value, Mapping):
        node[leaf] = {**old, **value}
    else:
        node[leaf] = value


class Config:
    """A whole feature pipeline: framing, window, spectrum, mel bank, log, normalisation, MFCC and scalars.

    A config is immutable, validated when it is made, compares and hashes by its JSON, and pickles as its JSON (so
    it travels to Dask, Ray or Spark workers). Its JSON is byte-for-byte what the dashboard writes to the node.

    Make one from a preset (``Config.from_preset``), from JSON (``from_json``) or a dict (``from_dict``). Invalid
    configs raise ``ConfigError`` (a ``ValueError``) whose ``.field`` names the bad field, e.g. ``frames.n_fft``.

    >>> cfg = stapes.Config.from_preset("whisper-80", normalize="none")
    >>> cfg.is_streamable, cfg.n_features
    (True, 80)
    """

    __slots__ = ("_json", "_native", "_preset")

    def __init__(self, json_text: str, *, _preset: str | None = None) -> None:
        if not isinstance(json_text, str):
            raise TypeError(f"Config(json_text) takes a JSON string, not {type(json_text).__name__}")
        native = _native.Offline(json_text)
        self._native = native
        self._json: str = native.json
        self._preset = _preset

    # -- construction -------------------------------------------------------------------------------------------

    @classmethod
    def from_preset(cls, name: str, **overrides: Any) -> Config:
        """The preset ``name`` (see ``stapes.presets()``), with fields replaced by ``overrides``.

        Top-level fields are keywords; object fields (``frames``, ``window``, ``mel``, ``affine``, ``mfcc``,
        ``scalars``) merge, so ``frames={"hop_length": 320}`` keeps the other framing fields. Dotted paths work too:
        ``Config.from_preset("yamnet", **{"mel.n_mels": 40})``.

        >>> stapes.Config.from_preset("kaldi-fbank", mel={"n_mels": 40}).n_features
        40
        """
        base = _native.preset_json(name)
        if base is None:
            raise _config_error("preset", f"unknown preset {name!r}; the presets are {', '.join(presets())}")
        if not overrides:
            return cls(base, _preset=name)
        data = json.loads(base)
        for key, value in overrides.items():
            _apply_override(data, key, value)
        return cls._from_data(data)

    @classmethod
    def from_json(cls, text: str | bytes) -> Config:
        """Parses and validates config JSON (the dashboard's format)."""
        if isinstance(text, (bytes, bytearray)):
            text = bytes(text).decode("utf-8")
        return cls(text)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Config:
        """A config from the dict form (as ``to_dict`` returns it)."""
        return cls._from_data(dict(data))

    @classmethod
    def _from_data(cls, data: Mapping[str, Any]) -> Config:
        try:
            text = json.dumps(data, default=_json_default, allow_nan=True)
        except (TypeError, ValueError) as e:
            raise _config_error("", f"config is not JSON-serialisable: {e}") from None
        return cls(text)

    def replace(self, **overrides: Any) -> Config:
        """A copy with fields replaced, as in ``from_preset``."""
        data = self.to_dict()
        for key, value in overrides.items():
            _apply_override(data, key, value)
        return Config._from_data(data)

    # -- views --------------------------------------------------------------------------------------------------

    def to_json(self) -> str:
        """The canonical JSON (pretty-printed; what the dashboard writes to the node)."""
        return self._json

    def to_dict(self) -> dict[str, Any]:
        """The JSON form as Python dicts and lists."""
        result: dict[str, Any] = json.loads(self._json)
        return result

    @property
    def preset(self) -> str | None:
        """The preset name, if this config is an unmodified preset."""
        return self._preset

    @property
    def sample_rate(self) -> int:
        """Sample rate (Hz) the input must have."""
        return int(self._native.sample_rate)

    @property
    def n_features(self) -> int:
        """Rows of the output: MFCC count, else mel bands, else ``n_fft // 2 + 1`` linear bins."""
        return int(self._native.n_features)

    @property
    def scalar_names(self) -> list[str]:
        """The per-frame scalars this config computes, in output order."""
        return list(self._native.scalar_names)

    @property
    def is_streamable(self) -> bool:
        """Whether streaming gives the same frames as ``extract`` (no whole-utterance normalisation)."""
        return bool(self._native.streamable)

    def n_frames(self, n_samples: int) -> int:
        """Frames that ``n_samples`` samples give."""
        return int(self._native.n_frames(int(n_samples)))

    # -- protocol -----------------------------------------------------------------------------------------------

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Config) and other._json == self._json

    def __hash__(self) -> int:
        return hash(self._json)

    def __repr__(self) -> str:
        if self._preset is not None:
            return f"Config.from_preset({self._preset!r})"
        compact = json.dumps(self.to_dict(), separators=(",", ":"))
        return f"Config.from_json({compact!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (_restore_config, (self._json, self._preset))


def _restore_config(json_text: str, preset: str | None) -> Config:
    return Config(json_text, _preset=preset)


#: A config, or the name of a preset.
ConfigLike = Union[Config, str]

_PRESET_CACHE: dict[str, Config] = {}


def _resolve(config: ConfigLike) -> Config:
    if isinstance(config, Config):
        return config
    if isinstance(config, str):
        cached = _PRESET_CACHE.get(config)
        if cached is None:
            cached = Config.from_preset(config)
            _PRESET_CACHE[config] = cached
        return cached
    raise TypeError(f"config must be a stapes.Config or a preset name, not {type(config).__name__}")


# -- audio conversion -----------------------------------------------------------------------------------------------


_FLOAT32 = np.dtype(np.float32)


def as_float32(y: ArrayLike, what: str = "audio") -> NDArray[np.float32]:
    """``y`` as a C-contiguous float32 array: floating types are converted, int16 is scaled by 1/32768 (so a 16-bit
    PCM file becomes [-1, 1)), anything else raises ``TypeError``. Non-contiguous, byte-swapped or misaligned arrays
    are copied."""
    # The common case goes through untouched: np.require and np.errstate cost microseconds, as much as extracting
    # a tenth of a second of audio.
    if type(y) is np.ndarray and y.dtype is _FLOAT32 and y.flags.c_contiguous and y.flags.aligned:
        return y
    array = np.asarray(y)
    if array.dtype.kind == "f":
        # Copies non-contiguous, byte-swapped and misaligned arrays (pickle-5 buffers can start at any byte), and,
        # unlike ascontiguousarray, keeps 0-D as 0-D. Values beyond float32's range become infinite, which the
        # extraction then refuses by index.
        with np.errstate(over="ignore"):
            return np.require(array, dtype=np.float32, requirements=["C_CONTIGUOUS", "ALIGNED"])
    if array.dtype == np.int16:
        return np.asarray(array, dtype=np.float32, order="C") * np.float32(1.0 / 32768.0)
    raise TypeError(
        f"{what} has dtype {array.dtype}; stapes takes float samples in [-1, 1] (or int16 PCM, scaled by 1/32768)"
    )


def _is_list_of_signals(y: object) -> bool:
    return isinstance(y, (list, tuple)) and len(y) > 0 and all(isinstance(e, (np.ndarray, list, tuple)) for e in y)


def _rate(sr: int | float, what: str) -> int:
    """A sample rate as an integer number of Hz (``44100.0`` is fine, ``44100.5`` is not)."""
    if isinstance(sr, bool) or not isinstance(sr, (int, float, np.integer, np.floating)) or sr != int(sr):
        raise ValueError(f"{what} must be a whole number of Hz, got {sr!r}")
    return int(sr)


def resample(y: ArrayLike, orig_sr: int | float, target_sr: int | float) -> NDArray[np.float32]:
    """``y`` (1-D, sampled at ``orig_sr`` Hz) resampled to ``target_sr`` Hz by the core's resampler, float32.

    Both rates must be whole numbers of Hz between 8000 and 48000. The result has ``ceil(len(y) * target_sr /
    orig_sr)`` samples (the ratio reduced first), sample ``n`` at time ``n / target_sr`` seconds (aligned as
    ``scipy.signal.resample_poly`` and soxr align: no delay), the signal taken as zero outside itself. The filter is
    a polyphase Kaiser-windowed sinc, flat to 0.9 of the lower rate's Nyquist frequency and at least 80 dB down from
    that Nyquist frequency on, so nothing aliases. Equal rates return the samples unchanged. The bits are the same
    on every platform stapes runs on (the node, the dashboard's wasm and this wheel).

    >>> stapes.resample(np.zeros(44100, np.float32), 44100, 16000).shape
    (16000,)
    """
    x = as_float32(y)
    if x.ndim != 1:
        raise ValueError(f"audio must be 1-D, got shape {x.shape}; resample each channel separately")
    return _native.resample(x, _rate(orig_sr, "orig_sr"), _rate(target_sr, "target_sr"))


def _to_rate(config: Config, y: Any, sr: int | float | None, allow: bool) -> Any:
    """``y`` at the config's rate: unchanged when ``sr`` is ``None`` or already the config's, else resampled (each
    signal of a batch or list alone), or refused when ``allow`` is false."""
    if sr is None or sr == config.sample_rate:
        return y
    if not allow:
        raise ValueError(
            f"sample rate mismatch: the audio is at {sr} Hz but the config expects {config.sample_rate} Hz "
            "(resample=False; pass resample=True, the default, to have stapes resample it)"
        )
    target = config.sample_rate
    if type(y) is not np.ndarray and _is_list_of_signals(y):
        return [resample(s, sr, target) for s in cast(Sequence[ArrayLike], y)]
    x = as_float32(y)
    if x.ndim == 2:
        return np.stack([resample(row, sr, target) for row in x]) if x.shape[0] else x
    return resample(x, sr, target) if x.ndim == 1 else x


def _check_size(config: Config, n_samples: int, batch: int = 1) -> None:
    values = config._native.output_values(n_samples) * batch
    if values > MAX_OUTPUT_VALUES:
        raise ValueError(
            f"the output would hold {values} values ({values * 4 / 2**30:.1f} GiB), more than stapes allows "
            f"({MAX_OUTPUT_VALUES}); use a longer hop or split the audio"
        )


def _signal(y: ArrayLike, what: str = "audio") -> NDArray[np.float32]:
    x = as_float32(y, what)
    if x.ndim != 1:
        raise ValueError(f"{what} must be 1-D, got shape {x.shape}")
    if x.size == 0:
        raise ValueError(f"{what} is empty")
    return x


# -- offline --------------------------------------------------------------------------------------------------------


def extract(
    y: ArrayLike | Sequence[ArrayLike],
    config: ConfigLike,
    sr: int | float | None = None,
    *,
    resample: bool = True,
    with_scalars: bool = False,
    num_threads: int | None = None,
) -> Any:
    """Features of ``y`` under ``config`` (a ``Config`` or a preset name), float32, ``(n_features, n_frames)`` as
    in librosa and Whisper.

    ``y`` is one signal (1-D), a ``(batch, samples)`` array (gives ``(batch, n_features, n_frames)``) or a list of
    signals of any lengths (gives a list). Batches run on ``num_threads`` threads (default: every core); the GIL is
    released while the DSP runs. Samples are float32/float64 in [-1, 1] or int16 PCM; NaN or infinite samples raise
    ``NonFiniteError`` (a ``ValueError``).

    ``sr`` is the audio's sample rate. When it is given and differs from ``config.sample_rate``, the audio is first
    resampled to the config's rate with ``stapes.resample`` (every signal of a batch alike; both rates must be
    within 8-48 kHz), so ``extract(y, "whisper-80", sr=44100)`` gives the features Whisper would see after
    resampling. With ``resample=False`` a differing ``sr`` raises ``ValueError`` instead. Without ``sr`` the audio
    is taken to be at the config's rate.

    With ``with_scalars=True`` the result is ``(features, scalars)``, the scalars ``(n_scalars, n_frames)`` in
    ``config.scalar_names`` order.

    >>> y = np.zeros(16000, np.float32)
    >>> stapes.extract(y, "whisper-80").shape
    (80, 100)
    """
    if _micro.is_micro(config):
        if with_scalars:
            raise ValueError("the TFLite Micro front end has no per-frame scalars")
        return _micro.extract(y, cast(Any, config), sr)
    cfg = _resolve(config)
    y = _to_rate(cfg, y, sr, resample)
    # A numpy array is never a list of signals: the common call skips that test.
    if type(y) is not np.ndarray and _is_list_of_signals(y):
        signals = [_signal(s, f"batch item {i}") for i, s in enumerate(cast(Sequence[ArrayLike], y))]
        for s in signals:
            _check_size(cfg, s.size)
        pairs = cfg._native.extract_list(signals, num_threads)
        return [(f, s) if with_scalars else f for f, s in pairs]
    x = as_float32(y)  # type: ignore[arg-type]
    if x.ndim == 1:
        if x.size == 0:
            raise ValueError("audio is empty")
        _check_size(cfg, x.size)
        features, scalars = cfg._native.extract(x)
    elif x.ndim == 2:
        if x.shape[0] == 0 or x.shape[1] == 0:
            raise ValueError(f"audio batch is empty (shape {x.shape})")
        _check_size(cfg, x.shape[1], x.shape[0])
        features, scalars = cfg._native.extract_batch(x, num_threads)
    else:
        raise ValueError(
            f"audio must be 1-D (samples) or 2-D (batch, samples), got {x.ndim}-D with shape {x.shape}; mix "
            "channels down or reshape first"
        )
    return (features, scalars) if with_scalars else features


# -- streaming ------------------------------------------------------------------------------------------------------


class Extractor:
    """Streaming extraction: feed chunks of any length to ``process``, get the frames they complete; ``flush`` ends
    the stream. For a streamable config (``config.is_streamable``), the concatenated output equals ``extract`` of
    the whole signal bit for bit. Configs that normalise over the whole utterance (``whisper-*``, ``librosa-*``)
    raise ``NotStreamableError``: use ``config.replace(normalize="none")`` to stream them.

    An extractor pickles (to ship it to a worker) between streams only: before the first ``process``, or after
    ``flush``/``reset``; mid-stream it raises ``pickle.PicklingError``.

    >>> ex = stapes.Extractor("yamnet")
    >>> parts = [ex.process(chunk) for chunk in np.array_split(np.zeros(16000, np.float32), 7)]
    >>> np.concatenate(parts + [ex.flush()], axis=1).shape
    (64, 98)
    """

    __slots__ = ("_config", "_stream")

    def __init__(self, config: ConfigLike) -> None:
        self._config = _resolve(config)
        self._stream = _native.Stream(self._config.to_json())

    @property
    def config(self) -> Config:
        """The config this extractor runs."""
        return self._config

    @property
    def samples_seen(self) -> int:
        """Samples processed since the stream started (0 after ``flush`` or ``reset``)."""
        return int(self._stream.samples)

    def process(self, chunk: ArrayLike, *, with_scalars: bool = False) -> Any:
        """Pushes a 1-D chunk; returns ``(n_features, k)`` float32 for the ``k`` frames it completes (``k`` may be
        0). A chunk with a NaN or infinite sample raises ``NonFiniteError`` and leaves the stream as it was."""
        x = as_float32(chunk, "chunk")
        if x.ndim != 1:
            raise ValueError(f"chunk must be 1-D, got shape {x.shape}")
        features, scalars = self._stream.process(x)
        return (features, scalars) if with_scalars else features

    def flush(self, *, with_scalars: bool = False) -> Any:
        """Ends the stream (pads the end as the config says) and returns the remaining frames; the extractor is then
        ready for a new stream."""
        features, scalars = self._stream.flush()
        return (features, scalars) if with_scalars else features

    def reset(self) -> None:
        """Forgets the stream so far."""
        self._stream.reset()

    def __repr__(self) -> str:
        return f"Extractor({self._config!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        if self._stream.samples:
            raise pickle.PicklingError(
                f"this Extractor is mid-stream ({self._stream.samples} samples processed); pickle it before the "
                "first process() or after flush()/reset()"
            )
        return (Extractor, (self._config,))
