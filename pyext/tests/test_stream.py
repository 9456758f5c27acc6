"""Streaming: any chunking gives ``extract``'s frames bit for bit; state, flush, reset and pickling."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

import stapes
from conftest import signal

STREAMABLE = [
    stapes.Config.from_preset("yamnet"),
    stapes.Config.from_preset("vggish"),
    stapes.Config.from_preset("kaldi-fbank"),
    stapes.Config.from_preset("kaldi-mfcc"),
    stapes.Config.from_preset("whisper-80", normalize="none"),
    stapes.Config.from_preset("whisper-128", normalize="none"),
    stapes.Config.from_preset("librosa-mfcc", normalize="none"),
    stapes.Config.from_preset(
        "librosa-mel", normalize="none", frames={"padding": "edge"}, scalars={"zcr": True, "flux": True, "rms": True}
    ),
    stapes.Config.from_preset("kaldi-fbank", dither=1.0, dither_seed=7),
]


def _chunks(y: np.ndarray, seed: int) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    cuts = np.sort(rng.integers(0, y.size, size=rng.integers(1, 40)))
    return np.split(y, cuts)


@pytest.mark.parametrize("cfg", STREAMABLE, ids=lambda c: c.preset or "variant")
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_streaming_equals_offline(cfg: stapes.Config, seed: int) -> None:
    y = signal("speech16" if cfg.sample_rate == 16000 else "speech22")
    y = np.concatenate([y, y[: 1000 + 1111 * seed]])
    want, want_s = stapes.extract(y, cfg, with_scalars=True)
    ex = stapes.Extractor(cfg)
    parts = [ex.process(c, with_scalars=True) for c in _chunks(y, seed)]
    parts.append(ex.flush(with_scalars=True))
    got = np.concatenate([p[0] for p in parts], axis=1)
    got_s = np.concatenate([p[1] for p in parts], axis=1)
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(got_s, want_s)
    # After flush the extractor starts a new stream.
    again = np.concatenate([ex.process(y), ex.flush()], axis=1)
    np.testing.assert_array_equal(again, want)


def test_one_sample_at_a_time_and_empty_chunks() -> None:
    y = signal("music16")[:3000]
    ex = stapes.Extractor("kaldi-fbank")
    parts = [ex.process(y[i : i + 1]) for i in range(y.size)] + [ex.process(np.zeros(0, np.float32)), ex.flush()]
    np.testing.assert_array_equal(np.concatenate(parts, axis=1), stapes.extract(y, "kaldi-fbank"))


def test_utterance_normalised_presets_refuse_to_stream() -> None:
    for name in ("whisper-80", "librosa-mel", "librosa-mfcc"):
        with pytest.raises(stapes.NotStreamableError, match="normalize"):
            stapes.Extractor(name)
        assert not stapes.Config.from_preset(name).is_streamable


def test_non_finite_chunk_is_refused_and_the_stream_continues() -> None:
    y = signal("speech16")
    ex = stapes.Extractor("yamnet")
    first = ex.process(y[:5000])
    bad = y[5000:6000].copy()
    bad[10] = np.inf
    with pytest.raises(stapes.NonFiniteError) as info:
        ex.process(bad)
    assert info.value.index == 10
    rest = ex.process(y[5000:])
    np.testing.assert_array_equal(np.concatenate([first, rest, ex.flush()], axis=1), stapes.extract(y, "yamnet"))


def test_reset_samples_seen_and_pickling() -> None:
    y = signal("speech16")
    ex = stapes.Extractor("vggish")
    fresh = pickle.loads(pickle.dumps(ex))
    assert fresh.config == ex.config
    ex.process(y[:1000])
    assert ex.samples_seen == 1000
    with pytest.raises(pickle.PicklingError, match="mid-stream"):
        pickle.dumps(ex)
    ex.reset()
    assert ex.samples_seen == 0
    restored = pickle.loads(pickle.dumps(ex))
    np.testing.assert_array_equal(
        np.concatenate([restored.process(y), restored.flush()], axis=1), stapes.extract(y, "vggish")
    )
    assert repr(ex) == "Extractor(Config.from_preset('vggish'))"
