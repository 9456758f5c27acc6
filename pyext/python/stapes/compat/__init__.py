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

from . import kaldi, librosa, micro_features, whisper

__all__ = ["kaldi", "librosa", "micro_features", "whisper"]
