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
