"""Entry point of the PyInstaller bundle."""

import multiprocessing
import sys

if __name__ == "__main__":
    # A child started with "spawn" (the rubrica window, the embedded login)
    # runs this same executable. freeze_support runs the child's code and
    # exits, so the child never reaches the command line or starts a tray.
    multiprocessing.freeze_support()
    from trayapp.cli import main

    sys.exit(main())
