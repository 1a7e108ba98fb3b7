"""The test folders themselves: pytest imports each test module by its file name alone."""

from collections import Counter

from conftest import PROJECT_ROOT


def test_no_two_test_modules_share_a_name() -> None:
    """Two test_x.py in different folders stop the whole run at collection ("import file
    mismatch"), so a name must be unique across tests/."""
    names = Counter(path.name for path in (PROJECT_ROOT / "tests").rglob("test_*.py"))
    assert [name for name, count in names.items() if count > 1] == []
