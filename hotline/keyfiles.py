"""Keys the development setup generates under var/ when the environment gives none (production
settings refuse to start without them)."""

import os
from collections.abc import Callable
from pathlib import Path


def development_key_create(path: Path, generate: Callable[[], str]) -> None:
    """Write a new key (``generate()``) to ``path`` unless another process (a second worker, a
    parallel test process) got there first: written aside, then linked into place, which fails
    if it exists. Every process then uses the same key."""
    path.parent.mkdir(parents=True, exist_ok=True)
    aside = path.with_name(f".{path.name}.{os.getpid()}")
    with os.fdopen(os.open(aside, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as file:
        file.write(generate())
    try:
        os.link(aside, path)
    except FileExistsError:
        pass  # the other process's key stands
    finally:
        aside.unlink()


def development_key(path: Path, generate: Callable[[], str]) -> str:
    """The key in ``path``, made with ``generate`` the first time it is asked for."""
    if not path.exists():
        development_key_create(path, generate)
    return path.read_text()
