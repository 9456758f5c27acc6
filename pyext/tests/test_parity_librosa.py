"""``stapes.compat.librosa`` against librosa itself, installed at test time: every drop-in, many parameter sets.

Tolerances (the core's reference tests): dB within 1e-3 on bins within 60 dB of their frame's maximum; MFCC 5e-4 per
100 of the frame's largest coefficient (times the lifter gain); STFT and linear spectra relative to each frame's
peak; scalars relative, with librosa's bin frequencies and crossing counts exact.
"""

from __future__ import annotations

import itertools
import warnings
from typing import Any

import librosa
import numpy as np
import pytest

import stapes.compat.librosa as L
from conftest import librosa_lifter, masked_error, mfcc_error, signal


def _db(x: np.ndarray, per_decade: float = 10) -> np.ndarray:
    """dB of a power spectrum (``per_decade=10``) or of a magnitude spectrum (20)."""
    return per_decade * np.log10(np.maximum(np.asarray(x, np.float64), 1e-10))


def _relative(got: np.ndarray, want: np.ndarray, floor: float) -> float:
    return float((np.abs(got.astype(np.float64) - want) / np.maximum(np.abs(want), floor)).max(initial=0.0))


def _stft_error(got: np.ndarray, want: np.ndarray) -> float:
    """|error| over each frame's peak magnitude (frames of digital silence are exact)."""
    peak = np.maximum(np.abs(want).max(axis=-2, keepdims=True), 1e-12)
    return float((np.abs(got.astype(np.complex128) - want) / peak).max())


def _call(module: Any, name: str, y: np.ndarray, sr: int, kwargs: dict[str, Any]) -> np.ndarray:
    function = getattr(module, name) if name in ("stft",) else getattr(module.feature, name)
    if name in ("stft", "zero_crossing_rate"):
        return function(y, **kwargs)
    if name == "spectral_flatness":
        return function(y=y, **kwargs)
    if name == "rms":
        return function(y=y, **kwargs)
    return function(y=y, sr=sr, **kwargs)


# (function, kwargs, signal): 45 parameter sets over every drop-in.
CASES: list[tuple[str, dict[str, Any], str]] = [
    ("stft", {}, "speech22"),
    ("stft", {"n_fft": 512, "hop_length": 128}, "music16"),
    ("stft", {"n_fft": 1024, "win_length": 800, "window": "hamming"}, "chirp22"),
    ("stft", {"n_fft": 400, "hop_length": 160, "center": True, "pad_mode": "reflect"}, "speech16"),
    ("stft", {"n_fft": 2048, "center": False}, "music22"),
    ("stft", {"n_fft": 256, "window": "blackman", "pad_mode": "edge"}, "noise16"),
    ("stft", {"n_fft": 4096, "hop_length": 1000, "window": "boxcar"}, "tones22"),
    ("stft", {"n_fft": 375, "hop_length": 100}, "speech16"),
    ("melspectrogram", {}, "speech22"),
    ("melspectrogram", {"n_fft": 512, "hop_length": 160, "n_mels": 64}, "speech16"),
    ("melspectrogram", {"n_fft": 1024, "n_mels": 40, "fmin": 60.0, "fmax": 7600.0, "htk": True}, "music16"),
    ("melspectrogram", {"n_mels": 80, "norm": None, "power": 1.0}, "music22"),
    ("melspectrogram", {"n_fft": 400, "hop_length": 160, "n_mels": 80, "pad_mode": "reflect"}, "tones16"),
    ("melspectrogram", {"n_fft": 2048, "win_length": 1024, "window": "hamming", "center": False}, "chirp22"),
    ("melspectrogram", {"power": 1.5, "n_mels": 96}, "noise22"),
    ("melspectrogram", {"n_fft": 512, "n_mels": 256, "fmax": 8000.0, "htk": True, "norm": None}, "noise16"),
    ("mfcc", {}, "speech22"),
    ("mfcc", {"n_mfcc": 13, "n_fft": 512, "hop_length": 160, "n_mels": 40}, "speech16"),
    ("mfcc", {"lifter": 22}, "music22"),
    ("mfcc", {"n_mfcc": 40, "n_mels": 64, "htk": True, "fmin": 20.0}, "music16"),
    ("mfcc", {"norm": None, "lifter": 10}, "tones22"),
    ("mfcc", {"mel_norm": None, "n_fft": 1024}, "chirp22"),
    ("mfcc", {"power": 1.0, "n_mfcc": 12, "n_fft": 512, "hop_length": 256}, "noise16"),
    ("mfcc", {"center": False, "window": "hamming"}, "speech22"),
    ("spectral_centroid", {}, "speech22"),
    ("spectral_centroid", {"n_fft": 512, "hop_length": 160}, "music16"),
    ("spectral_centroid", {"n_fft": 1024, "window": "hamming", "center": False}, "tones22"),
    ("spectral_bandwidth", {}, "music22"),
    ("spectral_bandwidth", {"p": 1}, "speech22"),
    ("spectral_bandwidth", {"n_fft": 512, "norm": False}, "noise16"),
    ("spectral_rolloff", {}, "speech22"),
    ("spectral_rolloff", {"roll_percent": 0.95}, "music22"),
    ("spectral_rolloff", {"n_fft": 512, "hop_length": 160, "roll_percent": 0.5}, "speech16"),
    ("spectral_flatness", {}, "music22"),
    ("spectral_flatness", {"power": 1.0}, "noise22"),
    ("spectral_flatness", {"n_fft": 512, "amin": 1e-8}, "tones16"),
    ("zero_crossing_rate", {}, "speech22"),
    ("zero_crossing_rate", {"frame_length": 1024, "hop_length": 256}, "music16"),
    ("zero_crossing_rate", {"frame_length": 1001, "hop_length": 333}, "noise16"),
    ("zero_crossing_rate", {"center": False}, "tones22"),
    ("rms", {}, "speech22"),
    ("rms", {"frame_length": 512, "hop_length": 128, "pad_mode": "reflect"}, "music16"),
    ("rms", {"frame_length": 1000, "center": False}, "chirp22"),
    ("rms", {"frame_length": 777, "hop_length": 100}, "noise16"),
    ("rms", {"pad_mode": "symmetric"}, "tones22"),
]


