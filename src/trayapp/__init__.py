"""trayapp: the client list, Agenzia delle Entrate logins and email of a studio."""

__version__ = "0.1.0"
