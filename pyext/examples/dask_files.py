"""Features of a folder of audio files on a Dask cluster: the same arrays as ``stapes.extract_file`` locally.

    python pyext/examples/dask_files.py DIR [--preset yamnet] [--scheduler tcp://host:8786]

Without ``--scheduler`` it starts a ``LocalCluster`` (two worker processes on the loopback interface). Configs
pickle as their JSON, so the same ``Config`` object (preset or custom) travels to every worker; the workers only
need ``pip install stapes[cli]``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from dask.distributed import Client, LocalCluster

import stapes


def extract_all(client: Client, paths: list[str], config: stapes.Config) -> list[np.ndarray]:
    """``stapes.extract_file`` over ``paths`` on the cluster, results in input order."""
    futures = client.map(stapes.extract_file, paths, config=config, pure=False)
    return client.gather(futures)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder")
    parser.add_argument("--preset", default="yamnet", choices=stapes.presets())
    parser.add_argument("--scheduler", help="address of a running scheduler (default: a local cluster)")
    args = parser.parse_args()
    paths = sorted(str(p) for p in Path(args.folder).rglob("*") if p.suffix.lower() in (".wav", ".flac"))
    config = stapes.Config.from_preset(args.preset)
    if args.scheduler:
        client = Client(args.scheduler)
    else:
        client = Client(LocalCluster(n_workers=2, threads_per_worker=1, host="127.0.0.1", dashboard_address=None))
    with client:
        features = extract_all(client, paths, config)
    for path, f in zip(paths, features):
        print(f"{path}: {f.shape}")


if __name__ == "__main__":
    main()
