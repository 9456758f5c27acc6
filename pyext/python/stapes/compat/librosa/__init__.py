"""Drop-ins for librosa 0.11: the same names, keyword arguments, defaults, output shapes and dtypes, computed by the
stapes core. Use it as ``import stapes.compat.librosa as librosa``; ``librosa.feature.*`` and
``librosa.filters.mel`` work as they do upstream, and the functions are also importable from here directly.

Conventions pinned (librosa's): periodic windows (scipy ``fftbins=True``), centred frames padded with zeros by
default, unnormalised FFT with numpy's sign, Slaney mel scale and area normalisation, triangles linear in Hz,
``power_to_db`` with ``ref=1, amin=1e-10, top_db=80`` over the whole input. Outputs are float32 (complex64 for
``stft``) computed in float32; the spectral scalars and zero-crossing rate are returned as float64, as librosa does.

``load`` and ``resample`` (the librosa functions that resample; the feature functions never do) use the stapes
resampler where librosa uses soxr (``res_type='soxr_hq'``): same length and alignment, nearly the same samples.

Not supported (``NotImplementedError`` naming the argument): window arrays, callables and parametrised windows;
pad modes other than ``'constant'``, ``'reflect'`` and ``'edge'``; ``n_fft`` that is not ``2^a·3^b·5^c`` in
16..4096 for the core paths (``ConfigError`` names ``frames.n_fft``); numeric mel ``norm``; ``dct_type`` other
than 2; ``stft(out=...)``; zero-crossing ``threshold``/``ref_magnitude``/``pad``/``zero_pos`` other than their
defaults. Empty ``y`` raises ``ValueError`` (librosa returns one frame of zeros).
"""

from . import feature, filters
from ._audio import load, resample
from ._spectrum import amplitude_to_db, power_to_db, stft
from .feature import (
    melspectrogram,
    mfcc,
    rms,
    spectral_bandwidth,
    spectral_centroid,
    spectral_flatness,
    spectral_rolloff,
    zero_crossing_rate,
)

__all__ = [
    "amplitude_to_db",
    "feature",
    "filters",
    "load",
    "melspectrogram",
    "mfcc",
    "power_to_db",
    "resample",
    "rms",
    "spectral_bandwidth",
    "spectral_centroid",
    "spectral_flatness",
    "spectral_rolloff",
    "stft",
    "zero_crossing_rate",
]
