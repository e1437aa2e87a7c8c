"""A real offline W&B run: the run folder alone holds the record and rebuilds the same board."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from benchsuite.leaderboard.gather import gather_records
from benchsuite.leaderboard.tables import board_csv, build_boards, per_target_csv, records_csv
from benchsuite.results.record import read_record, write_record
from benchsuite.results.wandb_logging import WandbRun
from tests.results.record_factory import FINGERPRINT, make_record


def _train_tiny(logger) -> None:
    import lightning as L
    import torch

    torch.set_num_threads(1)

    class Tiny(L.LightningModule):
        def __init__(self):
            super().__init__()
            self.layer = torch.nn.Linear(4, 1)

        def training_step(self, batch, _idx):
            (x,) = batch
            loss = self.layer(x).pow(2).mean()
            self.log("train_loss", loss, on_step=False, on_epoch=True)
            return loss

        def configure_optimizers(self):
            return torch.optim.SGD(self.parameters(), lr=0.1)

    data = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(torch.randn(16, 4)), batch_size=8)
    trainer = L.Trainer(
        max_epochs=3,
        logger=logger,
        enable_progress_bar=False,
        enable_checkpointing=False,
        enable_model_summary=False,
        log_every_n_steps=1,
    )
    trainer.fit(Tiny(), data)


def _png(path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    path.parent.mkdir(parents=True, exist_ok=True)
    fig, ax = plt.subplots(figsize=(2, 1))
    ax.plot([0, 1], [1, 0])
    fig.savefig(path)
    plt.close(fig)
    return path


@pytest.mark.slow
def test_offline_run_folder_alone_rebuilds_the_board(tmp_path, monkeypatch):
    monkeypatch.setenv("WANDB_MODE", "disabled")  # the explicit mode must win over the environment
    out = tmp_path / "runs"
    cells = [
        ("cnn", "quantitative", "model", {"wholechrom.pearson": 0.62}),
        ("cnn", "binary", "model", {"wholechrom.pearson": 0.41, "cagi5.robust": None}),
        ("oracle", "quantitative", "ceiling", {"wholechrom.pearson": 0.93}),
    ]
    run_dirs = []
    for index, (model, task, kind, overrides) in enumerate(cells):
        cell = out / FINGERPRINT[:12] / model / task / "seed0"
        run = WandbRun.start(
            mode="offline",
            directory=out,
            project="benchsuite-test",
            name=f"{model}/{task}/seed0",
            group="sim-smoke-seed0",
            config={"model": model, "task": task, "seed": 0, "out": cell},
        )
        ref = run.reference
        assert ref["mode"] == "offline" and ref["url"] is None and ref["project"] == "benchsuite-test"
        if index == 0:
            _train_tiny(run.lightning_logger())
        figure = _png(cell / "figures" / "motif_logos.png")
        data = cell / "figures" / "interpret" / "pairs.json"  # figure data: drawn on demand, not logged
        data.parent.mkdir(parents=True, exist_ok=True)
        data.write_text("{}", encoding="utf-8")
        figures = {"motif_logos": str(figure), "interpret.pairs": str(data)}
        rec = make_record(model, task, kind=kind, overrides=overrides, figures=figures, wandb=ref)
        path = write_record(cell / "record.json", rec)
        run.log_final(rec["metrics"], rec["figures"])
        run.save_record(path)
        run.finish()
        run_dir = Path(ref["dir"])
        assert run_dir.parent == out / "wandb" and run_dir.name.startswith("offline-run-")
        saved = run_dir / "files" / "record.json"
        assert saved.is_file() and not saved.is_symlink()
        assert saved.read_bytes() == path.read_bytes()
        assert read_record(saved)["wandb"]["id"] == ref["id"]
        images = run_dir / "files" / "media" / "images" / "figures"
        assert list(images.glob("motif_logos*.png")) and not list(images.glob("interpret*"))
        run_dirs.append(run_dir)

    history = next(run_dirs[0].glob("run-*.wandb")).read_bytes()
    assert b"train_loss" in history  # per-epoch curve from the Lightning logger
    assert b"wholechrom.pearson" in history  # final metrics in the summary

    local = gather_records(records=[out / FINGERPRINT[:12]])
    assert len(local.records) == 3 and not local.refused
    expected = build_boards(local.records)

    # move the W&B folder away and delete the local records: the run folders alone must suffice
    moved = shutil.move(str(out / "wandb"), str(tmp_path / "elsewhere"))
    shutil.rmtree(out)
    from_wandb = gather_records(wandb_dirs=[moved])
    assert len(from_wandb.records) == 3 and not from_wandb.refused
    assert {r.origin for r in from_wandb.records} == {"wandb-offline"}
    boards = build_boards(from_wandb.records)
    assert len(boards) == len(expected) == 1
    for render in (board_csv, records_csv, per_target_csv):
        assert render(boards[0]) == render(expected[0])
    assert [r.label for r in boards[0].all_rows] == ["cnn", "cnn", "oracle (ceiling)"]
