"""stapes: audio features from one bit-deterministic Rust core.

The presets are the front ends models were trained with, pinned on every convention (see ``stapes.presets()`` and
the docstrings of ``stapes.Config``):

- ``whisper-80``, ``whisper-128``: OpenAI Whisper ``log_mel_spectrogram`` (16 kHz, 400-point periodic Hann, hop 160,
  reflect-padded centred frames, last frame dropped, Slaney mel 0-8 kHz, ``log10(max(x, 1e-10))``, clamp at the
  utterance maximum minus 8, then ``(x + 4) / 4``). Utterance-normalised: offline only.
- ``yamnet``, ``vggish``: AudioSet ``mel_features`` (16 kHz, 400 periodic Hann at the start of a 512 FFT, hop 160,
  complete frames only, magnitude, HTK mel 125-7500 Hz in mel-linear triangles, DC zeroed, 64 bands,
  ``ln(x + 0.001)`` / ``ln(x + 0.01)``). Streamable.
- ``kaldi-fbank``, ``kaldi-mfcc``: Kaldi / kaldi-native-fbank defaults with dither 0 (input scaled by 32768,
  25/10 ms povey frames in a 512 FFT, ``snip_edges``, DC removal, pre-emphasis 0.97, HTK mel 20-8000 Hz, 23 bands,
  ``ln(max(x, FLT_EPSILON))``; MFCC 13 with lifter 22 and C0 = raw log energy). Streamable.
- ``librosa-mel``, ``librosa-mfcc``: librosa 0.11 ``power_to_db(melspectrogram(y, sr=22050))`` and ``mfcc``
  (2048 periodic Hann, hop 512, zero-padded centred frames, Slaney mel 0-11025 Hz, 128 bands, dB with
  ``top_db=80`` over the utterance; MFCC 20, orthonormal DCT-II). Utterance-normalised: offline only.

- ``micro-wakeword``, ``micro-speech``: the TFLite Micro front end (microWakeWord's ``pymicro-features``; TFLite
  Micro's micro_speech), integer-only and bit-exact: int16 PCM (or floats, by ``clip(x * 32768)`` truncated), 30 ms
  windows every 10 / 20 ms, 40 channels 125-7500 Hz, noise reduction, PCAN, log. Configs are ``MicroConfig``s
  (``stapes.micro_presets()``); ``extract`` gives ``(40, n_frames)`` in pymicro-features' float scale.

Every preset takes audio in [-1, 1] at its sample rate; ``stapes.extract(y, cfg, sr=44100)`` resamples other rates
(8-48 kHz) to it with ``stapes.resample``, the same bits on every platform. ``stapes.compat`` holds drop-ins with the
signatures of librosa, Whisper and ``torchaudio.compliance.kaldi``.

>>> import numpy as np, stapes
>>> stapes.extract(np.zeros(16000, np.float32), "whisper-80").shape
(80, 100)
"""

from ._core import (
    Config,
    ConfigError,
    ConfigLike,
    Extractor,
    NonFiniteError,
    NotStreamableError,
    extract,
    presets,
    resample,
)
from ._files import extract_file, read_audio
from ._info import info, set_lanes
from ._micro import MicroConfig, micro_presets
from ._native import __version__


def __getattr__(name: str):
    """``stapes.compat`` on first use (PEP 562), as librosa loads its submodules: ``import stapes`` stays light, and
    ``stapes.compat.librosa...`` works without a separate import."""
    if name == "compat":
        import importlib

        return importlib.import_module(".compat", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "Config",
    "ConfigError",
    "ConfigLike",
    "Extractor",
    "NonFiniteError",
    "NotStreamableError",
    "__version__",
    "extract",
    "extract_file",
    "MicroConfig",
    "info",
    "micro_presets",
    "presets",
    "read_audio",
    "resample",
    "set_lanes",
]
