"""Data and model travel through a real DVC remote (a local directory) into a fresh clone."""

import hashlib
import sys
from pathlib import Path

from project import git, make_project, run

EXPORT = "model/celestial_bodies_classifier.bentomodel"


def digests(root: Path, *relative: str) -> dict[str, str]:
    """sha256 of every file under the given paths, keyed by path relative to root."""
    files = sorted(
        path
        for name in relative
        for path in [root / name, *(root / name).rglob("*")]
        if path.is_file()
    )
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest() for p in files
    }


def test_push_then_pull_into_a_fresh_clone(tmp_path: Path) -> None:
    project = make_project(tmp_path / "origin")
    origin = project.root
    remote = tmp_path / "remote"
    project.run("dvc", "remote", "add", "--default", "storage", str(remote))
    project.run(sys.executable, "-m", "celestial.render", "--if-empty")
    project.run("dvc", "add", "--quiet", "data/raw")
    project.run("dvc", "repro")
    project.git("add", "-A")
    project.git("commit", "--quiet", "-m", "data and model")
    project.run("dvc", "push")

    clone = tmp_path / "clone"
    git(tmp_path, "clone", "--quiet", str(origin), str(clone))
    assert not (clone / "data/raw").exists(), "git carries no data"
    assert not (clone / EXPORT).exists(), "git carries no model"
    run(clone, "dvc", "pull")

    tracked = ("data/raw", "data/prepared", EXPORT)
    assert digests(clone, *tracked) == digests(origin, *tracked)
    assert len(digests(clone, "data/raw")) == 50
    assert "up to date" in run(clone, "dvc", "status")

    fresh_store = {"BENTOML_HOME": str(tmp_path / "fresh-bentoml")}
    # BentoML's CLI reads a relative path as one from the filesystem root: give it an absolute one.
    run(clone, "bentoml", "models", "import", str(clone / EXPORT), env=fresh_store)
    listed = run(clone, "bentoml", "models", "list", "-o", "json", env=fresh_store)
    assert "celestial_bodies_classifier" in listed
    loaded = run(
        clone,
        sys.executable,
        "-c",
        "import bentoml; m = bentoml.models.get('celestial_bodies_classifier:latest');"
        "print(sorted(m.custom_objects), m.custom_objects['postprocess'].labels[0])",
        env=fresh_store,
    )
    assert "['postprocess', 'preprocess'] Earth" in loaded
