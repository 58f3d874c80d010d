#!/usr/bin/env python3
"""The quick start, with nothing but Python 3.11 and pip on the machine.

    python3 run.py demo    install, migrate, seed the demo and serve it on http://127.0.0.1:8000
    python3 run.py test    install and run the whole test suite

The environment comes from the committed uv.lock; uv itself is installed with pip if missing.
Everything after the command name is passed on (to runserver or to pytest).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent


def _uv() -> str:
    found = shutil.which("uv")
    if found:
        return found
    print("Installing uv with pip …", flush=True)
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "uv"], check=True)
    found = shutil.which("uv")
    if found:
        return found
    # pip may have put it in the user scripts folder, which is not always on PATH.
    import sysconfig

    for scheme in (sysconfig.get_preferred_scheme("user"), sysconfig.get_default_scheme()):
        candidate = Path(sysconfig.get_path("scripts", scheme)) / "uv"
        if candidate.exists():
            return str(candidate)
    sys.exit("uv was installed but cannot be found on PATH")


def _sync(uv: str) -> None:
    subprocess.run([uv, "sync", "--frozen"], cwd=ROOT, check=True)


def _run(uv: str, *args: str, env: dict[str, str] | None = None) -> int:
    return subprocess.run([uv, "run", "--frozen", *args], cwd=ROOT, env=env).returncode


def demo(extra: list[str]) -> int:
    uv = _uv()
    _sync(uv)
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.local"}
    for step in (["migrate", "--noinput"], ["seed_demo"]):
        code = _run(uv, "python", "manage.py", *step, env=env)
        if code:
            return code
    address = extra[0] if extra else "127.0.0.1:8000"
    print(f"\nDemo: http://{address}/  (Ctrl-C stops it)\n", flush=True)
    return _run(uv, "python", "manage.py", "runserver", address, env=env)


def test(extra: list[str]) -> int:
    uv = _uv()
    _sync(uv)
    return _run(uv, "pytest", *extra)


def main() -> int:
    commands = {"demo": demo, "test": test}
    if len(sys.argv) < 2 or sys.argv[1] not in commands:
        print(__doc__)
        return 2
    return commands[sys.argv[1]](sys.argv[2:])


if __name__ == "__main__":
    sys.exit(main())
