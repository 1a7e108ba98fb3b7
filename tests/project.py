"""A throwaway copy of the project, for tests that run DVC, the pipeline or the CLI for real."""

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import yaml

from celestial.serving.server_process import TOOLS_PATH
from conftest import PROJECT_ROOT

# What a fresh clone holds that the pipeline needs (the package itself is installed).
PROJECT_FILES = ("params.yaml", "dvc.yaml", ".dvcignore", ".gitignore", "src")
PROJECT_DIRS_KEPT = (".dvc/config", ".dvc/.gitignore", "data/.gitignore", "model/.gitignore")
# What `make bento` and `make container` read besides the model.
BUILD_FILES = ("Makefile", "bentofile.yaml", ".bentoignore", "pyproject.toml", "README.md",
               "requirements-serve.lock", "src", "scripts", "deploy/container")  # fmt: skip


def copy_build_files(root: Path) -> None:
    """The files a Bento and its image are built from, copied into root."""
    for name in BUILD_FILES:
        copy = shutil.copytree if (PROJECT_ROOT / name).is_dir() else shutil.copy
        copy(PROJECT_ROOT / name, root / name)


# Small enough to run a whole pipeline in seconds; still real images, a real model, real DVC.
TINY_PARAMS = {
    "base": {"image_size": 32},
    "render": {"images_per_class": 5, "image_size": 64},
    "train": {"epochs": 2, "filters": [8], "dense_units": 16, "batch_size": 16},
}


@dataclass(frozen=True)
class Project:
    """A copy of the project with a BentoML store of its own, like a fresh machine."""

    root: Path

    @property
    def store(self) -> Path:
        return self.root.parent / f"{self.root.name}-bentoml"

    def run(self, *command: str, env: dict | None = None, check: bool = True) -> str:
        return run(
            self.root, *command, env={"BENTOML_HOME": str(self.store), **(env or {})}, check=check
        )

    def git(self, *args: str) -> str:
        return git(self.root, *args)


def make_project(root: Path, params: dict = TINY_PARAMS) -> Project:
    """Copy the project's pipeline into root, as a git repository with `params` merged in."""
    root.mkdir(parents=True)
    for name in PROJECT_FILES:
        source = PROJECT_ROOT / name
        if source.is_dir():
            shutil.copytree(source, root / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(source, root / name)
    for name in PROJECT_DIRS_KEPT:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(PROJECT_ROOT / name, root / name)
    merged = yaml.safe_load((root / "params.yaml").read_text())
    for section, values in params.items():
        merged[section].update(values)
    (root / "params.yaml").write_text(yaml.safe_dump(merged, sort_keys=False))
    git(root, "init", "--quiet", "--initial-branch=main")
    git(root, "add", "-A")
    git(root, "commit", "--quiet", "-m", "project")
    return Project(root)


def git(root: Path, *args: str) -> str:
    identity = ["-c", "user.name=test", "-c", "user.email=test@example.com"]
    return run(root, "git", *identity, *args)


def run(root: Path, *command: str, env: dict | None = None, check: bool = True) -> str:
    """Run a command in the project; on failure the error shows its output."""
    result = subprocess.run(
        command,
        cwd=root,
        capture_output=True,
        text=True,
        env={**os.environ, "PATH": TOOLS_PATH, **(env or {})},
    )
    if check and result.returncode != 0:
        raise AssertionError(
            f"{' '.join(command)} exited {result.returncode}\n{result.stdout}\n{result.stderr}"
        )
    return result.stdout + result.stderr
