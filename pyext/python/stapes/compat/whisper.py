"""Drop-in for OpenAI Whisper's ``whisper.audio`` front end (``log_mel_spectrogram`` and friends), numpy in and out.

``log_mel_spectrogram(audio, n_mels=80, padding=0)`` has OpenAI's exact semantics: ``padding`` zeros appended,
400-point periodic Hann STFT with hop 160, centred with reflect padding, last frame dropped, power spectrum,
Slaney mel filters (librosa's, as in ``mel_filters.npz``), ``log10(max(x, 1e-10))``, clamp at the maximum minus 8
over the whole input (over the whole batch for 2-D input, as torch does), then ``(x + 4) / 4``. Note that
``whisper.transcribe`` calls it with ``padding=N_SAMPLES`` (30 s of zeros), which changes the global maximum.
faster-whisper's ``FeatureExtractor.__call__`` defaults to ``padding=160``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .._core import Config, _check_size, as_float32

__all__ = [
    "CHUNK_LENGTH",
    "FRAMES_PER_SECOND",
    "HOP_LENGTH",
    "N_FFT",
    "N_FRAMES",
    "N_SAMPLES",
    "N_SAMPLES_PER_TOKEN",
    "SAMPLE_RATE",
    "TOKENS_PER_SECOND",
    "log_mel_spectrogram",
    "mel_filters",
    "pad_or_trim",
]

SAMPLE_RATE = 16000
N_FFT = 400
HOP_LENGTH = 160
CHUNK_LENGTH = 30
N_SAMPLES = CHUNK_LENGTH * SAMPLE_RATE  # 480000 samples in a 30-second chunk
N_FRAMES = N_SAMPLES // HOP_LENGTH  # 3000 frames in a mel spectrogram input
N_SAMPLES_PER_TOKEN = HOP_LENGTH * 2  # the initial convolutions have stride 2
FRAMES_PER_SECOND = SAMPLE_RATE // HOP_LENGTH  # 10 ms per audio frame
TOKENS_PER_SECOND = SAMPLE_RATE // N_SAMPLES_PER_TOKEN  # 20 ms per audio token

_CONFIGS: dict[tuple[int, bool], Config] = {}


def _config(n_mels: int, normalized: bool) -> Config:
    if n_mels not in (80, 128):
        raise ValueError(f"Unsupported n_mels: {n_mels} (Whisper's mel_filters.npz has 80 and 128)")
    key = (n_mels, normalized)
    if key not in _CONFIGS:
        cfg = Config.from_preset(f"whisper-{n_mels}")
        if not normalized:
            cfg = cfg.replace(normalize="none", affine={"add": 0.0, "mul": 1.0})
        _CONFIGS[key] = cfg
    return _CONFIGS[key]


def _check_device(device: Any) -> None:
    if device is not None and str(device) != "cpu":
        raise NotImplementedError(f"device={device!r}: stapes computes on the CPU and returns numpy arrays")


def mel_filters(device: Any = None, n_mels: int = 80) -> NDArray[np.float32]:
    """The ``(n_mels, 201)`` float32 mel filterbank (librosa's ``filters.mel(sr=16000, n_fft=400, n_mels=n_mels)``,
    what Whisper ships in ``mel_filters.npz``)."""
    _check_device(device)
    from .. import _native

    result: NDArray[np.float32] = _native.mel_matrix(_config(n_mels, True).to_json())
    return result


def pad_or_trim(array: ArrayLike, length: int = N_SAMPLES, *, axis: int = -1) -> NDArray[Any]:
    """Pads (with zeros, at the end) or trims ``array`` along ``axis`` to ``length``, as the encoder expects."""
    x = np.asarray(array)
    if x.shape[axis] > length:
        x = np.take(x, np.arange(length), axis=axis)
    if x.shape[axis] < length:
        pad_widths = [(0, 0)] * x.ndim
        pad_widths[axis] = (0, length - x.shape[axis])
        x = np.pad(x, pad_widths)
    return x


def log_mel_spectrogram(
    audio: ArrayLike,
    n_mels: int = 80,
    padding: int = 0,
    device: Any | None = None,
) -> NDArray[np.float32]:
    """Whisper's log-mel spectrogram: float32 ``(n_mels, n_frames)`` for 1-D audio, ``(batch, n_mels, n_frames)``
    for 2-D, with ``n_frames = (len(audio) + padding) // 160``.

    ``audio`` is 16 kHz mono in [-1, 1] (numpy, or anything with ``__array__`` such as a CPU torch tensor). File
    paths are not decoded here (Whisper runs ffmpeg): load the audio first. ``device`` must be ``None`` or
    ``"cpu"``.
    """
    from .._core import extract

    if isinstance(audio, (str, bytes)):
        raise NotImplementedError(
            "audio as a file path: stapes does not run ffmpeg; load 16 kHz mono float32 samples first "
            "(for example with stapes.read_audio, then stapes.resample to 16 kHz if needed)"
        )
    _check_device(device)
    if int(padding) != padding or padding < 0:
        raise ValueError(f"padding must be a non-negative number of samples, got {padding!r}")
    x = as_float32(audio)
    if x.ndim not in (1, 2):
        raise ValueError(f"audio must be 1-D or 2-D (batch, samples), got shape {x.shape}")
    if x.shape[-1] == 0 and padding == 0:
        raise ValueError("audio is empty")
    if padding > 0:
        widths = [(0, 0)] * (x.ndim - 1) + [(0, int(padding))]
        x = np.pad(x, widths)
    if x.ndim == 1:
        cfg = _config(n_mels, True)
        _check_size(cfg, x.shape[-1])
        result: NDArray[np.float32] = extract(x, cfg)
        return result
    # A batch: torch's `log_spec.max()` is over the whole tensor, so clamp over the whole batch here too.
    cfg = _config(n_mels, False)
    _check_size(cfg, x.shape[-1], x.shape[0])
    log_spec: NDArray[np.float32] = extract(x, cfg)
    np.maximum(log_spec, log_spec.max() - np.float32(8.0), out=log_spec)
    log_spec += np.float32(4.0)
    log_spec /= np.float32(4.0)
    return log_spec
