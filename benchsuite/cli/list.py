"""CLI: ``benchsuite list`` -- the registered models, the tasks, plugins that failed to load, and
(``--metrics``) the metric registry."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import typer

from benchsuite.cli.output import echo_json, stdout_console, stdout_to_stderr
from benchsuite.errors import ConfigError

if TYPE_CHECKING:  # pragma: no cover
    from rich.console import Console

    from benchsuite.plugins import RegisteredModel, Registry
    from benchsuite.plugins.manager import PluginLoadError

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
    as_json: bool = typer.Option(
        False,
        "--json",
        help="Print one JSON document on stdout (the models, tasks and load failures; "
        "with --metrics, the metric registry) instead of tables.",
    ),
    markdown: bool = typer.Option(
        False, "--markdown", help="With --metrics: print docs/metrics.md (the registry as Markdown)."
    ),
) -> None:
    """List the registered models (with parameter counts), the tasks and any plugin that failed to load.

    Plugins are discovered from the entry points of group ``benchsuite``;
    ``BENCHSUITE_PLUGINS=a,b`` restricts loading to the named entry points / distributions.
    With ``--metrics``, list every metric of the harness from its registry instead.

    With ``--json``, stdout is one JSON document (logs go to stderr):
    {"profile", "input_length", "num_targets",
    "models": [{"name", "plugin", "distribution", "version", "description", "tasks": [KIND],
    "resolution": {KIND: TEXT}, "bin_size", "parameters": {KIND: INT or null},
    "build_errors": {KIND: MESSAGE}}],
    "tasks": [{"name", "output", "data", "loss", "models": [NAME]}],
    "failures": [{"plugin", "distribution", "version", "stage", "reason", "hint"}],
    "warnings": [same shape: e.g. global torch state changed at import, restored],
    "skipped": [PLUGIN], "plugins_loaded": INT}.
    With ``--metrics --json``: {"harness_version", "metrics": [...]}.
    """
    from benchsuite.plugins import load_plugins

    if markdown and not metrics:
        raise ConfigError("--markdown applies to --metrics", source="--markdown", hint="add --metrics")
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

    if as_json:
        with stdout_to_stderr():
            document = _list_json(registry, profile, check)
        echo_json(document)
        return
    console = stdout_console()
    _print_models(console, registry, profile, check)
    _print_tasks(console, registry)
    _print_failures(console, registry)


def _build_count(registered: RegisteredModel, kind: str, profile: str, check: bool) -> tuple[int | None, str]:
    """(parameter count, '') of the model built for ``kind`` under ``profile``, or (None, the error)."""
    from benchsuite.errors import BenchsuiteError, ModelContractError

    length, targets = PROFILE_GEOMETRY[profile]
    try:
        if registered.spec.evaluate_only:  # already trained: loaded at its own geometry
            model, _ = registered.load(kind, check=check)
        else:
            task = registered.spec.task_spec(kind, input_length=length, num_targets=targets)
            model = registered.build(task, profile=profile, check=check)
    except ModelContractError as exc:
        return None, f"contract violated: {exc.message}"
    except BenchsuiteError as exc:
        cause = exc.__cause__
        if cause is not None and not isinstance(cause, BenchsuiteError):  # build() raised: show its error
            return None, f"build failed: {type(cause).__name__}: {cause}"
        return None, exc.message
    except Exception as exc:  # noqa: BLE001 - a faulty plugin must not break the listing
        return None, f"build failed: {type(exc).__name__}: {exc}"
    return sum(p.numel() for p in model.parameters()), ""


def _count_parameters(registered: RegisteredModel, kind: str, profile: str, check: bool) -> str:
    """Parameter count of the model built for ``kind`` under ``profile``, or the build error (markup)."""
    count, error = _build_count(registered, kind, profile, check)
    if count is None:
        return f"[red]{_escape(error)}[/]"
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
    for warning in registry.warnings:
        console.print(f"[yellow]plugin warning:[/] {_escape(str(warning))}", highlight=False)
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


def _problem_json(error: PluginLoadError) -> dict[str, Any]:
    """One plugin failure or warning of the ``--json`` document."""
    return {
        "plugin": error.plugin,
        "distribution": error.distribution,
        "version": error.version,
        "stage": error.stage,
        "reason": error.reason,
        "hint": error.hint,
    }


def _list_json(registry: Registry, profile: str, check: bool) -> dict[str, Any]:
    """The ``--json`` document of ``benchsuite list`` (shape: see :func:`list_command`)."""
    from benchsuite.plugins import TASK_KINDS
    from benchsuite.plugins.spec import TASK_DESCRIPTIONS

    length, targets = PROFILE_GEOMETRY[profile]
    models = []
    for registered in registry:
        kinds = [k for k in TASK_KINDS if k in registered.spec.tasks]
        counts = {kind: _build_count(registered, kind, profile, check) for kind in kinds}
        models.append(
            {
                "name": registered.name,
                "plugin": registered.plugin,
                "distribution": registered.distribution,
                "version": registered.version,
                "description": registered.spec.description,
                "tasks": kinds,
                "resolution": {kind: _resolution(registered, kind) for kind in kinds},
                "bin_size": registered.spec.bin_size,
                "parameters": {kind: count for kind, (count, _) in counts.items()},
                "build_errors": {kind: error for kind, (count, error) in counts.items() if count is None},
            }
        )
    tasks = [
        {
            "name": kind,
            **{key: TASK_DESCRIPTIONS[kind][key] for key in ("output", "data", "loss")},
            "models": list(names),
        }
        for kind, names in registry.tasks.items()
    ]
    failures, warnings = (
        [_problem_json(error) for error in problems] for problems in (registry.errors, registry.warnings)
    )
    return {
        "profile": profile,
        "input_length": length,
        "num_targets": targets,
        "models": models,
        "tasks": tasks,
        "failures": failures,
        "warnings": warnings,
        "skipped": list(registry.skipped),
        "plugins_loaded": len(registry.plugins),
    }


def _print_metrics(*, as_json: bool, markdown: bool) -> None:
    """The metric registry as a table, JSON or Markdown (``docs/metrics.md``)."""
    import json

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
    console = stdout_console()
    console.print(table)
    console.print("* headline metric (run summary)")
