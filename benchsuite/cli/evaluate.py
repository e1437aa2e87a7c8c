"""CLI: ``benchsuite evaluate`` — re-evaluate a trained checkpoint with the fixed harness."""

from __future__ import annotations

import logging
from pathlib import Path

import typer

log = logging.getLogger(__name__)

EVALUATE_HELP = (
    "Re-evaluate a trained checkpoint with the installed harness and write its result record."
    "\n\n"
    "--model NAME instead scores an already-trained model of a plugin (ModelSpec(load=...)) on --bundle "
    "without training: its input is adapted to the bundle's windows (genome context or tiles), its bins "
    "averaged to the bundle's, its tracks mapped to the targets (--map names|probe|FILE.yaml; default: "
    "the plugin's target_map, else same names, else by name, else by order); record to --out/record.json."
    "\n\n"
    "The model is rebuilt through its plugin (by name and stored hyperparameters) and scored on the bundle "
    "it was trained on (stored in the checkpoint) or on --bundle. The record goes to OUT/record.json "
    "(default: the checkpoint's folder; the cell's current record is kept there as record.previous.json, "
    "and a record of another dataset than the training one needs --out)."
    "\n\n"
    "--json: stdout is the record as one JSON document and nothing else (logs, and whatever the "
    "model's plugin prints, go to stderr)."
)


def register(app: typer.Typer) -> None:
    """Add ``benchsuite evaluate`` to the root app."""

    @app.command("evaluate", help=EVALUATE_HELP)
    def evaluate(
        checkpoint: Path = typer.Option(None, "--checkpoint", help="checkpoint.ckpt of a trained cell."),
        model: str = typer.Option(None, "--model", help="An evaluate-only model (plugin load) to score."),
        task: str = typer.Option(None, "--task", help="With --model: binary or quantitative."),
        target_map: str = typer.Option(
            None, "--map", help="With --model: names, probe or a YAML mapping file (target -> track)."
        ),
        profile: str = typer.Option("default", "--profile", help="With --model: the evaluation budget."),
        bundle: Path = typer.Option(
            None, "--bundle", help="Bundle folder or manifest (default: the training one)."
        ),
        out: Path = typer.Option(
            None, "--out", help="Folder for record.json (default: the checkpoint's folder)."
        ),
        cache: Path = typer.Option(None, "--cache", help="Dataset cache folder (default $BENCHSUITE_CACHE)."),
        accelerator: str = typer.Option(None, "--accelerator", help="cpu, gpu or auto (evaluation device)."),
        no_cagi5: bool = typer.Option(False, "--no-cagi5", help="Skip the CAGI5 variant-effect evaluation."),
        no_motifs: bool = typer.Option(False, "--no-motifs", help="Skip the motif-recovery evaluation."),
        print_json: bool = typer.Option(False, "--json", help="Print the whole record as JSON."),
    ) -> None:
        from rich.console import Console

        from benchsuite.cli.output import echo_json, stdout_to_stderr
        from benchsuite.run.evaluate import evaluate_checkpoint_to_record

        _check_mode(checkpoint, model, bundle, out)
        # with --json, whatever the plugin prints (at import, in build or forward) goes to stderr
        with stdout_to_stderr(print_json):
            if model is not None:
                from benchsuite.adapt.scoring import evaluate_model_to_record

                record, path = evaluate_model_to_record(
                    model,
                    bundle=bundle,
                    out=out,
                    task=task,
                    cache_dir=cache,
                    accelerator=accelerator,
                    profile=profile,
                    cagi5=not no_cagi5,
                    motifs=not no_motifs,
                    target_map=target_map,
                )
            else:
                record, path = evaluate_checkpoint_to_record(
                    checkpoint,
                    bundle=bundle,
                    out=out,
                    cache_dir=cache,
                    accelerator=accelerator,
                    cagi5=not no_cagi5,
                    motifs=not no_motifs,
                )
        if print_json:
            echo_json(record)
            return
        console = Console()
        from rich.table import Table

        table = Table(
            title=f"{record['model']['name']} / {record['task']} (harness {record['harness_version']})"
        )
        table.add_column("metric")
        table.add_column("mean", justify="right")
        for name, entry in sorted(record["metrics"].items()):
            mean = entry.get("mean") if isinstance(entry, dict) else None
            table.add_row(name, "-" if mean is None else f"{mean:.4f}")
        console.print(table)
        for family, reason in sorted((record.get("not_applicable") or {}).items()):
            console.print(f"[dim]{family}: not applicable ({reason})[/]", highlight=False)
        adaptation = (record.get("provenance") or {}).get("adaptation")
        if adaptation:
            console.print(
                f"not trained by the suite ({adaptation['row_kind']}): input {adaptation['input']}, "
                f"targets {adaptation['targets']}",
                highlight=False,
            )
        console.print(f"record written to {path}", highlight=False)


def _check_mode(checkpoint: Path | None, model: str | None, bundle: Path | None, out: Path | None) -> None:
    """Exactly one of --checkpoint / --model; --model needs --bundle and --out."""
    from benchsuite.errors import ConfigError

    if (checkpoint is None) == (model is None):
        raise ConfigError(
            "give either --checkpoint or --model",
            source="--checkpoint / --model",
            hint="--checkpoint CELL/checkpoint.ckpt re-evaluates a trained cell; --model NAME scores a "
            "plugin's already-trained model",
        )
    if model is not None and (bundle is None or out is None):
        raise ConfigError(
            "--model needs --bundle and --out",
            source="--model",
            hint="e.g. benchsuite evaluate --model NAME --bundle DIR --out runs/NAME",
        )
