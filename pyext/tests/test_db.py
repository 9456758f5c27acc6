"""``stapes.compat.librosa.power_to_db`` runs in the core for float32: the drop-in pair
``power_to_db(melspectrogram(...))`` gives the fused preset's bits, and librosa's own results within float32
rounding; other dtypes and non-finite values keep librosa's numpy semantics."""

import librosa
import numpy as np
import pytest

import stapes
from stapes.compat import librosa as L

SR = 16000


def _signal(seconds: float = 3.3) -> np.ndarray:
    rng = np.random.default_rng(11)
    t = np.arange(int(SR * seconds)) / SR
    return (0.3 * np.sin(2 * np.pi * 440 * t * (1 + t)) + 0.05 * rng.standard_normal(t.size)).astype(np.float32)


@pytest.mark.parametrize("top_db", [80.0, 40.0, None])
def test_the_drop_in_pair_is_the_fused_preset_bit_for_bit(top_db):
    y = _signal()
    normalize = {"utterance": {"range": top_db}} if top_db is not None else "none"
    cfg = stapes.Config.from_preset(
        "librosa-mel",
        sample_rate=SR,
        frames={"n_fft": 512, "win_length": 512, "hop_length": 160},
        mel={"n_mels": 61, "fmax": 8000.0},
        normalize=normalize,
    )
    fused = stapes.extract(y, cfg)
    pair = L.power_to_db(L.feature.melspectrogram(y=y, sr=SR, n_fft=512, hop_length=160, n_mels=61), top_db=top_db)
    assert pair.dtype == np.float32 and pair.shape == fused.shape
    assert np.array_equal(pair.view(np.uint32), fused.view(np.uint32))


@pytest.mark.parametrize("ref", [1.0, np.max, 0.0, -2.5])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_power_to_db_matches_librosa(ref, dtype):
    S = np.abs(np.random.default_rng(3).standard_normal((7, 333))).astype(dtype) ** 2
    S[0, :5] = 0.0
    got = L.power_to_db(S, ref=ref)
    want = librosa.power_to_db(S, ref=ref)
    assert got.dtype == want.dtype and got.shape == want.shape
    np.testing.assert_allclose(got, want, atol=1e-4 if dtype == np.float32 else 1e-9)


def test_non_finite_values_and_bad_arguments_behave_as_librosa():
    S = np.ones((3, 9), np.float32)
    S[1, 2] = np.nan
    np.testing.assert_array_equal(np.isnan(L.power_to_db(S)), np.isnan(librosa.power_to_db(S)))
    with pytest.raises(ValueError, match="amin"):
        L.power_to_db(S, amin=0.0)
    with pytest.raises(ValueError, match="top_db"):
        L.power_to_db(S, top_db=-1.0)
    assert L.amplitude_to_db(np.float32(3.0) * np.ones((2, 2), np.float32)).dtype == np.float32
