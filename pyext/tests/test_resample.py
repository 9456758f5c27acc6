"""The resampler's quality, measured against soxr (what librosa resamples with) and ``scipy.signal.resample_poly``,
and its use where audio enters at another rate (``extract(sr=...)``, ``extract_file``, ``compat.librosa.load``).

Promised (the module docs of ``stapes_core::resample``): passband flat to 0.9 of the lower rate's Nyquist frequency,
at least 80 dB of attenuation from that Nyquist frequency on, output ``n`` at time ``n / target_sr`` (no delay).
The thresholds below are tighter than the promise where the design allows, so that a change that loses quality
fails here before it breaks the promise."""

from __future__ import annotations

import math

import numpy as np
import pytest
import stapes

soxr = pytest.importorskip("soxr")
scipy_signal = pytest.importorskip("scipy.signal")

# The ratios issue 27 names, the extremes of the 8-48 kHz range, and an upsampling to a non-multiple.
RATIOS = [(44100, 16000), (48000, 16000), (22050, 16000), (8000, 16000), (16000, 44100), (48000, 8000), (8000, 48000)]


def _fit(y: np.ndarray, sr: float, freqs: list[float], t0: int) -> list[tuple[float, float]]:
    """Least-squares amplitude and phase (cosine form) of each frequency in ``y`` (sample 0 at time ``t0 / sr``),
    all fitted jointly with a DC term, so a strong tone does not leak into a weak one's estimate."""
    n = np.arange(len(y)) + t0
    cols = [np.ones(len(y))]
    for f in freqs:
        cols += [np.cos(2 * np.pi * f * n / sr), np.sin(2 * np.pi * f * n / sr)]
    c, *_ = np.linalg.lstsq(np.stack(cols, 1), y.astype(np.float64), rcond=None)
    pairs = [(c[1 + 2 * i], c[2 + 2 * i]) for i in range(len(freqs))]
    return [(math.hypot(a, b), math.atan2(-b, a)) for a, b in pairs]


def _tone(f: float, sr: int, seconds: float = 0.5) -> np.ndarray:
    t = np.arange(int(sr * seconds)) / sr
    return (0.5 * np.sin(2 * np.pi * f * t)).astype(np.float32)


def _middle(y: np.ndarray) -> tuple[int, np.ndarray]:
    """The middle 60% of ``y`` (the edges see the zeros around the signal) and where it starts."""
    a = len(y) // 5
    return a, y[a : len(y) - a]


def _speechlike(sr: int, seconds: float = 1.5, seed: int = 0) -> np.ndarray:
    """A voiced source (120 Hz ± 20 Hz, harmonics to Nyquist) through four formant resonators, with full-band breath
    noise 26 dB down and a 4 Hz syllable envelope, normalised to a 0.5 peak."""
    rng = np.random.default_rng(seed)
    n = int(sr * seconds)
    t = np.arange(n) / sr
    phase = 2 * np.pi * np.cumsum(120 + 20 * np.sin(2 * np.pi * 3 * t)) / sr
    source = sum(np.sin(k * phase) / k for k in range(1, int(sr / 2 / 160)))
    x = source.copy()
    for fc, bw in [(700, 100), (1200, 120), (2600, 200), (3500, 250)]:
        b, a = scipy_signal.iirpeak(fc, fc / bw, fs=sr)
        x += 3 * scipy_signal.lfilter(b, a, source)
    x += 0.05 * rng.standard_normal(n)
    x *= 0.5 + 0.5 * np.sin(2 * np.pi * 4 * t)
    return (0.5 * x / np.abs(x).max()).astype(np.float32)


def _two_tones(sr: int, seconds: float = 1.5) -> np.ndarray:
    t = np.arange(int(sr * seconds)) / sr
    return (0.3 * np.sin(2 * np.pi * 440 * t) + 0.2 * np.sin(2 * np.pi * 3100 * t)).astype(np.float32)


def _snr(reference: np.ndarray, y: np.ndarray) -> float:
    """SNR of ``y`` against ``reference`` in dB, over the middle 80% (edge handling is each library's own)."""
    assert len(reference) == len(y)
    a = len(y) // 10
    r = reference[a : len(y) - a].astype(np.float64)
    e = r - y[a : len(y) - a]
    return 10 * math.log10(float((r**2).sum()) / float((e**2).sum()))


