"""prepare_dataset: the cache folder, atomicity, and closing the inputs whatever happens."""

from __future__ import annotations

import pytest

from benchsuite.data.builder import ChunkBuilder
from benchsuite.data.prepare import prepare_dataset
from benchsuite.io.bigwig import BigWig
from benchsuite.io.fasta import Genome

from .conftest import TARGETS, TinyBundle


def test_default_cache_dir_from_environment(tiny_bundle: TinyBundle, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("BENCHSUITE_CACHE", str(tmp_path / "envcache"))
    cache = prepare_dataset(tiny_bundle.root, progress=False)
    assert cache.root.parent == tmp_path / "envcache"


def test_interrupted_prepare_leaves_no_cache(tiny_bundle: TinyBundle, tmp_path, monkeypatch) -> None:
    calls = {"n": 0}
    original = ChunkBuilder._emit

    def failing_emit(self, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 5:
            raise KeyboardInterrupt("simulated interruption")
        return original(self, *args, **kwargs)

    monkeypatch.setattr(ChunkBuilder, "_emit", failing_emit)
    cache_dir = tmp_path / "cache"
    with pytest.raises(KeyboardInterrupt):
        prepare_dataset(tiny_bundle.root, cache_dir=cache_dir, progress=False)
    assert calls["n"] == 5
    leftovers = [p for p in cache_dir.iterdir() if p.is_dir()]
    assert leftovers == [], leftovers
    assert not list(cache_dir.rglob("meta.json"))
    monkeypatch.setattr(ChunkBuilder, "_emit", original)
    cache = prepare_dataset(tiny_bundle.root, cache_dir=cache_dir, progress=False)
    assert not cache.reused and len(cache.split("quantitative", "train")) > 0


def _count_closes(monkeypatch) -> dict[str, list[str]]:
    """Record every BigWig.close and Genome.close call (the originals still run)."""
    closed: dict[str, list[str]] = {"tracks": [], "genome": []}
    track_close, genome_close = BigWig.close, Genome.close

    def close_track(self) -> None:
        closed["tracks"].append(self.path.name)
        track_close(self)

    def close_genome(self) -> None:
        closed["genome"].append(self.path.name)
        genome_close(self)

    monkeypatch.setattr(BigWig, "close", close_track)
    monkeypatch.setattr(Genome, "close", close_genome)
    return closed


@pytest.mark.parametrize("failure", [RuntimeError("builder failed"), KeyboardInterrupt("interrupted")])
def test_failing_build_closes_tracks_and_genome(
    tiny_bundle: TinyBundle, tmp_path, monkeypatch, failure: BaseException
) -> None:
    closed = _count_closes(monkeypatch)

    def failing_run(self, *args, **kwargs) -> None:
        raise failure

    monkeypatch.setattr(ChunkBuilder, "run", failing_run)
    with pytest.raises(type(failure)):
        prepare_dataset(tiny_bundle.root, cache_dir=tmp_path, progress=False)
    # every replicate-1 and replicate-2 track once, and the genome
    expected = sorted(
        [tiny_bundle.tracks[t].name for t in TARGETS] + [tiny_bundle.rep2[t].name for t in TARGETS]
    )
    assert sorted(closed["tracks"]) == expected
    assert closed["genome"] == [tiny_bundle.genome.name]


def test_failing_meta_write_closes_tracks(tiny_bundle: TinyBundle, tmp_path, monkeypatch) -> None:
    import benchsuite.data.prepare as prepare_module

    closed = _count_closes(monkeypatch)

    def failing_write(*args, **kwargs) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(prepare_module, "write_meta", failing_write)
    with pytest.raises(OSError, match="disk full"):
        prepare_dataset(tiny_bundle.root, cache_dir=tmp_path, progress=False)
    assert len(closed["tracks"]) == 2 * len(TARGETS) and len(closed["genome"]) == 1
    assert not list(tmp_path.rglob("meta.json"))


def test_successful_build_closes_tracks(tiny_bundle: TinyBundle, tmp_path, monkeypatch) -> None:
    closed = _count_closes(monkeypatch)
    prepare_dataset(tiny_bundle.root, cache_dir=tmp_path, progress=False)
    assert len(closed["tracks"]) == 2 * len(TARGETS) and len(closed["genome"]) == 1
    # a reused cache opens no track
    closed["tracks"].clear()
    assert prepare_dataset(tiny_bundle.root, cache_dir=tmp_path, progress=False).reused
    assert closed["tracks"] == []


def test_prepare_removes_stale_temporaries_of_dead_builds(tiny_bundle: TinyBundle, tmp_path, caplog) -> None:
    import logging
    import os
    import subprocess
    import sys

    from benchsuite.io.atomic import host_name

    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    cache_dir = tmp_path / "cache"
    dead = cache_dir / f".0123abcd.tmp-{host_name()}-{proc.pid}-0123abcd"
    live = cache_dir / f".4567cdef.tmp-{host_name()}-{os.getpid()}-0123abcd"
    for folder in (dead, live):
        (folder / "quantitative").mkdir(parents=True)
        (folder / "quantitative" / "seq.u8").write_bytes(b"\0" * 4096)
    with caplog.at_level(logging.INFO, logger="benchsuite.io.stale"):
        cache = prepare_dataset(tiny_bundle.root, cache_dir=cache_dir, progress=False)
    assert not dead.exists() and live.is_dir()  # a live shard's build is left alone
    assert f"removed stale temporary folder {dead} (4,096 bytes" in caplog.text
    assert sorted(p.name for p in cache_dir.iterdir() if p.is_dir()) == sorted([live.name, cache.root.name])