def _grid(name: str, options: dict[str, list[Any]], signals: list[str], n: int = 20) -> list[tuple[str, dict, str]]:
    """``n`` combinations spread evenly over the product of ``options``, the signals taken in turn."""
    combos = list(itertools.product(*options.values()))
    step = max(1, len(combos) // n)
    picked = [dict(zip(options, c)) for c in combos[::step][:n]]
    return [
        (name, {k: v for k, v in kw.items() if v is not None}, signals[i % len(signals)]) for i, kw in enumerate(picked)
    ]


S16 = ["speech16", "music16", "noise16", "tones16", "chirpn16"]
S22 = ["speech22", "music22", "noise22", "tones22", "chirpn22"]
FRAMING = {
    "n_fft": [512, 1024, 2048],
    "hop_length": [128, 256, 512],
    "window": ["hann", "hamming"],
    "center": [True, False],
}

# At least 20 more parameter sets for every function, spread over the argument grid.
GRID: list[tuple[str, dict[str, Any], str]] = [
    *_grid(
        "stft",
        {
            "n_fft": [256, 375, 512, 1024, 2048],
            "hop_length": [None, 100, 256],
            "window": ["hann", "hamming", "blackman", "boxcar"],
            "center": [True, False],
            "pad_mode": ["constant", "reflect", "edge"],
        },
        S22,
    ),
    *_grid(
        "melspectrogram",
        {
            "n_fft": [512, 2048],
            "hop_length": [160, 512],
            "n_mels": [40, 64, 128],
            "htk": [False, True],
            "norm": ["slaney", None],
            "fmin": [0.0, 50.0],
            "power": [2.0, 1.0],
        },
        S16,
    ),
    *_grid(
        "mfcc",
        {
            "n_mfcc": [13, 20, 40],
            "n_mels": [40, 64, 128],
            "lifter": [0, 22],
            "norm": ["ortho", None],
            "n_fft": [512, 2048],
            "htk": [False, True],
        },
        S22,
    ),
    *_grid("spectral_centroid", FRAMING, S22),
    *_grid("spectral_bandwidth", {**FRAMING, "p": [2, 1]}, S16),
    *_grid("spectral_rolloff", {**FRAMING, "roll_percent": [0.85, 0.95]}, S22),
    *_grid("spectral_flatness", {**FRAMING, "power": [2.0, 1.0]}, S16),
    *_grid(
        "zero_crossing_rate",
        {"frame_length": [512, 1000, 1024, 2048], "hop_length": [128, 256, 512], "center": [True, False]},
        S22,
    ),
    *_grid(
        "rms",
        {
            "frame_length": [512, 777, 1024, 2048],
            "hop_length": [128, 512],
            "center": [True, False],
            "pad_mode": ["constant", "reflect", "edge"],
        },
        S16,
    ),
]


SCALAR_TOLERANCE = {
    "spectral_centroid": (1e-4, 1.0),
    "spectral_bandwidth": (1e-4, 1.0),
    "spectral_flatness": (1e-3, 1e-3),
    "rms": (1e-5, 1e-3),
}


ALL_CASES = CASES + GRID


@pytest.mark.parametrize(("name", "kwargs", "sig"), ALL_CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(ALL_CASES)])
def test_matches_librosa(name: str, kwargs: dict[str, Any], sig: str) -> None:
    y = signal(sig)
    sr = 16000 if sig.endswith("16") else 22050
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        want = _call(librosa, name, y, sr, kwargs)
    got = _call(L, name, y, sr, kwargs)
    assert got.shape == want.shape
    assert got.dtype == want.dtype
    if name == "stft":
        err = _stft_error(got, want)
        print(f"stft {kwargs}: {err:.2e} of frame peak")
        assert err <= 2e-5
    elif name == "melspectrogram":
        per_decade = 20 if kwargs.get("power", 2.0) == 1.0 else 10
        err = masked_error(_db(got, per_decade), _db(want, per_decade), 60.0)
        print(f"melspectrogram {kwargs}: {err:.2e} dB")
        assert err <= 1e-3
    elif name == "mfcc":
        gain = librosa_lifter(want.shape[-2], kwargs.get("lifter", 0))
        if kwargs.get("norm", "ortho") is None:
            # scipy's unnormalised DCT multiplies row k by 2√N (k = 0) or √(2N): so do value and tolerance.
            n_mels = kwargs.get("n_mels", 128)
            gain = gain * np.where(np.arange(want.shape[-2]) == 0, 2 * np.sqrt(n_mels), np.sqrt(2 * n_mels))
        err = mfcc_error(got, want, gain)
        print(f"mfcc {kwargs}: {err:.3f} of the tolerance")
        assert err <= 1.0
    elif name in ("zero_crossing_rate", "spectral_rolloff"):
        np.testing.assert_array_equal(got, want)
    else:
        rel, floor = SCALAR_TOLERANCE[name]
        if name == "spectral_flatness" and kwargs.get("power", 2.0) != 2.0:
            # The geometric mean of magnitudes (amin 1e-10) reaches bins 200 dB under the peak, down to float32 FFT
            # rounding (librosa's FFT runs in float64): 5e-3 there; with power 2 the amin clamp keeps it at 1e-3.
            rel = 5e-3
        err = _relative(got, want, floor)
        print(f"{name} {kwargs}: relative {err:.2e}")
        assert err <= rel


