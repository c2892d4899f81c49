"""The package layout: imports run one way (commands -> experiments/report -> interpret/scan/
training -> predict/models -> data/io/motifs -> sequence), the moved modules keep their old
import paths, and ``import motifnet.scan`` stays cheap."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "motifnet"

LAYERS = {
    0: ["sequence", "errors", "atomic", "ranges", "allocator"],
    1: ["data", "io", "motifs", "jaspar", "simulate", "negatives", "jsonio", "devices", "metrics", "peak_bins", "peak_store",
        "rna_structure"],
    2: ["predict", "models", "arithmetic", "strands", "runs"],
    3: ["interpret", "scan", "training"],
    4: ["experiments", "report", "precompile"],
    5: ["commands", "cli", "__main__"],
}
"""Top-level modules and packages of motifnet by layer: a module may import its own layer's
neighbours and anything below, except that the three rooms of layer 3 do not import each other."""

LAYER_OF = {name: level for level, names in LAYERS.items() for name in names}


def _room(module: str) -> str | None:
    """``motifnet.scan.fast`` -> ``scan``; ``motifnet`` itself -> None."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "motifnet" else None


def _imports(path: Path) -> list[tuple[str, int]]:
    """(imported motifnet module, line) for every import in the file, at any depth."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("motifnet"):
            if node.module == "motifnet":
                found += [(f"motifnet.{alias.name}", node.lineno) for alias in node.names]
            else:
                found.append((node.module, node.lineno))
        elif isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names if alias.name.startswith("motifnet")]
    return found


def test_every_module_has_a_layer():
    rooms = {path.stem if path.is_file() else path.name for path in PACKAGE.iterdir()
             if (path.suffix == ".py" and path.stem != "__init__") or (path / "__init__.py").exists()}
    assert rooms - set(LAYER_OF) == set(), "add the new module to LAYERS (here and in DESIGN.md's order)"


def test_no_module_imports_from_a_layer_above_or_a_sibling_room():
    wrong = []
    for path in sorted(PACKAGE.rglob("*.py")):
        own = _room(".".join(("motifnet", *path.relative_to(PACKAGE).with_suffix("").parts)))
        if own is None or own == "__init__":
            continue
        for module, line in _imports(path):
            room = _room(module)
            if room is None or room == own or room in ("__version__", "MotifnetError"):
                continue
            if LAYER_OF[room] > LAYER_OF[own] or (LAYER_OF[room] == LAYER_OF[own] == 3):
                wrong.append(f"{path.relative_to(PACKAGE)}:{line} imports {module}")
    assert wrong == []


def test_moved_modules_keep_their_old_import_paths():
    from motifnet import devices, predict
    from motifnet.training import devices as training_devices
    from motifnet.training import predict as training_predict_function
    from motifnet.training.losses import activate
    from motifnet.training.predict import predict_logits

    assert training_predict_function is predict.predict and predict_logits is predict.predict_logits
    assert activate is predict.activate and training_devices.resolve_device is devices.resolve_device
    import motifnet.scan as scan

    for name in scan.__all__:
        assert getattr(scan, name) is not None, name
    with pytest.raises(AttributeError):
        scan.no_such_name  # noqa: B018


def test_importing_motifnet_scan_loads_neither_torch_nor_numba():
    code = "import sys, motifnet, motifnet.scan; print(sorted({'torch', 'numba'} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
