"""Drop-in replacements with the signatures of the libraries people already use:

- ``stapes.compat.librosa``: ``stft``, ``melspectrogram``, ``power_to_db``, ``mfcc``, the spectral scalars,
  ``zero_crossing_rate``, ``rms``, ``filters.mel`` (librosa 0.11).
- ``stapes.compat.whisper``: ``log_mel_spectrogram`` (OpenAI Whisper's exact semantics), ``mel_filters``,
  ``pad_or_trim`` and the audio constants.
- ``stapes.compat.kaldi``: ``fbank`` and ``mfcc`` with ``torchaudio.compliance.kaldi``'s options and
  ``(frames, bins)`` output, numpy only.
- ``stapes.compat.micro_features``: ``MicroFrontend`` of ``pymicro_features`` (the TFLite Micro front end
  microWakeWord trains on), bit for bit.
"""

import importlib
from typing import Any

__all__ = ["kaldi", "librosa", "micro_features", "whisper"]


def __getattr__(name: str) -> Any:
    """Each drop-in module is imported on first use (PEP 562), so ``stapes.compat.kaldi`` does not load the others."""
    if name in __all__:
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