FILTER_GRID = [
    kw
    for _, kw, _ in _grid(
        "mel",
        {
            "sr": [8000, 16000, 22050, 44100],
            "n_fft": [256, 400, 1024, 2048],
            "n_mels": [20, 40, 80, 128],
            "htk": [False, True],
            "norm": ["slaney", None],
            "fmin": [0.0, 30.0],
        },
        [""],
    )
]


FILTER_CASES = [
    *FILTER_GRID,
    {"sr": 22050, "n_fft": 2048},
    {"sr": 16000, "n_fft": 512, "n_mels": 64, "fmin": 125.0, "fmax": 7500.0, "htk": True},
    {"sr": 16000, "n_fft": 400, "n_mels": 80},
    {"sr": 44100, "n_fft": 4096, "n_mels": 256, "norm": None},
    {"sr": 22050, "n_fft": 2047, "n_mels": 60},
    {"sr": 8000, "n_fft": 100, "n_mels": 20, "fmin": 50.0},
]


@pytest.mark.parametrize("kwargs", FILTER_CASES)
def test_filters_mel(kwargs: dict[str, Any]) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        want = librosa.filters.mel(**kwargs)
    got = L.filters.mel(**kwargs)
    assert got.shape == want.shape and got.dtype == want.dtype
    assert np.abs(got - want).max() <= 1e-6


