"""Every user-facing string has a Simplified Chinese translation."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_every_string_is_translated_to_chinese():
    result = subprocess.run(
        [sys.executable, "-m", "scripts.i18n", "--check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, "untranslated strings:\n" + result.stdout[-4000:]


# Same msgid, different Chinese, in two areas still to be reconciled by their owners
# (content/core and content/workers): reported, not ours to edit.
KNOWN_CONFLICTS: set[str] = set()


def test_a_msgid_means_the_same_in_every_area():
    """The areas' catalogs are merged at run time and the last area wins, so one msgid with two
    translations shows the wrong one somewhere (the homework "Comment" 评语 on every topic's
    comment button, the planet's 星球头像 on the account's avatar)."""
    from babel.messages.pofile import read_po

    seen: dict[str, tuple[str, str]] = {}
    conflicts = []
    for po in sorted((ROOT / "translations").glob("*/zh/LC_MESSAGES/messages.po")):
        area = po.relative_to(ROOT / "translations").parts[0]
        with po.open("rb") as handle:
            catalog = read_po(handle)
        for message in catalog:
            msgid = message.id if isinstance(message.id, str) else message.id[0]
            if not msgid or message.context or msgid in KNOWN_CONFLICTS:
                continue
            text = message.string if isinstance(message.string, str) else "|".join(message.string)
            if msgid in seen and seen[msgid][1] != text:
                conflicts.append(f"{msgid!r}: {seen[msgid]} vs {(area, text)}")
            seen.setdefault(msgid, (area, text))
    assert conflicts == []
