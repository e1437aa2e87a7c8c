"""``benchsuite run --out/--cache`` naming a file: one ConfigError, exit 2, nothing run or written."""

from __future__ import annotations

import pytest

from tests.cli.conftest import exit_code


@pytest.mark.parametrize("option", ["--out", "--cache"])
@pytest.mark.parametrize("under", [False, True])
def test_run_path_option_that_is_a_file(option, under, tmp_path, capsys):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder\n")
    target = blocker / "sub" if under else blocker
    argv = ["run", "--all", "--profile", "smoke", "--wandb", "disabled"]
    if option == "--cache":
        argv += ["--out", str(tmp_path / "runs")]
    assert exit_code([*argv, option, str(target)]) == 2
    err = capsys.readouterr().err
    assert option in err and "is a file, not a directory" in err and str(blocker) in err
    assert "Traceback" not in err and "NotADirectoryError" not in err
    assert blocker.read_text() == "not a folder\n"
    assert not (tmp_path / "runs").exists()
