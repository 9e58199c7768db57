"""Layers only point down (docs/architecture.md): every import inside ``app/`` — at module level
or inside a function — goes to a lower layer or stays within its own package.

    0  domain · errors · ids · clock · extensions · crypto · i18n · input_checks · fab_filters · fab_messages
    1  models
    2  security
    3  services
    4  data
    5  reports | ops          (not each other)
    6  web | api              (not each other)
    7  cli
    8  app (the factory, app/__init__.py)

``domain`` is pure: it imports nothing of ``app`` outside itself, nor Flask.
"""
import ast
from pathlib import Path

import pytest

APP = Path(__file__).resolve().parents[2] / "app"

LAYERS = {
    "domain": 0, "errors": 0, "ids": 0, "clock": 0, "extensions": 0, "crypto": 0, "i18n": 0, "input_checks": 0,
    "fab_filters": 0, "fab_messages": 0,
    "models": 1,
    "security": 2,
    "services": 3,
    "data": 4,
    "reports": 5, "ops": 5,
    "web": 6, "api": 6,
    "cli": 7,
    "": 8,
}
# Bottom modules that may import each other (the order among them is by file, not by layer).
BOTTOM_ORDER = ["domain", "clock", "ids", "errors", "extensions", "crypto", "i18n", "input_checks", "fab_messages",
                "fab_filters"]


def _unit(module: str) -> str:
    """The layer unit of ``app.x.y`` (``x``), or "" for the package itself."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def _modules():
    for path in sorted(APP.rglob("*.py")):
        relative = path.relative_to(APP.parent).with_suffix("")
        parts = list(relative.parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        yield ".".join(parts), path


def _imports(module: str, path: Path):
    """(line, imported module) of every import of ``app`` in ``path``, absolute or relative."""
    is_package = path.name == "__init__.py"
    package = module if is_package else module.rsplit(".", 1)[0]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == "app" or alias.name.startswith("app."):
                    yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target != "app" and not target.startswith("app."):
                if not node.level and target.split(".")[0] in {"flask", "flask_appbuilder", "flask_babel"}:
                    yield node.lineno, target
                continue
            if node.module is None or target == "app":
                # "from . import x" / "from app import x": each name is a module of the package.
                for alias in node.names:
                    yield node.lineno, f"{target}.{alias.name}"
            else:
                yield node.lineno, target


def _violation(source: str, target: str):
    if target.split(".")[0] in {"flask", "flask_appbuilder", "flask_babel"}:
        return "domain imports Flask" if _unit(source) == "domain" else None
    src, dst = _unit(source), _unit(target)
    if src == dst:
        return None
    if src == "domain":
        return "domain imports outside itself"
    if src not in LAYERS or dst not in LAYERS:
        return f"module {src or dst!r} has no layer"
    low, high = LAYERS[src], LAYERS[dst]
    if high < low:
        return None
    if high == low == 0:
        return None if BOTTOM_ORDER.index(dst) < BOTTOM_ORDER.index(src) else "bottom modules import in a cycle"
    return "points sideways" if high == low else "points up"


def test_every_module_has_a_layer():
    units = {_unit(module) for module, _ in _modules()}
    assert units <= set(LAYERS), sorted(units - set(LAYERS))


def test_imports_only_point_down():
    found = []
    for module, path in _modules():
        for line, target in _imports(module, path):
            why = _violation(module, target)
            if why:
                found.append(f"{path.relative_to(APP.parent)}:{line} imports {target} ({why})")
    assert not found, "\n".join(found)


@pytest.mark.parametrize("source, target, expected", [
    ("app.services.complaints", "app.api.base", "points up"),
    ("app.reports.export", "app.web.forms", "points up"),
    ("app.api.calendar", "app.web.calendar", "points sideways"),
    ("app.domain.states", "app.models", "domain imports outside itself"),
    ("app.domain.states", "flask_babel", "domain imports Flask"),
    ("app.web.case", "app.services.complaints", None),
    ("app.reports.monthly", "app.reports.figures", None),
])
def test_the_rule_itself(source, target, expected):
    """The checker refuses what it must (the imports the layers once had) and allows the rest."""
    assert _violation(source, target) == expected
