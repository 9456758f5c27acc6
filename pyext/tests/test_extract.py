"""Offline extraction: shapes and layout, batches equal a loop of single calls, scalars, the core's goldens."""

from __future__ import annotations

import numpy as np
import pytest

import stapes
from conftest import GOLDEN, signal


def _rng_audio(n: int, seed: int) -> np.ndarray:
    return (0.2 * np.random.default_rng(seed).standard_normal(n)).astype(np.float32)


@pytest.mark.parametrize("name", stapes.presets())
def test_shape_dtype_layout(name: str) -> None:
    cfg = stapes.Config.from_preset(name)
    y = _rng_audio(cfg.sample_rate, 0)
    f = stapes.extract(y, name)
    assert f.shape == (cfg.n_features, cfg.n_frames(y.size))
    assert f.dtype == np.float32 and f.flags["C_CONTIGUOUS"]
    np.testing.assert_array_equal(stapes.extract(y, cfg, sr=cfg.sample_rate), f)


@pytest.mark.parametrize(
    ("preset", "golden"),
    [("whisper-80", "whisper80"), ("yamnet", "yamnet"), ("vggish", "vggish"), ("kaldi-fbank", "kaldi_fbank")],
)
def test_presets_match_the_cores_reference_data(preset: str, golden: str) -> None:
    """The wheel computes what the core's reference tests check (golden files made by the real packages)."""
    for sig in ("speech16", "music16"):
        want = np.load(GOLDEN / f"{golden}_{sig}.npy")
        got = stapes.extract(signal(sig), preset)
        assert got.shape == want.shape
        top = want.max(axis=0, keepdims=True)
        range_ = {"whisper80": 1.5, "yamnet": 6.9, "vggish": 6.9, "kaldi_fbank": 13.8}[golden]
        assert np.abs(got - want)[want >= top - range_].max() <= 1e-4


@pytest.mark.parametrize("name", ["whisper-80", "kaldi-mfcc", "librosa-mfcc", "yamnet"])
def test_batch_equals_a_loop_of_single_calls(name: str) -> None:
    cfg = stapes.Config.from_preset(name)
    batch = np.stack([_rng_audio(cfg.sample_rate + 777, seed) for seed in range(6)])
    singles = np.stack([stapes.extract(row, cfg) for row in batch])
    for threads in (None, 1, 2, 3):
        np.testing.assert_array_equal(stapes.extract(batch, cfg, num_threads=threads), singles)


def test_list_of_any_lengths_equals_a_loop() -> None:
    cfg = stapes.Config.from_preset("kaldi-fbank", scalars={"rms": True, "centroid": True})
    items = [_rng_audio(n, n) for n in (400, 401, 16000, 12345, 999)]
    got = stapes.extract(items, cfg, with_scalars=True)
    assert isinstance(got, list) and len(got) == len(items)
    for (f, s), y in zip(got, items):
        f1, s1 = stapes.extract(y, cfg, with_scalars=True)
        np.testing.assert_array_equal(f, f1)
        np.testing.assert_array_equal(s, s1)
        assert s.shape == (2, cfg.n_frames(y.size))
    assert [f.shape[1] for f in stapes.extract([list(items[0]), items[1]], cfg)] == [1, 1]


def test_scalars_rows_follow_the_names() -> None:
    cfg = stapes.Config.from_preset("librosa-mel", scalars={"zcr": True, "rms": True, "flatness": True})
    y = signal("speech22")
    f, s = stapes.extract(y, cfg, with_scalars=True)
    assert cfg.scalar_names == ["rms", "zcr", "flatness"] and s.shape == (3, f.shape[1])
    batch_f, batch_s = stapes.extract(np.stack([y, y]), cfg, with_scalars=True)
    np.testing.assert_array_equal(batch_s[1], s)
    np.testing.assert_array_equal(batch_f[0], f)
    _, none = stapes.extract(y, "librosa-mel", with_scalars=True)
    assert none.shape == (0, f.shape[1])


def test_short_audio_gives_zero_frames() -> None:
    f = stapes.extract(np.zeros(100, np.float32), "yamnet")
    assert f.shape == (64, 0)
    assert stapes.extract(np.zeros((2, 100), np.float32), "yamnet").shape == (2, 64, 0)


def test_dtype_conversions() -> None:
    y = _rng_audio(16000, 1)
    f32 = stapes.extract(y, "yamnet")
    np.testing.assert_array_equal(stapes.extract(y.astype(np.float64), "yamnet"), f32)
    pcm = (y * 32768).round().astype(np.int16)
    np.testing.assert_array_equal(stapes.extract(pcm, "yamnet"), stapes.extract(pcm / np.float32(32768), "yamnet"))
    np.testing.assert_array_equal(stapes.extract(list(y), "yamnet"), f32)
    view = np.repeat(y, 2)[::2]
    assert not view.flags["C_CONTIGUOUS"]
    np.testing.assert_array_equal(stapes.extract(view, "yamnet"), f32)
    reversed_batch = np.stack([y, y])[:, ::-1]
    np.testing.assert_array_equal(stapes.extract(reversed_batch, "yamnet")[0], stapes.extract(y[::-1], "yamnet"))
