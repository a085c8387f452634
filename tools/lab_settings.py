"""JupyterLab settings for this project's environment (run by `make install`).

Registers the ``slr`` kernel (this environment's Python) and makes JupyterLab open ``.py`` files
as notebooks (jupytext's viewer) and fetch no news, in the environment's own settings folder
(``<venv>/share/jupyter/lab/settings/overrides.json``), never in the user's home.
Usage: ``python tools/lab_settings.py``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

SETTINGS = {
    # .py files open as notebooks
    "@jupyterlab/docmanager-extension:plugin": {"defaultViewers": {"python": "Jupytext Notebook"}},
    # no news fetched from the internet (and no pop-up asking for it)
    "@jupyterlab/apputils-extension:notification": {"fetchNews": "false"},
}


def main() -> int:
    subprocess.run(
        [sys.executable, "-m", "ipykernel", "install", "--sys-prefix", "--name", "slr",
         "--display-name", "slr"],
        check=True,
        capture_output=True,
    )  # fmt: skip
    path = Path(sys.prefix) / "share" / "jupyter" / "lab" / "settings" / "overrides.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    settings = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    for plugin, values in SETTINGS.items():
        for key, value in values.items():
            old = settings.setdefault(plugin, {}).get(key)
            settings[plugin][key] = {**old, **value} if isinstance(old, dict) else value
    path.write_text(json.dumps(settings, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
