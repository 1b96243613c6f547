"""The rules' conda environment is a real conda-forge environment that carries every dependency
of the package (it cannot be solved here: conda-forge is out of reach of this machine)."""

from __future__ import annotations

import re
import tomllib

import yaml

from tests.conftest import REPO_ROOT

ENV = REPO_ROOT / "workflow" / "envs" / "spatialint.yaml"
#: PyPI name -> conda-forge name, where they differ.
CONDA_NAMES = {
    "osmium": "pyosmium",
    "h3": "h3-py",
    "matplotlib": "matplotlib-base",
    "snakemake": "snakemake-minimal",
}


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~ \[]", requirement.strip(), maxsplit=1)[0].lower()


def test_env_parses_and_uses_conda_forge_only() -> None:
    env = yaml.safe_load(ENV.read_text(encoding="utf-8"))
    assert env["channels"] == ["conda-forge", "nodefaults"]
    conda = [d for d in env["dependencies"] if isinstance(d, str)]
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert "python>=3.11" in conda and "pip" in conda
    assert pip[-1] == "-e ../.." and (ENV.parent / "../..").resolve() == REPO_ROOT


def test_env_holds_every_package_dependency() -> None:
    env = yaml.safe_load(ENV.read_text(encoding="utf-8"))
    conda = {_name(d) for d in env["dependencies"] if isinstance(d, str)}
    pip = {_name(d) for d in next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))}
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    needed = {_name(r) for r in project["project"]["dependencies"]}
    missing = sorted(n for n in needed if CONDA_NAMES.get(n, n) not in conda and n not in pip)
    assert missing == [], f"{ENV.name} lacks {missing}"
    without_env = [
        path.name
        for path in (REPO_ROOT / "workflow" / "rules").glob("*.smk")
        if len(re.findall(r"^rule \w+:", text := path.read_text(encoding="utf-8"), re.M))
        != text.count('conda:\n        "../envs/spatialint.yaml"')
    ]
    assert without_env == [], "rules without the environment"
