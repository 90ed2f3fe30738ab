#!/usr/bin/env bash
# Build the one-folder bundle on Linux or macOS, then its archive:
#   Linux: dist/trayapp-VERSION-linux-ARCH.tar.gz (the bundle, a .desktop
#          entry and the icons, with install.sh to put them in ~/.local)
#   macOS: dist/trayapp.app and, where hdiutil exists, dist/trayapp-VERSION.dmg
# Run from anywhere; uses .venv when it exists, else python3 on PATH.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PYTHON="${PYTHON:-$ROOT/.venv/bin/python}"
[ -x "$PYTHON" ] || PYTHON=python3

extras=test
[ "$(uname)" = Linux ] && extras=linux,test
"$PYTHON" -m pip install -q -e ".[$extras]"
"$PYTHON" -m PyInstaller --noconfirm --distpath dist --workpath build packaging/trayapp.spec
VERSION="$("$PYTHON" -c 'import trayapp; print(trayapp.__version__)')"

case "$(uname)" in
Linux)
    share="dist/trayapp/share"
    mkdir -p "$share/applications" "$share/icons"
    cp packaging/linux/trayapp.desktop "$share/applications/"
    cp assets/icons/trayapp-*.png "$share/icons/"
    cp packaging/linux/install.sh dist/trayapp/
    archive="dist/trayapp-$VERSION-linux-$(uname -m).tar.gz"
    tar -C dist -czf "$archive" trayapp
    echo "Built $archive"
    ;;
Darwin)
    if command -v hdiutil >/dev/null; then
        hdiutil create -volname trayapp -srcfolder dist/trayapp.app -ov \
            -format UDZO "dist/trayapp-$VERSION.dmg"
        echo "Built dist/trayapp-$VERSION.dmg"
    else
        echo "Built dist/trayapp.app"
    fi
    ;;
esac
