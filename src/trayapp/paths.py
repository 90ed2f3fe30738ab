"""Where trayapp keeps its index, configuration and logs."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import platformdirs

APP_NAME = "trayapp"
INDEX_FILE_NAME = "clients.json"


@dataclass(frozen=True)
class AppPaths:
    data_dir: Path
    config_dir: Path
    log_dir: Path

    @property
    def index_file(self) -> Path:
        return self.data_dir / INDEX_FILE_NAME

    @property
    def log_file(self) -> Path:
        return self.log_dir / "trayapp.log"

    def as_dict(self) -> dict[str, str]:
        return {
            "index": str(self.index_file),
            "data": str(self.data_dir),
            "config": str(self.config_dir),
            "logs": str(self.log_dir),
        }


def resolve_paths(environ: Mapping[str, str] = os.environ) -> AppPaths:
    """Return the platform's folders, or those under TRAYAPP_HOME when it is set.

    With TRAYAPP_HOME=DIR everything lives in DIR/data, DIR/config and
    DIR/logs, which suits tests and portable installs on a USB stick.
    """
    home = environ.get("TRAYAPP_HOME")
    if home:
        root = Path(home).expanduser().resolve()
        return AppPaths(root / "data", root / "config", root / "logs")
    return AppPaths(
        Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)),
        Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)),
        Path(platformdirs.user_log_dir(APP_NAME, appauthor=False)),
    )
