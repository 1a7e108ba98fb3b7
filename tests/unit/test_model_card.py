"""docs/model-card.md is generated from recorded evidence, and the evidence matches the recipe."""

import json

import pytest
import yaml

from celestial.errors import UserError
from celestial.pipeline import model_card
from conftest import PROJECT_ROOT


@pytest.fixture
def in_project(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(PROJECT_ROOT)


def test_committed_card_is_what_the_evidence_renders(in_project) -> None:
    model_card.main(["render", "--check"])


def test_evidence_was_recorded_with_the_current_params(in_project) -> None:
    evidence = json.loads(model_card.EVIDENCE.read_text())
    current = yaml.safe_load((PROJECT_ROOT / "params.yaml").read_text())
    assert model_card.model_params(evidence["params"]) == model_card.model_params(current), (
        "params.yaml changed since docs/model-card.json was recorded: retrain on the real data "
        "and record again (see celestial/pipeline/model_card.py)"
    )


def test_check_fails_on_a_hand_edited_card(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "docs").mkdir()
    evidence = (PROJECT_ROOT / model_card.EVIDENCE).read_text()
    (tmp_path / model_card.EVIDENCE).write_text(evidence)
    (tmp_path / model_card.CARD).write_text("# edited by hand\n")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(UserError, match=r"is not what docs/model-card\.json renders"):
        model_card.main(["render", "--check"])
    model_card.main(["render"])
    model_card.main(["render", "--check"])
