"""The layout's rules, checked without Blender: registries agree, no import cycles, bpy stays in blender_scenes."""

from __future__ import annotations

import ast
import graphlib
import subprocess
import sys
from pathlib import Path

import pytest

from blender_scenes.hands.attacks.registry import INSTRUMENTS
from blender_scenes.registry import BUILDERS
from synthgen.scenes.hands.attacks.registry import ATTACK_TYPES
from synthgen.scenes.registry import scene_kinds

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ("synthgen", "blender_scenes", "flows")


def test_both_scene_registries_hold_the_same_kinds() -> None:
    assert list(BUILDERS) == list(scene_kinds())


def test_both_attack_registries_hold_the_same_types() -> None:
    assert list(INSTRUMENTS) == list(ATTACK_TYPES)


def test_builder_import_strings_name_existing_classes() -> None:
    """Read from the source (importing a builder imports bpy): each ``module:Class`` exists."""
    for path in (*BUILDERS.values(), *INSTRUMENTS.values()):
        module, _, name = path.partition(":")
        source = REPO / (module.replace(".", "/") + ".py")
        classes = {node.name for node in ast.walk(ast.parse(source.read_text())) if isinstance(node, ast.ClassDef)}
        assert name in classes, path


def _module_name(path: Path) -> str:
    parts = path.relative_to(REPO).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(tree: ast.Module, module: str, is_package: bool, known: set[str]) -> set[str]:
    """Modules of ours that ``module`` imports anywhere (functions included), except under ``TYPE_CHECKING``."""
    found: set[str] = set()
    type_only = {
        id(node)
        for stmt in ast.walk(tree)
        if isinstance(stmt, ast.If) and getattr(stmt.test, "id", getattr(stmt.test, "attr", None)) == "TYPE_CHECKING"
        for node in ast.walk(stmt)
    }
    for node in ast.walk(tree):
        if id(node) in type_only:
            continue
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                package = module if is_package else module.rpartition(".")[0]
                for _ in range(node.level - 1):
                    package = package.rpartition(".")[0]
                base = f"{package}.{base}".strip(".")
            names = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base for alias in node.names]
        else:
            continue
        found.update(name for name in names if name in known and name != module)
    return found


def _import_graph() -> dict[str, set[str]]:
    files = {_module_name(p): p for package in PACKAGES for p in (REPO / package).rglob("*.py")}
    known = set(files)
    return {
        name: _imports(ast.parse(path.read_text()), name, path.name == "__init__.py", known)
        for name, path in files.items()
    }


def test_no_import_cycles() -> None:
    try:
        graphlib.TopologicalSorter(_import_graph()).prepare()
    except graphlib.CycleError as exc:
        pytest.fail(f"import cycle: {' -> '.join(exc.args[1])}")


def test_only_blender_scenes_imports_bpy() -> None:
    for package in ("synthgen", "flows"):
        for path in (REPO / package).rglob("*.py"):
            tree = ast.parse(path.read_text())
            for node in ast.walk(tree):
                names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
                if isinstance(node, ast.ImportFrom):
                    names = [node.module or ""]
                assert not any(n.split(".")[0] in ("bpy", "mathutils", "bpy_extras") for n in names), path


def test_the_renderer_never_imports_a_sampler() -> None:
    graph = _import_graph()
    for module, imported in graph.items():
        if module.startswith("blender_scenes"):
            samplers = sorted(
                m for m in imported if m.endswith((".sampler", ".plan")) or m.startswith("synthgen.pipeline")
            )
            assert not samplers, f"{module} imports {samplers}"


def test_top_level_stays_small() -> None:
    modules = sorted(p.name for p in (REPO / "synthgen").glob("*.py"))
    assert len(modules) <= 8, modules


def test_reading_a_dataset_does_not_import_torch() -> None:
    """A config or a dataset loads without albumentations and torch (seconds of import) unless it augments."""
    probe = (
        "import sys, synthgen.data, synthgen.config, synthgen.dataset.folder\n"
        "heavy = sorted(m for m in ('torch', 'albumentations') if m in sys.modules)\n"
        "assert not heavy, heavy\n"
    )
    subprocess.run([sys.executable, "-c", probe], check=True, cwd=REPO)
