"""CLI: ``benchsuite list`` -- the registered models, the tasks, plugins that failed to load, and
(``--metrics``) the metric registry."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import typer

from benchsuite.errors import ConfigError

if TYPE_CHECKING:  # pragma: no cover
    from rich.console import Console

    from benchsuite.plugins import RegisteredModel, Registry

#: input length and number of targets of each benchmark profile (the simulator's geometry)
PROFILE_GEOMETRY: dict[str, tuple[int, int]] = {
    "smoke": (512, 3),
    "default": (1024, 5),
    "paper": (2048, 15),
}


def register(app: typer.Typer) -> None:
    """Add this module's commands to the root app."""
    app.command("list")(list_command)


def list_command(
    profile: str = typer.Option(
        "default",
        "--profile",
        "-p",
        help="Size profile used to build each model for the parameter count: smoke, default or paper.",
    ),
    check: bool = typer.Option(
        False, "--check", help="Also run every model on a dry batch and check the tensor contract."
    ),
    metrics: bool = typer.Option(
        False, "--metrics", help="List the harness's metrics (name, family, definition, direction) instead."
    ),
    as_json: bool = typer.Option(False, "--json", help="With --metrics: print the registry as JSON."),
    markdown: bool = typer.Option(
        False, "--markdown", help="With --metrics: print docs/metrics.md (the registry as Markdown)."
    ),
) -> None:
    """List the registered models (with parameter counts), the tasks and any plugin that failed to load.

    Plugins are discovered from the entry points of group ``benchsuite``;
    ``BENCHSUITE_PLUGINS=a,b`` restricts loading to the named entry points / distributions.
    With ``--metrics``, list every metric of the harness from its registry instead.
    """
    from rich.console import Console

    from benchsuite.plugins import load_plugins

    if (as_json or markdown) and not metrics:
        raise ConfigError(
            "--json and --markdown apply to --metrics", source="--json/--markdown", hint="add --metrics"
        )
    if metrics:
        _print_metrics(as_json=as_json, markdown=markdown)
        return

    if profile not in PROFILE_GEOMETRY:
        raise ConfigError(
            f"unknown profile {profile!r}",
            source="--profile",
            hint=f"choose one of {', '.join(PROFILE_GEOMETRY)}",
        )
    plugin_logger = logging.getLogger("benchsuite.plugins")
    previous = plugin_logger.level
    plugin_logger.setLevel(logging.ERROR)  # load errors are shown in their own table below
    try:
        registry = load_plugins()
    finally:
        plugin_logger.setLevel(previous)

    console = Console()
    _print_models(console, registry, profile, check)
    _print_tasks(console, registry)
    _print_failures(console, registry)


def _count_parameters(registered: RegisteredModel, kind: str, profile: str, check: bool) -> str:
    """Parameter count of the model built for ``kind`` under ``profile``, or the build error."""
    from benchsuite.errors import BenchsuiteError, ModelContractError

    length, targets = PROFILE_GEOMETRY[profile]
    try:
        task = registered.spec.task_spec(kind, input_length=length, num_targets=targets)
        model = registered.build(task, profile=profile, check=check)
    except ModelContractError as exc:
        return f"[red]contract violated: {_escape(exc.message)}[/]"
    except BenchsuiteError as exc:
        cause = exc.__cause__
        if cause is not None and not isinstance(cause, BenchsuiteError):  # build() raised: show its error
            return f"[red]build failed: {_escape(f'{type(cause).__name__}: {cause}')}[/]"
        return f"[red]{_escape(exc.message)}[/]"
    except Exception as exc:  # noqa: BLE001 - a faulty plugin must not break the listing
        return f"[red]build failed: {_escape(f'{type(exc).__name__}: {exc}')}[/]"
    count = sum(p.numel() for p in model.parameters())
    return f"{count:,}" + (" [green](contract ok)[/]" if check else "")


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)


def _resolution(registered: RegisteredModel, kind: str) -> str:
    """Output resolution of the model for one task kind."""
    if kind == "binary":
        return "per sequence"
    bin_size = registered.spec.bin_size
    return "base (bin 1)" if bin_size == 1 else f"bin {bin_size} bp"


