"""The README's API examples, run as written against a real server."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import PROJECT_ROOT

README = (PROJECT_ROOT / "README.md").read_text()
EXAMPLE_IMAGES = {
    "Mars": "data/raw/Mars/Mars_0000.jpg",
    "Saturn": "data/raw/Saturn/Saturn_0000.jpg",
}


def code_block(language: str, containing: str) -> str:
    blocks = re.findall(rf"```{language}\n(.*?)```", README, re.S)
    return next(block for block in blocks if containing in block)


@pytest.fixture
def workdir(tmp_path: Path, held_out) -> Path:
    """A directory holding the images the examples name (renders of those bodies)."""
    for body, relative in EXAMPLE_IMAGES.items():
        (tmp_path / relative).parent.mkdir(parents=True)
        shutil.copy(held_out[body][0], tmp_path / relative)
    return tmp_path


def run_example(command: list[str], workdir: Path) -> str:
    result = subprocess.run(command, cwd=workdir, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_curl_examples(server: str, workdir: Path) -> None:
    script = code_block("bash", "curl -s -F image=").replace("http://localhost:3000", server)
    output = run_example(["bash", "-euo", "pipefail", "-c", script], workdir)
    predictions = re.findall(r'"prediction":\s*"(\w+)"', output)
    assert predictions == ["Mars", "Mars", "Saturn"]
    assert re.search(r'"labels":\s*\["Earth",\s*"Mars",\s*"Neptune",\s*"Saturn"\]', output)


def test_python_example(server: str, workdir: Path) -> None:
    script = code_block("python", "SyncHTTPClient").replace("http://localhost:3000", server)
    output = run_example([sys.executable, "-c", script], workdir)
    assert output.splitlines() == [
        "Mars ['Mars', 'Saturn']",
        "['Earth', 'Mars', 'Neptune', 'Saturn']",
    ]
