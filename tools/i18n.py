#!/usr/bin/env python3
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Keep i18n/ current: export the .pot from a database with the addon installed,
then merge it into every .po (existing translations are kept, new terms are
listed as untranslated).

    python3 tools/i18n.py --database crm_relationship_demo
"""
import argparse
import io
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ADDON = "crm_relationship_manager"
LANGS = ("de", "it", "ru")


def export_pot(args):
    import odoo
    from odoo.tools.translate import trans_export

    sys.path.insert(0, str(ROOT / "tools"))
    import odoo_env

    odoo.tools.config.parse_config([
        f"--db_host={args.db_host}", f"--db_port={args.db_port}", f"--db_user={args.db_user}",
        f"--addons-path={odoo_env.addons_path()}", "-d", args.database, "--log-level=warn",
    ])
    registry = odoo.modules.registry.Registry(args.database)
    with registry.cursor() as cr:
        buf = io.BytesIO()
        trans_export(False, [ADDON], buf, "po", cr)
    return buf.getvalue()


def main():
    import polib

    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--database", required=True)
    p.add_argument("--db-host", default="127.0.0.1")
    p.add_argument("--db-port", default="5432")
    p.add_argument("--db-user", default="odoo")
    args = p.parse_args()
    pot_path = ROOT / "i18n" / f"{ADDON}.pot"
    pot_path.parent.mkdir(exist_ok=True)
    pot_path.write_bytes(export_pot(args))
    pot = polib.pofile(str(pot_path))
    for lang in LANGS:
        po_path = ROOT / "i18n" / f"{lang}.po"
        po = polib.pofile(str(po_path)) if po_path.exists() else polib.POFile()
        if not po_path.exists():
            po.metadata = dict(pot.metadata, Language=lang)
        po.merge(pot)
        po.metadata["Language"] = lang
        po.save(str(po_path))
        missing = len(po.untranslated_entries()) + len(po.fuzzy_entries())
        print(f"{po_path.relative_to(ROOT)}: {len(po)} terms, {missing} to translate")


if __name__ == "__main__":
    main()
