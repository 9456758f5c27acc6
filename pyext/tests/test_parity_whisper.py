"""``stapes.compat.whisper.log_mel_spectrogram`` against faster-whisper's numpy front end (``FeatureExtractor``, the
file loaded by path), which reproduces OpenAI's ``log_mel_spectrogram``: ≤ 1e-4 absolute everywhere."""

from __future__ import annotations

from types import ModuleType

import numpy as np
import pytest

from conftest import signal
from stapes.compat import whisper


def _long(seconds: float, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    n = int(16000 * seconds)
    t = np.arange(n) / 16000
    x = 0.3 * np.sin(2 * np.pi * (200 + 300 * np.sin(2 * np.pi * 0.3 * t)) * t) + 0.05 * rng.standard_normal(n)
    return x.astype(np.float32)


SIGNALS = {
    "speech": lambda: signal("speech16"),
    "music": lambda: signal("music16"),
    "noise": lambda: signal("noise16"),
    "tones": lambda: signal("tones16"),
    "long": lambda: _long(7.3, 1),
    "odd-length": lambda: signal("speech16")[:12345],
    "short": lambda: signal("music16")[:300],
    "quiet": lambda: 1e-4 * signal("chirp16"),
}

# (signal, n_mels, padding): 28 combinations.
CASES = [
    (name, n_mels, padding)
    for name, n_mels, padding in [
        ("speech", 80, 0),
        ("speech", 128, 0),
        ("speech", 80, 160),
        ("speech", 128, 480),
        ("music", 80, 0),
        ("music", 128, 0),
        ("music", 80, 16000),
        ("music", 128, 160),
        ("noise", 80, 0),
        ("noise", 128, 1),
        ("tones", 80, 0),
        ("tones", 128, 3000),
        ("long", 80, 0),
        ("long", 128, 0),
        ("long", 80, 160),
        ("odd-length", 80, 0),
        ("odd-length", 128, 7),
        ("odd-length", 80, 159),
        ("short", 80, 0),
        ("short", 128, 0),
        ("short", 80, 100),
        ("quiet", 80, 0),
        ("quiet", 128, 160),
        ("speech", 80, 480000),
        ("noise", 80, 161),
        ("tones", 128, 0),
        ("music", 80, 320),
        ("quiet", 80, 48000),
    ]
]


@pytest.mark.parametrize(("name", "n_mels", "padding"), CASES, ids=[f"{c[0]}-{c[1]}-{c[2]}" for c in CASES])
def test_matches_faster_whisper(faster_whisper_fe: ModuleType, name: str, n_mels: int, padding: int) -> None:
    audio = SIGNALS[name]()
    want = faster_whisper_fe.FeatureExtractor(feature_size=n_mels)(audio, padding=padding)
    got = whisper.log_mel_spectrogram(audio, n_mels=n_mels, padding=padding)
    assert got.shape == want.shape == (n_mels, (audio.size + padding) // 160)
    assert got.dtype == np.float32
    err = float(np.abs(got - want).max())
    print(f"whisper-{n_mels} {name} padding={padding}: max |error| {err:.2e}")
    assert err <= 1e-4


def test_mel_filters_match(faster_whisper_fe: ModuleType) -> None:
    for n_mels in (80, 128):
        want = faster_whisper_fe.FeatureExtractor(feature_size=n_mels).mel_filters
        assert np.abs(whisper.mel_filters(n_mels=n_mels) - want).max() <= 1e-6


def test_batch_clamps_at_the_maximum_over_the_whole_batch(faster_whisper_fe: ModuleType) -> None:
    """torch's ``log_spec.max()`` in OpenAI's code spans the batch: built here from faster-whisper's pieces."""
    fe = faster_whisper_fe.FeatureExtractor(feature_size=80)
    batch = np.stack([signal("speech16"), 0.01 * signal("music16")])
    logs = []
    for row in batch:
        stft = fe.stft(row, fe.n_fft, fe.hop_length, window=np.hanning(fe.n_fft + 1)[:-1], return_complex=True)
        power = np.abs(stft[..., :-1]) ** 2
        logs.append(np.log10(np.clip(fe.mel_filters @ power, 1e-10, None)))
    log_spec = np.stack(logs)
    want = (np.maximum(log_spec, log_spec.max() - 8.0) + 4.0) / 4.0
    got = whisper.log_mel_spectrogram(batch)
    assert got.shape == want.shape
    assert np.abs(got - want).max() <= 1e-4
    # Each row alone would clamp differently: the quiet row's floor is the loud row's maximum minus 8.
    assert not np.allclose(got[1], whisper.log_mel_spectrogram(batch[1]), atol=1e-3)


def test_helpers() -> None:
    assert whisper.pad_or_trim(np.ones(10), 4).shape == (4,)
    assert whisper.pad_or_trim(np.ones((2, 10)), 16).shape == (2, 16)
    assert whisper.N_FRAMES == 3000 and whisper.N_SAMPLES == 480000
    with pytest.raises(NotImplementedError, match="file path"):
        whisper.log_mel_spectrogram("speech.wav")
    with pytest.raises(NotImplementedError, match="device"):
        whisper.log_mel_spectrogram(np.zeros(1600, np.float32), device="cuda")
    with pytest.raises(ValueError, match="n_mels"):
        whisper.log_mel_spectrogram(np.zeros(1600, np.float32), n_mels=64)
