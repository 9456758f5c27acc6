"""``python -m stapes``: features of audio files from the command line.

    python -m stapes extract PATH... --preset NAME [--config JSON] --out DIR [--jobs N] [--no-resample] [--quiet]
    python -m stapes presets
    python -m stapes config NAME

``extract`` reads WAV/FLAC files (directories are walked for ``*.wav``/``*.flac``) with soundfile, writes one
``.npy`` per input (float32, ``(n_features, n_frames)``; a directory's files keep their relative paths) and the
config as ``config.json`` beside them. Files run on every core (``--jobs``). A file at another sample rate than the
config's is resampled to it (``stapes.resample``, 8-48 kHz) and the CLI says so, from what rate to what; with
``--no-resample`` such files are skipped instead. Files that cannot be read (or resampled) are reported and
skipped; the exit status is then 1, after every other file has been written. ``--config`` is JSON text or a JSON
file: a whole config, or, with ``--preset``, fields that override the preset's (``--preset yamnet --config '{"mel":
{"n_mels": 40}}'``).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path
from typing import Any, TextIO

import numpy as np

from ._core import Config, extract, presets
from ._files import AUDIO_EXTENSIONS, read_audio


def _config(preset: str | None, config: str | None) -> Config:
    overrides: dict[str, Any] = {}
    if config is not None:
        text = Path(config).read_text() if not config.lstrip().startswith("{") and Path(config).is_file() else config
        try:
            overrides = json.loads(text)
        except json.JSONDecodeError as e:
            raise SystemExit(f"stapes: --config is neither a JSON object nor a JSON file: {e}") from None
        if not isinstance(overrides, dict):
            raise SystemExit("stapes: --config must be a JSON object")
    if preset is not None:
        return Config.from_preset(preset, **overrides)
    if config is None:
        raise SystemExit("stapes: give --preset NAME, --config JSON, or both")
    return Config.from_dict(overrides)


def _inputs(paths: Sequence[str]) -> Iterator[tuple[Path, Path]]:
    """``(file, output path relative to --out)`` for every input, directories walked in sorted order."""
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for file in sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in AUDIO_EXTENSIONS):
                yield file, file.relative_to(path).with_suffix(".npy")
        else:
            yield path, Path(path.name).with_suffix(".npy")


def _unique(jobs: list[tuple[Path, Path]]) -> list[tuple[Path, Path]]:
    """Disambiguates outputs that two inputs would share (``a.npy``, ``a-1.npy``, ...)."""
    seen: set[Path] = set()
    result = []
    for source, target in jobs:
        candidate, n = target, 0
        while candidate in seen:
            n += 1
            candidate = target.with_name(f"{target.stem}-{n}{target.suffix}")
        seen.add(candidate)
        result.append((source, candidate))
    return result


class _Progress:
    """A one-line progress bar on stderr (redrawn on a terminal, printed once at the end otherwise)."""

    def __init__(self, total: int, stream: TextIO, enabled: bool) -> None:
        self.total, self.done, self.failed = total, 0, 0
        self.stream, self.enabled = stream, enabled
        self.tty = enabled and stream.isatty()
        self.start = time.monotonic()

    def line(self) -> str:
        width = 30
        filled = width * self.done // max(self.total, 1)
        elapsed = time.monotonic() - self.start
        failed = f", {self.failed} skipped" if self.failed else ""
        return f"[{'#' * filled}{'.' * (width - filled)}] {self.done}/{self.total} files{failed}, {elapsed:.1f} s"

    def advance(self, ok: bool) -> None:
        self.done += 1
        self.failed += 0 if ok else 1
        if self.tty:
            self.stream.write("\r" + self.line())
            self.stream.flush()

    def message(self, text: str) -> None:
        if self.tty:
            self.stream.write("\r" + " " * 80 + "\r")
        self.stream.write(text + "\n")
        if self.tty:
            self.stream.write(self.line())
        self.stream.flush()

    def close(self) -> None:
        if self.enabled:
            self.stream.write(("\r" if self.tty else "") + self.line() + "\n")
            self.stream.flush()


def _extract_one(source: Path, target: Path, config: Config, allow_resample: bool) -> int | None:
    """Writes ``source``'s features to ``target``; returns the file's rate if it was resampled, else ``None``."""
    y, sr = read_audio(source)
    if sr != config.sample_rate and not allow_resample:
        raise ValueError(
            f"sample rate {sr} Hz, but the config expects {config.sample_rate} Hz (--no-resample; drop it to have "
            "stapes resample)"
        )
    features = extract(y, config, sr=sr)
    target.parent.mkdir(parents=True, exist_ok=True)
    np.save(target, features)
    return sr if sr != config.sample_rate else None


def run_extract(args: argparse.Namespace, stderr: TextIO | None = None) -> int:
    stderr = sys.stderr if stderr is None else stderr
    try:
        config = _config(args.preset, args.config)
    except ValueError as e:
        stderr.write(f"stapes: invalid config: {e}\n")
        return 2
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "config.json").write_text(config.to_json() + "\n")
    jobs = _unique(list(_inputs(args.paths)))
    progress = _Progress(len(jobs), stderr, not args.quiet)
    skipped, resampled = 0, 0
    workers = args.jobs or os.cpu_count() or 1
    allow = not args.no_resample
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = {pool.submit(_extract_one, src, out / dst, config, allow): src for src, dst in jobs}
        for future in as_completed(futures):
            error = future.exception()
            if error is not None:
                skipped += 1
                progress.message(f"stapes: skipped {futures[future]}: {error}")
            elif (rate := future.result()) is not None:
                resampled += 1
                progress.message(f"stapes: resampled {futures[future]} from {rate} Hz to {config.sample_rate} Hz")
            progress.advance(error is None)
    progress.close()
    written = len(jobs) - skipped
    note = f" ({resampled} resampled to {config.sample_rate} Hz)" if resampled else ""
    print(
        f"wrote {written} feature file(s){note} and config.json to {out}" + (f"; skipped {skipped}" if skipped else "")
    )
    return 1 if skipped else 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m stapes", description="Audio features from the stapes core.")
    commands = parser.add_subparsers(dest="command", required=True)
    ex = commands.add_parser("extract", help="features of WAV/FLAC files, one .npy per input")
    ex.add_argument("paths", nargs="+", metavar="PATH", help="audio files or directories")
    ex.add_argument("--preset", choices=presets(), help="the preset to compute")
    ex.add_argument("--config", help="config JSON (text or file): whole, or overrides of --preset")
    ex.add_argument("--out", required=True, help="output directory")
    ex.add_argument("--jobs", type=int, default=None, help="files in parallel (default: every core)")
    ex.add_argument(
        "--no-resample", action="store_true", help="skip files at another sample rate instead of resampling them"
    )
    ex.add_argument("--quiet", action="store_true", help="no progress bar")
    commands.add_parser("presets", help="list the presets")
    show = commands.add_parser("config", help="print a preset's config JSON")
    show.add_argument("name", choices=presets())
    args = parser.parse_args(argv)
    if args.command == "presets":
        print("\n".join(presets()))
        return 0
    if args.command == "config":
        print(Config.from_preset(args.name).to_json())
        return 0
    return run_extract(args)


if __name__ == "__main__":
    sys.exit(main())
