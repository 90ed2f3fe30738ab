"""Logging in to the Agenzia delle Entrate portal in a real, driven browser.

Importing this package does not import Playwright: only the engine's worker
thread does, when the first login starts.
"""

from trayapp.login.outcome import LoginOutcome, LoginResult
from trayapp.login.profile import LoginProfile, ProfileError, load_profile

__all__ = [
    "LoginOutcome",
    "LoginProfile",
    "LoginResult",
    "ProfileError",
    "load_profile",
]