def _print_models(console: Console, registry: Registry, profile: str, check: bool) -> None:
    from rich.table import Table

    from benchsuite.plugins import TASK_KINDS

    length, targets = PROFILE_GEOMETRY[profile]
    table = Table(
        title=f"Models (profile {profile}: input {length:,} bp, {targets} targets)",
        title_justify="left",
        show_lines=True,
    )
    table.add_column("model", style="bold cyan", no_wrap=True)
    table.add_column("distribution", no_wrap=True)
    table.add_column("tasks", no_wrap=True)
    table.add_column("output resolution", no_wrap=True)
    table.add_column("parameters", overflow="fold")
    table.add_column("description", overflow="fold", ratio=1, min_width=24)
    for registered in registry:
        kinds = [k for k in TASK_KINDS if k in registered.spec.tasks]
        params = "\n".join(_count_parameters(registered, kind, profile, check) for kind in kinds)
        dist = registered.distribution + (f" {registered.version}" if registered.version else "")
        table.add_row(
            _escape(registered.name),
            _escape(dist),
            "\n".join(kinds),
            "\n".join(_resolution(registered, kind) for kind in kinds),
            params,
            _escape(registered.spec.description),
        )
    if len(registry):
        console.print(table)
    else:
        console.print(
            "[yellow]No models registered.[/] Install a plugin, e.g. "
            "`pip install -e plugins/benchsuite-baselines`."
        )


def _print_tasks(console: Console, registry: Registry) -> None:
    from rich.table import Table

    from benchsuite.plugins.spec import TASK_DESCRIPTIONS

    table = Table(title="Tasks", title_justify="left")
    table.add_column("task", style="bold", no_wrap=True)
    table.add_column("model output", overflow="fold")
    table.add_column("data", overflow="fold")
    table.add_column("default loss", no_wrap=True)
    table.add_column("models", justify="right")
    for kind, names in registry.tasks.items():
        info = TASK_DESCRIPTIONS[kind]
        table.add_row(kind, info["output"], info["data"], info["loss"], str(len(names)))
    console.print(table)


def _print_failures(console: Console, registry: Registry) -> None:
    from rich.table import Table

    if registry.skipped:
        console.print(
            f"Not loaded (excluded by BENCHSUITE_PLUGINS): {_escape(', '.join(registry.skipped))}",
            highlight=False,
        )
    if not registry.errors:
        console.print(f"All {len(registry.plugins)} plugin(s) loaded without errors.", highlight=False)
        return
    table = Table(title="Plugins that failed to load", title_justify="left", title_style="bold red")
    table.add_column("plugin", style="bold", no_wrap=True)
    table.add_column("distribution", overflow="fold")
    table.add_column("stage", no_wrap=True)
    table.add_column("reason", overflow="fold", ratio=1)
    for error in registry.errors:
        dist = error.distribution + (f" {error.version}" if error.version else "")
        reason = error.reason + (f" (fix: {error.hint})" if error.hint else "")
        table.add_row(_escape(error.plugin), _escape(dist or "-"), error.stage, _escape(reason))
    console.print(table)


def _print_metrics(*, as_json: bool, markdown: bool) -> None:
    """The metric registry as a table, JSON or Markdown (``docs/metrics.md``)."""
    import json

    from rich.console import Console
    from rich.table import Table

    from benchsuite.evaluate import HARNESS_VERSION
    from benchsuite.evaluate.registry import METRICS, metrics_markdown

    if markdown:
        typer.echo(metrics_markdown(), nl=False)
        return
    if as_json:
        typer.echo(
            json.dumps(
                {"harness_version": HARNESS_VERSION, "metrics": [m.to_dict() for m in METRICS]}, indent=2
            )
        )
        return
    table = Table(title=f"Metrics (harness {HARNESS_VERSION}); protocol: docs/protocol.md")
    for column in ("metric", "family", "better", "resolution"):
        table.add_column(column, no_wrap=True)
    table.add_column("definition", overflow="fold")
    for m in METRICS:
        marks = "*" if m.headline else ""
        table.add_row(
            f"{m.name}{marks}",
            m.family,
            "higher" if m.higher_is_better else "lower",
            m.resolution,
            m.definition,
        )
    console = Console()
    console.print(table)
    console.print("* headline metric (run summary)")