@pytest.mark.parametrize(
    "kwargs",
    [{}, {"ref": np.max}, {"top_db": None}, {"amin": 1e-5, "top_db": 60.0}, {"ref": 10.0, "top_db": 40.0}],
)
def test_power_to_db(kwargs: dict[str, Any]) -> None:
    S = np.abs(librosa.stft(signal("music22"))) ** 2
    got = L.power_to_db(S, **kwargs)
    want = librosa.power_to_db(S, **kwargs)
    assert got.dtype == want.dtype
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-4)
    np.testing.assert_allclose(L.amplitude_to_db(np.sqrt(S)), librosa.amplitude_to_db(np.sqrt(S)), atol=1e-3)


def test_log_mel_pipeline_matches_power_to_db_of_melspectrogram() -> None:
    y = signal("speech22")
    want = librosa.power_to_db(librosa.feature.melspectrogram(y=y, sr=22050))
    got = L.power_to_db(L.melspectrogram(y=y, sr=22050))
    assert masked_error(got, want, 60.0) <= 1e-3


@pytest.mark.parametrize(
    ("name", "kwargs"),
    [
        ("melspectrogram", {"n_mels": 64}),
        ("mfcc", {"n_mfcc": 13}),
        ("spectral_centroid", {}),
        ("rms", {}),
        ("stft", {"n_fft": 512}),
    ],
)
def test_multichannel(name: str, kwargs: dict[str, Any]) -> None:
    y = np.stack([signal("speech22"), 0.3 * signal("music22")])[None]  # (1, 2, n)
    want = _call(librosa, name, y, 22050, kwargs)
    got = _call(L, name, y, 22050, kwargs)
    assert got.shape == want.shape
    if name == "mfcc":
        # The top_db clamp is over both channels together, as in librosa.
        assert mfcc_error(got, want) <= 1.0
    elif name == "stft":
        assert _stft_error(got, want) <= 2e-5
    elif name == "melspectrogram":
        assert masked_error(_db(got), _db(want), 60.0) <= 1e-3
    else:
        assert _relative(got, want, 1e-3) <= 1e-4


SPECTROGRAM_INPUT = [
    "melspectrogram",
    "spectral_centroid",
    "spectral_bandwidth",
    "spectral_rolloff",
    "spectral_flatness",
    "rms",
]


@pytest.mark.parametrize("name", SPECTROGRAM_INPUT)
def test_spectrogram_input(name: str) -> None:
    """``S=`` takes librosa's numpy formulas on the given spectrogram."""
    y = signal("music22")
    S = np.abs(librosa.stft(y, n_fft=1024))
    if name == "melspectrogram":
        S = S**2
        kwargs: dict[str, Any] = {"sr": 22050}
    elif name == "spectral_flatness":
        kwargs = {}
    elif name == "rms":
        kwargs = {"frame_length": 1024}
    else:
        kwargs = {"sr": 22050}
    want = getattr(librosa.feature, name)(S=S, **kwargs)
    got = getattr(L.feature, name)(S=S, **kwargs)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-9)


def test_mfcc_from_log_mel_input() -> None:
    S = librosa.power_to_db(librosa.feature.melspectrogram(y=signal("speech22"), sr=22050))
    assert (
        mfcc_error(
            L.mfcc(S=S, n_mfcc=20, lifter=5), librosa.feature.mfcc(S=S, n_mfcc=20, lifter=5), librosa_lifter(20, 5)
        )
        <= 1.0
    )


@pytest.mark.parametrize(
    ("call", "needle"),
    [
        (lambda y: L.stft(y, window=np.ones(2048)), "window"),
        (lambda y: L.stft(y, window=("kaiser", 4.0)), "window"),
        (lambda y: L.stft(y, pad_mode="symmetric"), "pad_mode"),
        (lambda y: L.stft(y, out=np.empty((1025, 44), np.complex64)), "out"),
        (lambda y: L.mfcc(y=y, dct_type=3), "dct_type"),
        (lambda y: L.melspectrogram(y=y, norm=2.0), "norm"),
        (lambda y: L.zero_crossing_rate(y, threshold=0.1), "threshold"),
    ],
)
def test_unsupported_arguments_raise_not_implemented_naming_them(call: Any, needle: str) -> None:
    with pytest.raises(NotImplementedError, match=needle):
        call(signal("speech22"))
