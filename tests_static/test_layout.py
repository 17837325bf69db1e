# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Checks of the addon's files that need no Odoo."""
import ast
import csv
import re
from pathlib import Path

import xml.etree.ElementTree as etree

ROOT = Path(__file__).resolve().parent.parent
MANIFEST = ast.literal_eval((ROOT / "__manifest__.py").read_text())


def test_manifest():
    assert re.fullmatch(r"18\.0\.\d+\.\d+\.\d+", MANIFEST["version"])
    assert MANIFEST["license"] == "LGPL-3"
    assert {"crm", "mail", "contacts"} <= set(MANIFEST["depends"])
    for key in ("data", "demo"):
        for path in MANIFEST.get(key, []):
            assert (ROOT / path).is_file(), f"{key} file {path} is missing"


def test_every_xml_file_is_declared_and_well_formed():
    declared = set(MANIFEST["data"]) | set(MANIFEST.get("demo", []))
    for path in ROOT.glob("*/*.xml"):
        rel = path.relative_to(ROOT).as_posix()
        if rel.startswith(("static/", "tests")):
            continue
        assert rel in declared, f"{rel} is not in the manifest"
        etree.parse(str(path))


def test_odoo18_view_syntax():
    for path in ROOT.glob("*/*.xml"):
        text = path.read_text()
        assert "<tree" not in text, f"{path.name}: use <list>, not <tree>"
        assert " attrs=" not in text and " states=" not in text, f"{path.name}: attrs/states"


def test_access_csv():
    with open(ROOT / "security/ir.model.access.csv") as fh:
        rows = list(csv.DictReader(fh))
    assert rows
    ids = [r["id"] for r in rows]
    assert len(ids) == len(set(ids))
    for row in rows:
        assert row["model_id:id"].startswith("model_")
        for perm in ("perm_read", "perm_write", "perm_create", "perm_unlink"):
            assert row[perm] in ("0", "1")


def test_python_files_compile():
    for path in ROOT.rglob("*.py"):
        if ".git" in path.parts:
            continue
        compile(path.read_text(), str(path), "exec")


def test_one_model_per_file():
    for folder in ("models", "wizards"):
        for path in (ROOT / folder).glob("*.py"):
            if path.name == "__init__.py":
                continue
            tree = ast.parse(path.read_text())
            names = set()
            for node in ast.walk(tree):
                if isinstance(node, ast.Assign) and any(
                    isinstance(t, ast.Name) and t.id in ("_name", "_inherit") for t in node.targets
                ) and isinstance(node.value, ast.Constant):
                    names.add(node.value.value)
            expected = path.stem.replace("_", ".")
            assert any(n.replace(".", "_") == path.stem for n in names), (
                f"{path.name} should define {expected}, defines {names}")
