"""The house rules, checked: ruff, snakefmt and snakemake --lint are clean."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT

BIN = Path(sys.executable).parent


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args, cwd=REPO_ROOT, capture_output=True, text=True, timeout=300, check=False
    )


@pytest.mark.parametrize(
    "command",
    [
        ("ruff", "check", "."),
        ("ruff", "format", "--check", "."),
        ("snakefmt", "--check", "."),
    ],
    ids=lambda c: " ".join(c),
)
def test_code_style(command: tuple[str, ...]) -> None:
    result = run(str(BIN / command[0]), *command[1:])
    assert result.returncode == 0, result.stdout + result.stderr


def test_snakemake_lint_is_clean() -> None:
    result = run(str(BIN / "snakemake"), "--lint", "--cores", "1")
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "Lints for" not in output, output


def test_snakemake_scripts_have_no_future_imports() -> None:
    """Snakemake prepends a preamble to scripts, so a __future__ import there is a SyntaxError
    (``_helpers.py`` is imported, not run as a script)."""
    offenders = [
        path.name
        for path in (REPO_ROOT / "workflow" / "scripts").glob("[!_]*.py")
        if "from __future__" in path.read_text(encoding="utf-8")
    ]
    assert offenders == []
