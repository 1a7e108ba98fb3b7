"""A short run of the benchmark harness: every target starts, scenarios run, reports appear."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from celestial.serving.server_process import TOOLS_PATH
from conftest import PROJECT_ROOT

SERVICE = "celestial.serving.service:CelestialClassifier"


def test_benchmark_harness_smoke(trained_model, tmp_path: Path) -> None:
    report, markdown = tmp_path / "bench.json", tmp_path / "bench.md"
    model = f"CELESTIAL_MODEL_TAG={trained_model.tag}"
    subprocess.run(
        [sys.executable, "benchmarks/bench.py", "--target", SERVICE,
         "--seconds", "1", "--rounds", "1", "--warmup", "1", "--env", model,
         "--output", str(report), "--markdown", str(markdown)],
        cwd=PROJECT_ROOT, check=True, timeout=300, env={**os.environ, "PATH": TOOLS_PATH},
    )  # fmt: skip
    figures = json.loads(report.read_text())
    results = {(r["target"], r["scenario"]): r for r in figures["results"]}
    assert set(results) == {
        *((target, scenario) for target in ("ours", "unmonitored", "floor", "naive")
          for scenario in ("/predict, 1 client", "/predict, 32 clients")),
        *((target, "/predict_batch of 32, 4 clients")
          for target in ("ours", "unmonitored", "floor")),
    }  # fmt: skip
    for (_, scenario), result in results.items():
        assert result["errors"] == 0, result
        assert result["peak_rss_mb"] > 50, "memory of the server's processes is sampled"
        images = 32 if scenario.startswith("/predict_batch") else 1
        assert result["images_per_s"] == pytest.approx(images * result["requests_per_s"], abs=2)
        if result["requests_per_s"]:  # one second may be too short for model.predict
            assert result["p50_ms"] <= result["p95_ms"] <= result["p99_ms"], result
    assert set(figures["cold_start_s"]) == {"ours", "unmonitored", "floor", "naive"}
    assert set(figures["ratios"]) == {scenario for _, scenario in results}
    for scenario, ratio in figures["ratios"].items():
        # One round: a ratio is that of the two servers' figures, measured in the same round.
        ours = results["ours", scenario]["requests_per_s"]
        for reference in ("unmonitored", "floor"):
            expected = ours / results[reference, scenario]["requests_per_s"]
            assert ratio[f"of_{reference}"] == pytest.approx(expected, rel=0.01), ratio
            assert ratio[f"of_{reference}_quartiles"] is None, "one round has no spread"
    assert "| ours | /predict, 32 clients |" in markdown.read_text()


def may_profile_other_processes() -> bool:
    """py-spy reads another process's memory: root, or a kernel that allows it to anyone."""
    scope = Path("/proc/sys/kernel/yama/ptrace_scope")
    return os.geteuid() == 0 or not scope.exists() or scope.read_text().strip() == "0"


@pytest.mark.skipif(not may_profile_other_processes(), reason="py-spy may not read the server")
@pytest.mark.parametrize(("route", "clients"), [("/predict", 32), ("/predict_batch", 4)])
def test_profile_puts_the_model_path_in_its_own_stage(
    trained_model, tmp_path: Path, route: str, clients: int
) -> None:
    markdown = tmp_path / "profile.md"
    subprocess.run(
        [sys.executable, "benchmarks/profile.py", "--target", SERVICE, "--route", route,
         "--clients", str(clients), "--seconds", "2", "--rounds", "1",
         "--markdown", str(markdown)],
        cwd=PROJECT_ROOT, check=True, timeout=300,
        env={**os.environ, "PATH": TOOLS_PATH, "CELESTIAL_MODEL_TAG": str(trained_model.tag)},
    )  # fmt: skip
    rows = {
        cells[0]: cells[1:]
        for line in markdown.read_text().splitlines()
        if line.startswith("| ") and not line.startswith(("| stage", "| ---"))
        for cells in [[cell.strip() for cell in line.strip("|").split("|")]]
    }
    total = rows.pop("**all running threads**")
    stages = {name: cells for name, cells in rows.items() if not name.startswith("wall time")}
    for column in (0, 1):  # ours, floor: every sample falls in exactly one stage
        summed = sum(float(cells[column]) for cells in stages.values())
        assert summed == pytest.approx(float(total[column]), abs=0.001 * len(stages))
    ours, floor = stages["model: batching, LiteRT, postprocess"][:2]
    assert float(ours) > 0, "samples inside the batcher are attributed to the model"
    assert float(floor) == 0, "the floor runs no model"
    decoding_ours, decoding_floor = stages["read, decode and preprocess the upload"][:2]
    assert float(decoding_ours) > 0, "samples inside the upload's decoding are attributed to it"
    assert float(decoding_floor) > 0
