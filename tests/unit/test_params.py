from pathlib import Path

import pytest
import yaml

from celestial.pipeline.params import ConfigError, load_params
from conftest import PROJECT_ROOT


def write_params(tmp_path: Path, **changes) -> Path:
    """The project's params.yaml with `section.key` values replaced (None deletes the key)."""
    params = yaml.safe_load((PROJECT_ROOT / "params.yaml").read_text())
    for dotted, value in changes.items():
        *parents, key = dotted.split("__")
        section = params
        for parent in parents:
            section = section[parent]
        if value is None:
            del section[key]
        else:
            section[key] = value
    path = tmp_path / "params.yaml"
    path.write_text(yaml.safe_dump(params))
    return path


def test_project_params_load() -> None:
    params = load_params(PROJECT_ROOT / "params.yaml")
    assert params.base.image_size > 0
    assert params.model_export.name == f"{params.base.model_name}.bentomodel"
    assert params.paths.split_file.parent == params.paths.prepared


def test_settings_are_frozen() -> None:
    params = load_params(PROJECT_ROOT / "params.yaml")
    with pytest.raises(ValueError, match="frozen"):
        params.train.epochs = 3


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"train__epochs": 0}, r"train\.epochs: Input should be greater than 0 \(got 0\)"),
        ({"train__epohcs": 5}, r"train\.epohcs: Extra inputs are not permitted"),
        ({"train__learning_rate": "fast"}, r"train\.learning_rate: .*valid number"),
        ({"base__seed": None}, r"base\.seed: Field required"),
        ({"prepare__val_fraction": 0.5, "prepare__test_fraction": 0.5}, r"leave images for"),
        ({"base__model_name": "My Model"}, r"base\.model_name: String should match"),
        ({"train__augment__changes__jpeg__range": [30, 6]}, r"train\.augment\.changes\.jpeg"),
        (
            {"train__augment__changes__rotated": {"probability": 1, "range": [0, 1]}},
            r"unknown kinds",
        ),
        ({"novelty__keep": 1.5}, r"novelty\.keep: Input should be less than 1"),
        ({"leave_out__folds": 1}, r"leave_out\.folds: Input should be greater than or equal to 2"),
    ],
)
def test_wrong_values_are_named(tmp_path: Path, changes: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_params(write_params(tmp_path, **changes))


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"cannot read .*params\.yaml"):
        load_params(tmp_path / "params.yaml")


def test_invalid_yaml(tmp_path: Path) -> None:
    path = tmp_path / "params.yaml"
    path.write_text("base: [unclosed\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_params(path)


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "params.yaml"
    path.write_text("")
    with pytest.raises(ConfigError, match="Input should be a valid dictionary"):
        load_params(path)
