# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Checks of the addon's files that need no Odoo."""
import ast
import csv
import re
import xml.etree.ElementTree as etree
from pathlib import Path

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
    """A file of models/ or wizards/ holds one model, named by its file stem
    (``crm_lead_offer.py``: crm.lead.offer), or one concern of an inherited
    model, named by the model's stem and the concern (``crm_lead_rotation.py``
    inherits crm.lead)."""
    for folder in ("models", "wizards"):
        for path in (ROOT / folder).glob("*.py"):
            if path.name == "__init__.py":
                continue
            tree = ast.parse(path.read_text())
            defined, inherited = set(), set()
            for node in ast.walk(tree):
                if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant):
                    for target in node.targets:
                        if isinstance(target, ast.Name) and target.id == "_name":
                            defined.add(node.value.value)
                        elif isinstance(target, ast.Name) and target.id == "_inherit":
                            inherited.add(node.value.value)
            stems = {name.replace(".", "_") for name in defined | inherited}
            concern_of = {name.replace(".", "_") for name in inherited - defined}
            assert path.stem in stems or any(
                path.stem.startswith(stem + "_") for stem in concern_of), (
                f"{path.name} should define {path.stem.replace('_', '.')} or be named "
                f"<model stem>_<concern> of a model it inherits; it defines {defined | inherited}")
