"""Extract translatable strings per area and update that area's Chinese catalog.

    python -m scripts.i18n            # update every area's translations/<area>/zh/.../messages.po
    python -m scripts.i18n --check    # exit 1 if any string lacks a Chinese translation
    python -m scripts.i18n --fill zh.json AREA   # set translations from {msgid: msgstr}

Each area keeps its own catalog (merged at run time by planet.i18n), so work on one area never
edits another area's file. Translate by filling in the msgstr lines of the area's .po.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
AREAS: dict[str, list[str]] = {
    "core": ["planet/__init__.py", "planet/policy", "planet/web", "planet/text.py",
             "planet/i18n.py", "planet/images.py", "templates/base", "templates/errors",
             "templates/base.html"],
    "accounts": ["planet/accounts", "templates/accounts"],
    "planets": ["planet/planets", "planet/members", "planet/messages", "planet/discovery",
                "planet/demo.py", "templates/planets", "templates/members", "templates/messages",
                "templates/discovery", "planet/exports", "templates/exports"],
    "content": ["planet/content", "templates/content", "planet/moderation", "templates/moderation"],
    "engagement": ["planet/engagement", "templates/engagement"],
    "payments": ["payments", "templates/payments"],
    "workers": ["workers", "planet/notifications", "templates/notifications", "templates/email"],
}  # fmt: skip
PYBABEL = str(Path(sys.executable).with_name("pybabel"))
MAPPING = """[python: **.py]
[jinja2: **.html]
[jinja2: **.txt]
"""


def catalog_path(area: str) -> Path:
    return ROOT / "translations" / area / "zh" / "LC_MESSAGES" / "messages.po"


def extract(area: str, pot: Path) -> bool:
    paths = [p for p in AREAS[area] if (ROOT / p).exists()]
    if not paths:
        return False
    with tempfile.NamedTemporaryFile("w", suffix=".cfg", delete=False) as cfg:
        cfg.write(MAPPING)
    subprocess.run(
        [PYBABEL, "extract", "-F", cfg.name,
         "-k", "_l", "--no-location", "--omit-header", "-o", str(pot), *paths],
        check=True, cwd=ROOT, capture_output=True,
    )  # fmt: skip
    return True


def update(area: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        pot = Path(tmp) / "messages.pot"
        if not extract(area, pot):
            return
        po = catalog_path(area)
        command = "update" if po.exists() else "init"
        po.parent.mkdir(parents=True, exist_ok=True)
        args = [PYBABEL, command, "-i", str(pot),
                "-l", "zh", "--no-wrap"]  # fmt: skip
        args += ["-o", str(po)]
        if command == "update":
            args.append("--ignore-obsolete")
        subprocess.run(args, check=True, cwd=ROOT, capture_output=True)


def untranslated(area: str) -> list[str]:
    po = catalog_path(area)
    with tempfile.TemporaryDirectory() as tmp:
        pot = Path(tmp) / "messages.pot"
        if not extract(area, pot):
            return []
        with pot.open("rb") as handle:
            wanted = {m.id for m in read_po(handle) if m.id}
    done: set = set()
    if po.exists():
        with po.open("rb") as handle:
            done = {m.id for m in read_po(handle) if m.id and m.string and not m.fuzzy}
    return sorted(str(i) for i in wanted - done)


def fill(area: str, translations_file: str) -> int:
    """Set msgstr from a JSON object {msgid: translation}; returns how many were set."""
    import json

    from babel.messages.pofile import write_po

    mapping = json.loads(Path(translations_file).read_text(encoding="utf-8"))
    po = catalog_path(area)
    with po.open("rb") as handle:
        catalog = read_po(handle)
    count = 0
    for message in catalog:
        if message.id and message.id in mapping:
            message.string = mapping[message.id]
            message.flags.discard("fuzzy")
            count += 1
    with po.open("wb") as handle:
        write_po(handle, catalog, width=0, omit_header=False)
    return count


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--check", action="store_true")
    parser.add_argument("--fill", metavar="JSON", help="translations to set, for one area")
    parser.add_argument("areas", nargs="*", default=list(AREAS))
    args = parser.parse_args()
    if args.fill:
        (area,) = args.areas
        print(f"{area}: {fill(area, args.fill)} translations set")
        return 0
    missing_total = 0
    for area in args.areas:
        if not args.check:
            update(area)
        missing = untranslated(area)
        missing_total += len(missing)
        for msgid in missing:
            print(f"{area}: untranslated: {msgid!r}")
    return 1 if args.check and missing_total else 0


if __name__ == "__main__":
    sys.exit(main())
