"""Shared by the bench/*.py scripts: the machine a figure was measured on, and the table
written to reports/out/."""

from __future__ import annotations

import os
import platform
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def machine() -> str:
    cpu = "?"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{platform.node()}: {os.cpu_count()} cores, {cpu}, {platform.platform()}"


def write_report(name: str, text: str) -> None:
    """Writes reports/out/NAME and prints it."""
    out = REPO / "reports" / "out" / name
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text)
    print()
    print(text, end="")
    print(f"written to {out}")
