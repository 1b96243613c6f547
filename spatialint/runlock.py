"""A Snakemake lock left behind by a killed run: say exactly what to run.

Snakemake locks the files of a run (``.snakemake/locks/`` in the working folder) and removes the
lock when the run ends, whether it succeeded or failed. A run that is killed (power cut,
out-of-memory kill, ``kill -9``) leaves its lock, and every later run of the files it covers
stops with "Directory cannot be locked ... It can be removed with the --unlock argument".

Only Snakemake removes its locks (``snakemake --unlock``); this module never touches them. The
workflow calls :func:`watch_for_stale_lock` when it loads: when lock files are there and no other
Snakemake process works in the folder, it prints, as the run ends and if the same lock files
are still there (so they stopped it), one paragraph with the two commands to run.
"""

from __future__ import annotations

import atexit
import os
import shlex
import shutil
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TextIO

LOCK_DIR = Path(".snakemake") / "locks"
#: Options of a Snakemake command line that ``--unlock`` needs as well (they say which workflow
#: and config to load), with the number of values each takes (``None``: all up to the next
#: option).
LOCATING_OPTIONS: dict[str, int | None] = {
    "-s": 1,
    "--snakefile": 1,
    "-d": 1,
    "--directory": 1,
    "--configfile": None,
    "--configfiles": None,
    "-C": None,
    "--config": None,
}


def lock_files(workdir: Path) -> frozenset[tuple[str, int]]:
    """The lock files in ``workdir`` with their modification times (ns)."""
    folder = Path(workdir) / LOCK_DIR
    try:
        return frozenset((p.name, p.stat().st_mtime_ns) for p in folder.glob("*.lock"))
    except OSError:
        return frozenset()


def is_snakemake_command(argv: Sequence[str]) -> bool:
    """True for the ``snakemake`` command line (or ``python -m snakemake``)."""
    if not argv:
        return False
    program = Path(argv[0])
    return program.name.startswith("snakemake") or program.parent.name == "snakemake"


def other_snakemake_running(workdir: Path, *, own_pid: int | None = None) -> bool:
    """True when another Snakemake process (not this one or its parents) works in ``workdir``.

    Processes of other users, which cannot be inspected, are not counted; without ``psutil``
    (a dependency of Snakemake) none is.
    """
    try:
        import psutil
    except ImportError:  # pragma: no cover - Snakemake depends on psutil
        return False
    own = psutil.Process(own_pid or os.getpid())
    mine = {own.pid, *(parent.pid for parent in own.parents())}
    folder = Path(workdir).resolve()
    for process in psutil.process_iter(["pid", "cmdline", "cwd"]):
        info = process.info
        if info["pid"] in mine or not is_snakemake_command(_program(info["cmdline"] or [])):
            continue
        if info["cwd"] and Path(info["cwd"]).resolve() == folder:
            return True
    return False


def _program(cmdline: Sequence[str]) -> list[str]:
    """The command line from the program on (``python .../snakemake ...`` → ``snakemake ...``)."""
    for at, arg in enumerate(cmdline[:3]):
        if is_snakemake_command([arg]) or arg == "snakemake":
            return list(cmdline[at:])
    return list(cmdline)


def commands(argv: Sequence[str]) -> tuple[str, str]:
    """The unlock command and the same command again, for the command line ``argv``."""
    program = Path(argv[0])
    if program.parent.name == "snakemake":  # python -m snakemake
        words = ["python", "-m", "snakemake"]
    else:
        found = shutil.which(program.name)
        same = found is not None and Path(found).resolve() == program.resolve()
        words = [program.name if same else argv[0]]
    args = list(argv[1:])
    return shlex.join([*words, "--unlock", *_locating(args)]), shlex.join([*words, *args])


def _locating(args: Sequence[str]) -> list[str]:
    """The arguments of :data:`LOCATING_OPTIONS` in ``args``, with their values."""
    kept: list[str] = []
    at = 0
    while at < len(args):
        arg = args[at]
        name = arg.split("=", 1)[0]
        at += 1
        if name not in LOCATING_OPTIONS:
            continue
        kept.append(arg)
        if "=" in arg and name.startswith("--"):
            continue
        count = LOCATING_OPTIONS[name]
        while at < len(args) and not args[at].startswith("-") and (count is None or count > 0):
            kept.append(args[at])
            at += 1
            count = None if count is None else count - 1
    return kept


def hint(workdir: Path, argv: Sequence[str]) -> str:
    """The paragraph for a run stopped by a stale lock."""
    unlock, again = commands(argv)
    return (
        f"\nspatialint: Snakemake's lock from an earlier run that was killed (power cut, out "
        f"of memory, kill -9) is still in {Path(workdir) / LOCK_DIR}, and no Snakemake is "
        'running in this folder, so Snakemake will not run the jobs it covers ("Directory '
        "cannot be locked\"). Remove it with Snakemake's own command, then run the same "
        "command again (finished steps are kept, unfinished ones are redone):\n"
        f"    {unlock}\n    {again}\n"
    )


def watch_for_stale_lock(
    workdir: Path,
    argv: Sequence[str] = tuple(sys.argv),
    *,
    locked: Callable[[], bool] = lambda: True,
    stream: TextIO | None = None,
) -> bool:
    """Print :func:`hint` when this run ends if the lock files there now stopped it.

    Does nothing (returns False) unless ``argv`` is a Snakemake command line and
    ``workdir`` holds lock files. At the end of the run the hint is printed only if some of
    those files are still there, unchanged, ``locked()`` says they cover this run's files
    (the workflow passes Snakemake's own test, ``workflow.persistence.locked``; an error in it
    counts as covered), and no other Snakemake works in ``workdir``.
    """
    before = lock_files(workdir)
    if not before or not is_snakemake_command(argv):
        return False

    def covered() -> bool:
        try:
            return bool(locked())
        except Exception:  # Snakemake's internals moved: say it rather than stay silent
            return True

    def at_exit() -> None:
        still = lock_files(workdir) & before
        if still and covered() and not other_snakemake_running(workdir):
            print(hint(workdir, argv), file=stream or sys.stderr, flush=True)

    atexit.register(at_exit)
    return True
