"""The pinned environments match what pyproject.toml asks for, and each other."""

import re
import tomllib

import yaml
from packaging.requirements import Requirement

from conftest import PROJECT_ROOT


def pins(name: str) -> dict[str, str]:
    text = (PROJECT_ROOT / name).read_text()
    return {
        _normal(package): version
        for package, version in re.findall(r"^([A-Za-z0-9_.\-]+)==(\S+)", text, re.M)
    }


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


PROJECT = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["project"]


def test_every_direct_dependency_is_pinned_within_its_range() -> None:
    locked = pins("requirements.lock")
    wanted = PROJECT["dependencies"] + [
        dep for extra in PROJECT["optional-dependencies"].values() for dep in extra
    ]
    for line in wanted:
        requirement = Requirement(line)
        version = locked.get(_normal(requirement.name))
        assert version, f"{requirement.name} is not in requirements.lock: run `make lock`"
        assert requirement.specifier.contains(version), f"{requirement} but locked {version}"


def test_serving_lock_is_the_serving_part_of_the_full_lock() -> None:
    full, serve = pins("requirements.lock"), pins("requirements-serve.lock")
    assert {name: full.get(name) for name in serve} == serve
    for line in PROJECT["dependencies"]:
        assert _normal(Requirement(line).name) in serve
    assert "dvc" not in serve


def test_bentofile_installs_this_version_of_the_package() -> None:
    bentofile = yaml.safe_load((PROJECT_ROOT / "bentofile.yaml").read_text())
    assert bentofile["python"]["wheels"] == [
        f"./dist/celestial-{PROJECT['version']}-py3-none-any.whl"
    ]
    assert bentofile["python"]["requirements_txt"] == "./requirements-serve.lock"
