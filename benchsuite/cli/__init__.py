"""The ``benchsuite`` command line (typer + rich)."""
