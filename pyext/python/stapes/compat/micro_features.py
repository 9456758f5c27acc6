"""A drop-in for ``pymicro_features`` (2.0.2): ``MicroFrontend`` with ``process_samples(audio: bytes)`` and
``reset()``, behaving as the C extension does, computed by stapes' core.

Each call takes 10 ms (160 samples, 320 bytes of 16 kHz little-endian int16) from the start of ``audio`` and reads
no more, whatever its length; shorter input raises ``ValueError``; the features (40 floats, ``u16 × 0.0390625``)
come once 30 ms have been read, then every call. As in the original, ``audio`` must be ``bytes`` (or another
read-only buffer such as a numpy array): ``bytearray`` and ``memoryview`` raise ``TypeError``.

>>> from stapes.compat.micro_features import MicroFrontend
>>> fe = MicroFrontend()
>>> [len(fe.process_samples(bytes(320)).features) for _ in range(4)]
[0, 0, 40, 40]
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import List

from .. import _native

__all__ = ["MicroFrontend", "MicroFrontendOutput"]

_BYTES_PER_CHUNK = 320


@dataclass
class MicroFrontendOutput:
    """Output from ProcessSamples."""

    features: List[float]
    samples_read: int


def _chunk(audio: object) -> bytes:
    if type(audio) is bytes:
        if len(audio) >= _BYTES_PER_CHUNK:
            return audio[:_BYTES_PER_CHUNK] if len(audio) > _BYTES_PER_CHUNK else audio
        data = audio
    elif isinstance(audio, bytes):
        data = audio
    elif isinstance(audio, (bytearray, memoryview)):
        # CPython's "y#" refuses mutable or releasable buffers with this message.
        raise TypeError(f"argument 2 must be read-only bytes-like object, not {type(audio).__name__}")
    else:
        try:
            view = memoryview(audio)  # type: ignore[arg-type]
        except TypeError:
            raise TypeError(f"a bytes-like object is required, not '{type(audio).__name__}'") from None
        data = view.cast("B").tobytes() if view.contiguous else view.tobytes()
    if len(data) < _BYTES_PER_CHUNK:
        raise ValueError(
            f"audio length ({len(data)} bytes) < required chunk size ({_BYTES_PER_CHUNK} bytes)"
        )
    return data[:_BYTES_PER_CHUNK]


class MicroFrontend:
    """TFLite Micro audio frontend."""

    def __init__(self) -> None:
        """Initialize frontend."""
        self._stream = _native.MicroStream(_native.micro_preset_json("micro-wakeword"))

    def process_samples(self, audio: bytes) -> MicroFrontendOutput:
        """Process 16Khz 16-bit audio samples."""
        features, samples_read = self._stream.process_samples_float(_chunk(audio))
        return MicroFrontendOutput(features, samples_read)

    def reset(self) -> None:
        """Reset state."""
        self._stream.reset()
