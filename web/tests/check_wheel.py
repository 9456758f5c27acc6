"""The dashboard's parity recording (saved by web/tests/e2e.mjs) against the Python wheel: the features the simulated
node computed in wasm32 must equal ``stapes.Extractor``'s on the same audio (x86_64), bit for bit.

Usage: python web/tests/check_wheel.py DIR   (DIR holds parity-features.npy, parity-audio.npy, parity-sidecar.json)
"""

import json
import sys
from pathlib import Path

import numpy as np
import stapes


def main(folder: Path) -> int:
    features = np.load(folder / "parity-features.npy")  # (frames, features)
    audio = np.load(folder / "parity-audio.npy")
    sidecar = json.loads((folder / "parity-sidecar.json").read_text())
    config = stapes.Config.from_json(json.dumps(sidecar["config"]))
    wheel = stapes.Extractor(config).process(audio)  # (features, frames)
    frames = features.shape[0]
    if wheel.shape[0] != features.shape[1] or wheel.shape[1] < frames:
        print(f"shape mismatch: page {features.shape}, wheel {wheel.shape} (features × frames)")
        return 1
    page_bits = features.view(np.uint32)
    wheel_bits = np.ascontiguousarray(wheel[:, :frames].T).view(np.uint32)
    if not np.array_equal(page_bits, wheel_bits):
        differing = int(np.sum(np.any(page_bits != wheel_bits, axis=1)))
        worst = float(np.max(np.abs(features - wheel[:, :frames].T)))
        print(f"{differing} of {frames} frames differ from the wheel (max |diff| {worst})")
        return 1
    print(f"wheel parity: {frames} frames × {features.shape[1]} features bit-identical to stapes {stapes.__version__}")
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1])))
