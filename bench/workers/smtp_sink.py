"""Postfix's `smtp-sink` as the SMTP server of a benchmark: a real SMTP server (a C program from
the `postfix` package) that accepts every message and keeps only counters, so the receiving end
costs little of the machine the workers share. `apt-get install postfix` (choose "No
configuration") provides /usr/sbin/smtp-sink.

    with smtp_sink() as sink:
        app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=sink.port, MAIL_USE_TLS=False)
        ...
        sink.messages(), sink.cpu_seconds()
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

BINARY = "smtp-sink"
_COUNTER = re.compile(rb"mesg=(\d+)")


class Sink:
    def __init__(self, process: subprocess.Popen, port: int, output: Path) -> None:
        self.process, self.port, self._output = process, port, output

    def messages(self) -> int:
        """Messages received so far (smtp-sink's running counter, written after every '.')."""
        found = _COUNTER.findall(self._output.read_bytes())
        return int(found[-1]) if found else 0

    def cpu_seconds(self) -> float:
        """User + system CPU of the sink process, from /proc."""
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def available() -> bool:
    return shutil.which(BINARY) is not None or Path("/usr/sbin/smtp-sink").exists()


@contextmanager
def smtp_sink():
    if not available():
        raise SystemExit("smtp-sink is missing: apt-get install postfix (No configuration)")
    binary = shutil.which(BINARY) or "/usr/sbin/smtp-sink"
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with tempfile.TemporaryDirectory() as folder:
        output = Path(folder) / "counters"
        with output.open("wb") as sink_out:
            user = ["-u", "nobody"] if os.geteuid() == 0 else []
            process = subprocess.Popen(
                [binary, "-c", *user, f"127.0.0.1:{port}", "1024"],
                stdout=sink_out,
                stderr=subprocess.STDOUT,
            )
        try:
            _wait_until_listening(port, process)
            yield Sink(process, port, output)
        finally:
            process.terminate()
            process.wait(10)


def _wait_until_listening(port: int, process: subprocess.Popen) -> None:
    for _ in range(200):
        if process.poll() is not None:
            raise RuntimeError(f"smtp-sink exited with {process.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("smtp-sink did not start listening")
