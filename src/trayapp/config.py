"""User settings from config.json in the configuration folder."""

from __future__ import annotations

import json
from dataclasses import dataclass, fields
from pathlib import Path

from trayapp.domain.expiry import ExpiryRules
from trayapp.os_errors import italian_reason

CONFIG_FILE = "config.json"

# The portal blocks a Fisconline user after 8 wrong attempts; trayapp stops
# well before, so the user can check the data while attempts are left.
PORTAL_ATTEMPT_LIMIT = 8


class ConfigError(ValueError):
    """config.json cannot be used; the message names the file and the key."""


@dataclass(frozen=True)
class Settings:
    password_validity_days: int = 90
    password_warning_days: int = 15
    max_login_failures: int = 3
    clipboard_clear_seconds: int = 30
    index_backups: int = 10
    """How many past versions of the client index to keep; 0 keeps none."""

    @property
    def expiry_rules(self) -> ExpiryRules:
        return ExpiryRules(self.password_validity_days, self.password_warning_days)


def load_settings(config_dir: Path) -> Settings:
    """Read config.json; a missing file gives the defaults."""
    path = config_dir / CONFIG_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return Settings()
    except json.JSONDecodeError as error:
        raise ConfigError(
            f"{path}: non è JSON valido (riga {error.lineno}, colonna {error.colno})"
        ) from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: non è un file di testo UTF-8") from None
    except OSError as error:
        raise ConfigError(
            f"{path}: lettura non riuscita ({italian_reason(error)})"
        ) from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: serve un oggetto JSON con le impostazioni")
    known = {field.name for field in fields(Settings)}
    for key, value in data.items():
        if key not in known:
            raise ConfigError(f"{path}: impostazione sconosciuta «{key}»")
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise ConfigError(f"{path}: «{key}» deve essere un numero intero, 0 o più")
    settings = Settings(**data)
    if not 1 <= settings.max_login_failures < PORTAL_ATTEMPT_LIMIT:
        raise ConfigError(
            f"{path}: «max_login_failures» deve essere tra 1 e "
            f"{PORTAL_ATTEMPT_LIMIT - 1}, sotto il blocco del portale dopo "
            f"{PORTAL_ATTEMPT_LIMIT} tentativi"
        )
    try:
        ExpiryRules(settings.password_validity_days, settings.password_warning_days)
    except ValueError:
        raise ConfigError(
            f"{path}: «password_warning_days» deve essere minore di "
            "«password_validity_days»"
        ) from None
    return settings
