"""The rubrica window: a pywebview window in a child process of the tray."""