def _lag(reference: np.ndarray, y: np.ndarray, max_lag: int = 20) -> int:
    """The shift of ``y`` against ``reference`` that maximises their cross-correlation."""
    a = len(y) // 10
    r = reference[a : len(y) - a].astype(np.float64)
    s = y[a : len(y) - a].astype(np.float64)
    core = r[max_lag:-max_lag]
    return max(range(-max_lag, max_lag + 1), key=lambda k: float(core @ s[max_lag + k : len(s) - max_lag + k]))


@pytest.mark.parametrize(("orig", "target"), RATIOS)
def test_passband_is_flat_and_undelayed(orig: int, target: int) -> None:
    """Tones from 20 Hz to 0.9 of the lower Nyquist frequency keep their amplitude within ±0.001 dB and their
    phase: the fitted delay is under 0.001 of an output sample (the filter is symmetric and centred)."""
    nyquist = min(orig, target) / 2
    gains, delays = [], []
    for f in np.linspace(20, 0.9 * nyquist, 12):
        a, y = _middle(stapes.resample(_tone(f, orig), orig, target))
        ((amp, phase),) = _fit(y, target, [f], a)
        gains.append(20 * math.log10(amp / 0.5))
        # sin(ωt) is cos(ωt − π/2): a delay d (output samples) adds −ω·d/target to the phase.
        err = (phase + np.pi / 2 + np.pi) % (2 * np.pi) - np.pi
        delays.append(-err / (2 * np.pi * f) * target)
    assert max(abs(g) for g in gains) < 1e-3, gains
    assert max(abs(d) for d in delays) < 1e-3, delays


@pytest.mark.parametrize(("orig", "target"), [r for r in RATIOS if r[0] > r[1]])
def test_downsampling_attenuates_everything_above_the_new_nyquist_by_95_db(orig: int, target: int) -> None:
    """Tones between the output's Nyquist frequency and the input's come out (aliased) at least 95 dB down."""
    worst = -math.inf
    for f in np.linspace(target / 2, 0.999 * orig / 2, 25):
        alias = abs(f - round(f / target) * target)
        if alias < 5 or abs(alias - target / 2) < 5:  # a DC or Nyquist alias cannot be fitted as a tone
            continue
        a, y = _middle(stapes.resample(_tone(f, orig), orig, target))
        ((amp, _),) = _fit(y, target, [alias], a)
        worst = max(worst, 20 * math.log10(amp / 0.5 + 1e-30))
    assert worst < -95, worst


