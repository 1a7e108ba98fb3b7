"""The README and the docs pages: generated figures are current, links lead somewhere."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import PROJECT_ROOT

PAGES = [PROJECT_ROOT / "README.md", *sorted((PROJECT_ROOT / "docs").glob("*.md"))]


def test_readme_results_are_those_of_the_reports() -> None:
    result = subprocess.run(
        [sys.executable, "scripts/readme_results.py", "--check"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.name)
def test_relative_links_lead_to_files(page: Path) -> None:
    targets = re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", page.read_text())
    missing = [
        target for target in targets if "://" not in target and not (page.parent / target).exists()
    ]
    assert missing == []


def test_readme_is_a_short_read() -> None:
    """Depth belongs in docs/: the README stays a five-minute read."""
    assert len((PROJECT_ROOT / "README.md").read_bytes()) <= 12 * 1024
