"""The lane choice (issue: pick the fastest lanes by measuring): visible in ``stapes.info()``, pinnable, and never a
change of bits."""

import numpy as np
import pytest

import stapes


def test_info_reports_the_chosen_lanes_and_their_timings():
    lanes = stapes.set_lanes(None)
    assert lanes == stapes.info()["lanes"]
    assert lanes["chosen"] in lanes["available"]
    assert "baseline" in lanes["available"]
    if len(lanes["available"]) > 1:
        assert lanes["how"] == "measured"
        assert sorted(lanes["ns_per_frame"]) == sorted(lanes["available"])
        assert lanes["ns_per_frame"][lanes["chosen"]] == min(lanes["ns_per_frame"].values())
        assert 0 < lanes["measure_ms"] < 1000
    assert stapes.info()["version"] == stapes.__version__


def test_every_pinned_lane_type_gives_the_same_bits():
    rng = np.random.default_rng(7)
    y = (rng.standard_normal(16000 * 3) * 0.1).astype(np.float32)
    try:
        outputs = {}
        for name in stapes.info()["lanes"]["available"]:
            assert stapes.set_lanes(name) == {**stapes.info()["lanes"], "chosen": name, "how": "pinned"}
            outputs[name] = stapes.extract(y, "whisper-80")
        first = next(iter(outputs.values()))
        for name, out in outputs.items():
            assert out.tobytes() == first.tobytes(), name
    finally:
        stapes.set_lanes(None)


def test_a_lane_type_this_cpu_cannot_run_is_refused():
    before = stapes.info()["lanes"]["chosen"]
    with pytest.raises(ValueError, match="no lane type 'neon128'|no lane type \"neon128\""):
        stapes.set_lanes("neon128")
    with pytest.raises(TypeError):
        stapes.set_lanes(3)
    assert stapes.info()["lanes"]["chosen"] == before
