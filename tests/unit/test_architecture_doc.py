"""docs/architecture.md names every module of ``app/`` (and nothing that no longer exists)."""
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "architecture.md"


def _modules():
    return {path.relative_to(ROOT).as_posix() for path in (ROOT / "app").rglob("*.py")}


def _named():
    return set(re.findall(r"`(app/[\w/]+\.py)`", DOC.read_text(encoding="utf-8")))


def test_every_module_of_app_is_in_the_architecture_doc():
    missing = sorted(_modules() - _named())
    assert not missing, f"docs/architecture.md does not describe: {missing}"


def test_the_architecture_doc_names_no_module_that_is_gone():
    gone = sorted(_named() - _modules())
    assert not gone, f"docs/architecture.md names modules that do not exist: {gone}"


def test_the_readme_links_to_it():
    assert "docs/architecture.md" in (ROOT / "README.md").read_text(encoding="utf-8")
