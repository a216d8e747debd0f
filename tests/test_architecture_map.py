"""docs/architecture.md opens with a map of every module; a module missing from it fails here."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("portal", "workflows", "requests_app", "demo")


def test_every_module_is_on_the_map():
    mapped = set(re.findall(r"^\| `([^`]+)` \|", (ROOT / "docs/architecture.md").read_text(), re.M))
    modules = {
        str(path.relative_to(ROOT))
        for package in PACKAGES
        for path in (ROOT / package).rglob("*.py")
        if "migrations" not in path.parts and (path.name != "__init__.py" or path.stat().st_size)
    }
    assert sorted(modules - mapped) == []
    assert sorted(m for m in mapped - modules if not m.endswith("/")) == []  # nothing stale


def test_no_test_module_imports_another():
    """Factories, payloads and pages have modules of their own; conftest holds fixtures only."""
    offenders = []
    for path in (ROOT / "tests").rglob("*.py"):
        for line in path.read_text().splitlines():
            found = re.match(r"\s*from (tests(?:\.[\w.]+)?) import (\w+)", line)
            module = found and f"{found.group(1)}.{found.group(2)}"
            if found and re.search(r"(^|\.)(test_\w+|conftest)(\.|$)", module):
                offenders.append(f"{path.relative_to(ROOT)}: {line.strip()}")
    assert offenders == []
