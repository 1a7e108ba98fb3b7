"""Schemathesis against the running service's own OpenAPI document: generated requests, valid and
invalid, never get a 5xx, and every answer matches what the document promises."""

import os
import re
import subprocess

from celestial.serving.server_process import TOOLS_PATH

CHECKS = ("not_a_server_error", "status_code_conformance", "content_type_conformance",
          "response_schema_conformance", "negative_data_rejection")  # fmt: skip


def test_fuzzing_finds_no_server_error_and_no_undocumented_answer(server: str, tmp_path) -> None:
    result = subprocess.run(
        ["schemathesis", "run", f"{server}/docs.json", "--checks", ",".join(CHECKS),
         "--max-examples", "40", "--seed", "1", "--request-timeout", "20",
         "--suppress-health-check", "all", "--continue-on-failure", "--no-color"],
        capture_output=True, text=True, timeout=600, cwd=tmp_path,
        env={**os.environ, "PATH": TOOLS_PATH},
    )  # fmt: skip
    report = result.stdout[-6000:] + result.stderr[-2000:]
    assert result.returncode == 0, report
    assert "No issues found" in report
    # Every operation of the document was exercised: predict, predict_batch, metadata and health.
    selected = re.search(r"Selected: (\d+)/(\d+)", report)
    assert selected, report
    assert selected[1] == selected[2], report
    assert int(selected[1]) >= 5, report
    assert re.search(rf"Tested: {selected[1]}\b", report), report