@pytest.mark.parametrize(("orig", "target"), [r for r in RATIOS if r[0] < r[1]])
def test_upsampling_leaves_no_image_above_95_db_down(orig: int, target: int) -> None:
    """A tone anywhere below the input's Nyquist frequency leaves its images (``k·orig ± f`` below the output's
    Nyquist frequency) at least 95 dB under the tone."""
    worst = -math.inf
    for f in np.linspace(20, 0.999 * orig / 2, 20):
        images = [g for k in range(1, target // orig + 2) for g in (k * orig - f, k * orig + f) if g < target / 2 - 1]
        a, y = _middle(stapes.resample(_tone(f, orig), orig, target))
        fitted = _fit(y, target, [f, *images], a)
        worst = max([worst] + [20 * math.log10(amp / 0.5 + 1e-30) for amp, _ in fitted[1:]])
    assert worst < -95, worst


@pytest.mark.parametrize(("orig", "target"), RATIOS)
def test_close_to_soxr_and_aligned_with_soxr_and_resample_poly(orig: int, target: int) -> None:
    """Same length as soxr's and ``resample_poly``'s output, cross-correlation peak at lag 0 against both, and
    against soxr's HQ output (librosa's default): SNR ≥ 100 dB on two tones (inside both passbands: the filters'
    tiny ripples are all that differ), ≥ 38 dB on a speech-like signal whose breath noise reaches Nyquist (the
    two filters' transition bands differ there). ``resample_poly``'s default filter is shorter (Kaiser β 5):
    we agree with it within 1 dB of how well soxr agrees with it."""
    g = math.gcd(orig, target)
    for name, x, floor in [("tones", _two_tones(orig), 100.0), ("speech", _speechlike(orig), 38.0)]:
        y = stapes.resample(x, orig, target)
        hq = soxr.resample(x, orig, target, quality="HQ")
        poly = scipy_signal.resample_poly(x.astype(np.float64), target // g, orig // g)
        assert len(y) == len(hq) == len(poly) == math.ceil(len(x) * target / orig)
        assert _lag(hq, y) == 0 and _lag(poly, y) == 0, name
        assert _snr(hq, y) >= floor, (name, _snr(hq, y))
        assert _snr(poly, y) >= _snr(poly, hq) - 1.0, (name, _snr(poly, y), _snr(poly, hq))


def test_equal_rates_return_the_samples_unchanged() -> None:
    x = _speechlike(16000)
    x[5] = -0.0
    y = stapes.resample(x, 16000, 16000.0)
    assert y.dtype == np.float32 and y.tobytes() == x.tobytes()


def test_bad_rates_and_samples_are_clear_errors() -> None:
    x = np.zeros(100, np.float32)
    with pytest.raises(ValueError, match="between 8000 and 48000"):
        stapes.resample(x, 0, 16000)
    with pytest.raises(ValueError, match="between 8000 and 48000"):
        stapes.resample(x, 96000, 16000)
    with pytest.raises(ValueError, match="whole number of Hz"):
        stapes.resample(x, 44100.5, 16000)
    with pytest.raises(ValueError, match="1-D"):
        stapes.resample(np.zeros((2, 100), np.float32), 44100, 16000)
    bad = x.copy()
    bad[7] = np.nan
    with pytest.raises(stapes.NonFiniteError) as info:
        stapes.resample(bad, 44100, 16000)
    assert info.value.index == 7


def test_extract_resamples_to_the_configs_rate() -> None:
    """``extract(y, cfg, sr=...)`` is ``extract(resample(y, sr, cfg.sample_rate), cfg)``, for one signal, a 2-D
    batch and a list; ``resample=False`` refuses instead."""
    x = _speechlike(44100)
    want = stapes.extract(stapes.resample(x, 44100, 16000), "yamnet")
    np.testing.assert_array_equal(stapes.extract(x, "yamnet", sr=44100), want)
    np.testing.assert_array_equal(stapes.extract(np.stack([x, x]), "yamnet", sr=44100)[1], want)
    np.testing.assert_array_equal(stapes.extract([x, x[:20000]], "yamnet", sr=44100)[0], want)
    # The config's own rate (or none given) passes the samples through.
    y16 = _speechlike(16000)
    np.testing.assert_array_equal(stapes.extract(y16, "yamnet", sr=16000), stapes.extract(y16, "yamnet"))
    with pytest.raises(ValueError, match="sample rate mismatch.*resample=False"):
        stapes.extract(x, "yamnet", sr=44100, resample=False)


def test_extract_file_and_librosa_load_resample(tmp_path) -> None:
    """``extract_file`` resamples a 44.1 kHz file to the preset's rate; ``compat.librosa.load`` gives librosa's
    length and rate, samples within 38 dB SNR of ``librosa.load`` (soxr HQ) on speech-like audio, and the file's own
    samples bit for bit with ``sr=None``."""
    soundfile = pytest.importorskip("soundfile")
    librosa = pytest.importorskip("librosa")
    from stapes.compat import librosa as compat

    x = _speechlike(44100)
    path = tmp_path / "speech44.wav"
    soundfile.write(path, x, 44100, subtype="FLOAT")
    want = stapes.extract(stapes.resample(x, 44100, 16000), "whisper-80")
    np.testing.assert_array_equal(stapes.extract_file(path, "whisper-80"), want)
    with pytest.raises(ValueError, match="44100 Hz"):
        stapes.extract_file(path, "whisper-80", resample=False)

    for sr in (16000, 22050, None):
        ours, our_sr = compat.load(path, sr=sr, offset=0.1, duration=1.0)
        theirs, their_sr = librosa.load(path, sr=sr, offset=0.1, duration=1.0)
        assert our_sr == their_sr and ours.shape == theirs.shape and ours.dtype == theirs.dtype
        if sr is None:
            assert ours.tobytes() == theirs.tobytes()
        else:
            assert _snr(theirs, ours) >= 38.0, (sr, _snr(theirs, ours))
    np.testing.assert_array_equal(
        compat.resample(x, orig_sr=44100, target_sr=16000), stapes.resample(x, 44100, 16000)
    )
    with pytest.raises(NotImplementedError, match="res_type"):
        compat.resample(x, orig_sr=44100, target_sr=16000, res_type="kaiser_best")
