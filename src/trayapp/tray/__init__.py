"""The tray icon and its menu of clients."""

from trayapp.tray.icon import TrayApp, TrayUnavailableError
from trayapp.tray.menu import MenuEntry, build_menu, menu_text

__all__ = ["MenuEntry", "TrayApp", "TrayUnavailableError", "build_menu", "menu_text"]
