"""``librosa.feature``: melspectrogram, mfcc, spectral centroid/bandwidth/rolloff/flatness, zero-crossing rate, rms.

With audio ``y`` and the parameters the core computes (the defaults, and most settings people use), everything runs
in the stapes core: framing, window, FFT, mel, dB, DCT and the per-frame scalars, multichannel input on every core
with the GIL released. Spectrogram input ``S=``, and parameters the core has no switch for (``roll_percent``,
``p``, ``freq``, other ``power`` values, frame lengths that are not FFT sizes...), take librosa's numpy formulas on a
stapes spectrogram instead. Parameters that neither path supports raise ``NotImplementedError`` naming them.
"""

from ._mel import melspectrogram, mfcc
from ._spectral import spectral_bandwidth, spectral_centroid, spectral_flatness, spectral_rolloff
from ._temporal import rms, zero_crossing_rate

__all__ = [
    "melspectrogram",
    "mfcc",
    "rms",
    "spectral_bandwidth",
    "spectral_centroid",
    "spectral_flatness",
    "spectral_rolloff",
    "zero_crossing_rate",
]
