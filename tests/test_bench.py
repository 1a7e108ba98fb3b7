"""A short run of the benchmark harness: every target starts, scenarios run, reports appear."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from celestial.server_process import TOOLS_PATH
from conftest import PROJECT_ROOT

pytestmark = pytest.mark.integration


def test_benchmark_harness_smoke(trained_model, tmp_path: Path) -> None:
    report, markdown = tmp_path / "bench.json", tmp_path / "bench.md"
    model = f"CELESTIAL_MODEL_TAG={trained_model.tag}"
    subprocess.run(
        [sys.executable, "benchmarks/bench.py", "--target", "celestial.service:CelestialClassifier",
         "--seconds", "1", "--rounds", "1", "--warmup", "1", "--env", model,
         "--output", str(report), "--markdown", str(markdown)],
        cwd=PROJECT_ROOT, check=True, timeout=300, env={**os.environ, "PATH": TOOLS_PATH},
    )  # fmt: skip
    figures = json.loads(report.read_text())
    scenarios = {(r["target"], r["scenario"]) for r in figures["results"]}
    assert len(scenarios) == 7
    for result in figures["results"]:
        assert result["errors"] == 0, result
        assert result["peak_rss_mb"] > 50, "memory of the server's processes is sampled"
        if result["target"] != "naive":  # one second may be too short for model.predict
            assert result["requests_per_s"] > 0, result
    assert set(figures["cold_start_s"]) == {"ours", "floor", "naive"}
    assert set(figures["ratios"]) == {"/predict, 1 client", "/predict, 32 clients"}
    assert "| ours | /predict, 32 clients |" in markdown.read_text()
