"""CLI: ``benchsuite run`` — train and evaluate the (model, task) matrix, resumably."""

from __future__ import annotations

from pathlib import Path

import typer

RUN_HELP = (
    "Train and score models on the benchmark; resumable: rerun the same command after an interruption."
    "\n\n"
    "Select models with --all (every registered model x each task it supports) or --model NAME "
    "(repeatable or comma-separated). Without --bundle the profile's simulated bundle is made once under "
    "OUT/bundles/. Records: OUT/<dataset fingerprint>/<model>/<task>/seed<seed>/record.json."
    "\n\n"
    "Exit status: 0 when every cell finished and every plugin loaded, 1 when any cell failed or any "
    "plugin failed to load (after running what it can; with or without --json; plugins excluded by "
    "BENCHSUITE_PLUGINS do not count)."
    "\n\n"
    "Isolation: each cell's stdout goes to its folder's cell.log, and the global torch state (default "
    "dtype, grad mode, threads, RNG...) is restored after it. --isolate process runs every cell in a "
    "fresh worker process; --cell-timeout SECONDS (with --isolate process) kills a cell's worker past "
    "the limit and fails that cell."
    "\n\n"
    "Parallel cells: --jobs N runs N cells at once in worker processes (default: one per usable core, "
    "capped by memory; --jobs 1: one after the other in this process), each with --threads-per-cell "
    "intra-op threads (default 1, recorded as hyperparameters.threads_per_cell): --jobs does not change "
    "the numbers, --threads-per-cell may."
    "\n\n"
    "--json: stdout is one JSON document, the summary (logs and progress go to stderr): "
    '{"exit_code", "seconds", "root", "bundle", "dataset_fingerprint", "headline_metrics": [NAME], '
    '"totals": {"cells", "finished", "failed", "by_status": {STATUS: COUNT}}, '
    '"outcomes": [{"model", "task", '
    '"kind" (model or ceiling), "status" (trained, evaluated, skipped, failed, trained-only), '
    '"seconds", "record" (path or null), "metrics": {NAME: FLOAT or null}, "error", '
    '"plugin", "warnings": [TEXT]}], '
    '"plugins": {"failed": [{"plugin", "distribution", "version", "stage", "reason", "hint"}], '
    '"warnings": [TEXT]}}.'
)


def register(app: typer.Typer) -> None:
    """Add ``benchsuite run`` to the root app."""

    @app.command("run", help=RUN_HELP)
    def run(
        all_models: bool = typer.Option(
            False, "--all", help="Every registered model on each task it supports."
        ),
        model: list[str] = typer.Option(
            None, "--model", "-m", help="Model name (repeat or comma-separate for several).", metavar="NAME"
        ),
        task: str = typer.Option(None, "--task", help="Only this task: binary or quantitative."),
        tuned: list[Path] = typer.Option(
            None,
            "--tuned",
            help="Train and score the model of this tuned profile (tuned.json of `benchsuite search "
            "--tune`) with its overrides, as its own row MODEL+tuned-<sha8>; repeatable; instead of "
            "--all/--model.",
            metavar="FILE",
        ),
        profile: str = typer.Option(
            "default", "--profile", help="Size/budget profile: smoke, default, converge, primer or paper."
        ),
        bundle: Path = typer.Option(
            None, "--bundle", help="Bundle folder or manifest (default: simulate the profile's bundle)."
        ),
        out: Path = typer.Option(Path("runs"), "--out", help="Output folder."),
        seed: int = typer.Option(0, "--seed", help="Seed of the simulated bundle and of training."),
        shard: str = typer.Option(
            None, "--shard", help="Run only shard K of N of the matrix (1-based), e.g. 2/8."
        ),
        wandb: str = typer.Option("offline", "--wandb", help="W&B mode: online, offline or disabled."),
        accelerator: str = typer.Option(
            None, "--accelerator", help="Lightning accelerator (cpu, gpu, auto)."
        ),
        devices: str = typer.Option(
            None, "--devices", help="Lightning devices (a count, a list 0,1 or auto)."
        ),
        num_nodes: int = typer.Option(None, "--num-nodes", help="Number of nodes (multi-node DDP)."),
        strategy: str = typer.Option(None, "--strategy", help="Lightning strategy (e.g. ddp)."),
        precision: str = typer.Option(None, "--precision", help="Lightning precision (e.g. 32, bf16-mixed)."),
        max_epochs: int = typer.Option(None, "--max-epochs", help="Override the profile's epoch budget."),
        num_workers: int = typer.Option(0, "--num-workers", help="DataLoader worker processes."),
        no_cagi5: bool = typer.Option(False, "--no-cagi5", help="Skip the CAGI5 variant-effect evaluation."),
        no_motifs: bool = typer.Option(False, "--no-motifs", help="Skip the motif-recovery evaluation."),
        no_ceilings: bool = typer.Option(
            False, "--no-ceilings", help="Skip the oracle / replicate-2 ceilings."
        ),
        cache: Path = typer.Option(None, "--cache", help="Dataset cache folder (default $BENCHSUITE_CACHE)."),
        isolate: str = typer.Option(
            "none", "--isolate", help="Cell isolation: none (in this process) or process (a worker per cell)."
        ),
        cell_timeout: float = typer.Option(
            None,
            "--cell-timeout",
            help="Time limit of one cell in seconds (needs --isolate process).",
            metavar="SECONDS",
        ),
        jobs: int = typer.Option(
            None,
            "--jobs",
            "-j",
            envvar="BENCHSUITE_JOBS",
            help="Cells run at once, in that many worker processes when > 1 (default: the usable cores / "
            "--threads-per-cell, capped by memory and by the cells; 1 for GPU or DDP runs; "
            "env BENCHSUITE_JOBS).",
            metavar="N",
        ),
        threads_per_cell: int = typer.Option(
            1,
            "--threads-per-cell",
            help="Intra-op threads of every cell (recorded; the same count gives the same numbers "
            "on any machine).",
            metavar="T",
        ),
        as_json: bool = typer.Option(
            False, "--json", help="Print the summary as one JSON document on stdout (shape: see above)."
        ),
    ) -> None:
        from rich.console import Console

        from benchsuite.cli.output import echo_json, stdout_console, stdout_to_stderr
        from benchsuite.run.runner import RunOptions, print_summary, run_benchmark

        names = tuple(n.strip() for item in (model or []) for n in item.split(",") if n.strip())
        options = RunOptions(
            models=names,
            all_models=all_models,
            task=task,
            profile=profile,
            bundle=bundle,
            out=out,
            seed=seed,
            shard=shard,
            wandb=wandb,
            accelerator=accelerator,
            devices=devices,
            num_nodes=num_nodes,
            strategy=strategy,
            precision=precision,
            max_epochs=max_epochs,
            num_workers=num_workers,
            cagi5=not no_cagi5,
            motifs=not no_motifs,
            ceilings=not no_ceilings,
            cache_dir=cache,
            isolate=isolate,
            cell_timeout=cell_timeout,
            jobs=jobs,
            threads_per_cell=threads_per_cell,
            tuned=tuple(tuned or ()),
        )
        with stdout_to_stderr(as_json):
            summary = run_benchmark(options, console=Console(stderr=True))
        if as_json:
            echo_json(summary.to_dict())
        else:
            print_summary(summary, stdout_console())
        raise typer.Exit(code=summary.exit_code)
