"""The hostile-input probe (scripts/probe_inputs.py) end to end: every malformed bundle, bad
option and tampered record gets one clear message and a non-zero exit (or, where exit 0 is right,
the problem is reported); no traceback, nothing wrongly accepted."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from .conftest import ROOT


@pytest.mark.slow
def test_probe_finds_no_traceback_and_no_wrongly_accepted_input(tmp_path):
    out = tmp_path / "probe.json"
    proc = subprocess.run(
        [
            sys.executable,
            str(ROOT / "scripts" / "probe_inputs.py"),
            "--work",
            str(tmp_path / "w"),
            "--json",
            str(out),
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    report = json.loads(out.read_text())
    bad = [c for c in report["cases"] if c["verdict"] != "clear"]
    assert not bad, json.dumps(bad, indent=1)
    assert proc.returncode == 0 and len(report["cases"]) >= 50
