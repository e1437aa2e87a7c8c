"""CLI: ``benchsuite search`` -- architecture search on a bundle's train and validation splits."""

from __future__ import annotations

from pathlib import Path

import typer

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    """Add ``search`` to the root app."""

    @app.command("search")
    def search_command(
        task: str = typer.Option("binary", "--task", help="Task to search for: binary or quantitative."),
        architect: str = typer.Option(
            "random",
            "--architect",
            help="random (the honest baseline), tpe (Optuna TPE, needs benchsuite[search]) or "
            "controller (LSTM policy trained with REINFORCE).",
        ),
        candidates: int = typer.Option(
            8, "--candidates", help="Candidates to train (the budget's first factor)."
        ),
        steps: int = typer.Option(
            12, "--steps", help="Optimiser steps per candidate (rounded up to whole validation rounds)."
        ),
        seed: int = typer.Option(
            0, "--seed", help="Seed of the architect, of training and of the simulated bundle."
        ),
        profile: str = typer.Option(
            "smoke",
            "--profile",
            "-p",
            help="Training profile (batch size, learning rate, round length) and search-space size; "
            "without --bundle also the simulated bundle searched on.",
        ),
        bundle: Path = typer.Option(
            None, "--bundle", help="Bundle folder or manifest (default: simulate the profile's)."
        ),
        out: Path = typer.Option(
            Path("search"), "--out", help="Search folder (journal, TPE study, best.arch.json)."
        ),
        shard: str = typer.Option(
            None, "--shard", help="Run shard K/N of the candidates (1-based), e.g. 2/8."
        ),
        wandb: str = typer.Option(
            "offline", "--wandb", help="W&B mode of the candidates' runs: online, offline or disabled."
        ),
        bin_size: int = typer.Option(
            32, "--bin-size", help="Output resolution of quantitative candidates (bp)."
        ),
        accelerator: str = typer.Option(
            None, "--accelerator", help="Lightning accelerator (cpu, gpu, auto)."
        ),
        threads: int = typer.Option(
            1,
            "--threads",
            help="Intra-op threads of every candidate (recorded in search.json; the same count "
            "gives the same scores on any machine).",
        ),
        cache: Path = typer.Option(None, "--cache", help="Dataset cache folder (default $BENCHSUITE_CACHE)."),
        no_progress: bool = typer.Option(False, "--no-progress", help="No progress bar."),
        tune: str = typer.Option(
            None,
            "--tune",
            help="Tune this registered model's hyperparameters instead (writes OUT/tuned.json).",
        ),
        tune_space: Path = typer.Option(
            None,
            "--tune-space",
            help="With --tune: the YAML file declaring the build/training values to try.",
        ),
    ) -> None:
        """Search an AMBER-like architecture space on the train/valid splits (never test).

        Each candidate trains for --steps steps and is scored on the validation split
        (val/auroc or val/pearson); the best is written to OUT/best.arch.json. Rerun the same
        command to resume a killed search. Copy the document into searched/ (or point
        BENCHSUITE_SEARCH_DIR at OUT) and `benchsuite run --model amber-<hash>` trains it
        from scratch with the standard budget and scores it on test. With --tune MODEL
        --tune-space FILE, tune a registered model's hyperparameters the same way instead.
        """
        from rich.console import Console

        from benchsuite.search.loop import SearchOptions, run_search

        options = SearchOptions(
            task=task,
            architect=architect,
            candidates=candidates,
            steps=steps,
            seed=seed,
            profile=profile,
            bundle=bundle,
            out=out,
            shard=shard,
            wandb=wandb,
            cache_dir=cache,
            bin_size=bin_size,
            accelerator=accelerator,
            progress=not no_progress,
            threads=threads,
        )
        if tune is not None or tune_space is not None:
            from benchsuite.errors import ConfigError
            from benchsuite.search.tune import read_tune_space
            from benchsuite.search.tune_loop import run_tuning

            if tune is None or tune_space is None:
                raise ConfigError(
                    "--tune and --tune-space go together",
                    source="--tune" if tune is None else "--tune-space",
                    hint="pass the model name with --tune and its space file with --tune-space",
                )
            result = run_tuning(options, tune, read_tune_space(tune_space), console=Console(stderr=True))
        else:
            result = run_search(options, console=Console(stderr=True))
        if result.document_path is None:
            raise typer.Exit(1)
        typer.echo(str(result.document_path))
