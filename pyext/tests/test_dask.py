"""Beyond one machine: ``stapes.extract_file`` mapped over files on a Dask ``LocalCluster`` (two worker processes,
loopback only) gives the same arrays as the local call; configs and extractors travel to the workers by pickle."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile

import stapes
from conftest import signal

distributed = pytest.importorskip("dask.distributed")

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "dask_files.py"


def _example():
    spec = importlib.util.spec_from_file_location("dask_files_example", EXAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def _stream_on_worker(extractor: stapes.Extractor, y: np.ndarray) -> np.ndarray:
    return np.concatenate([extractor.process(y), extractor.flush()], axis=1)


def test_dask_map_equals_local(tmp_path: Path) -> None:
    paths = []
    for i, name in enumerate(["speech16", "music16", "noise16", "tones16", "chirp16"]):
        path = tmp_path / f"{i}-{name}.{'flac' if i % 2 else 'wav'}"
        soundfile.write(path, signal(name), 16000, subtype="PCM_16")
        paths.append(str(path))
    config = stapes.Config.from_preset("kaldi-fbank", mel={"n_mels": 40})
    local = [stapes.extract_file(p, config) for p in paths]
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None
    )
    with cluster, distributed.Client(cluster) as client:
        remote = _example().extract_all(client, paths, config)
        streamed = client.submit(_stream_on_worker, stapes.Extractor("yamnet"), signal("speech16")).result()
        workers = {w.host for w in cluster.workers.values()} if hasattr(cluster, "workers") else set()
    assert len(remote) == len(local)
    for got, want in zip(remote, local):
        np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(streamed, stapes.extract(signal("speech16"), "yamnet"))
    assert workers <= {"127.0.0.1"} or not workers
