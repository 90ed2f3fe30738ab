# Shared by scripts/run and scripts/test: install what a fresh Debian or
# Ubuntu machine lacks, then the Python environment in .venv.
# Source it; it defines functions only.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"

# Everything the tray needs at run time, plus what PyGObject 3.50 needs to
# build (PyGObject newer than 3.50 needs girepository-2.0, which Debian 12
# does not ship), plus the X and NSS libraries that QtWebEngine, behind the
# rubrica window, loads.
RUN_PACKAGES=(
    python3 python3-venv python3-dev gcc pkg-config
    libgirepository1.0-dev libcairo2-dev gir1.2-gtk-3.0
    gir1.2-ayatanaappindicator3-0.1 xdg-utils gnome-keyring dbus
    libnss3 libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxkbcommon-x11-0
    libxcb-xinerama0 libxcb-randr0 libxcb-render-util0 libxcb-shape0
    libxcb-image0 libegl1 libgl1 libfontconfig1 libdbus-1-3 libxcomposite1
    libxdamage1 libxrandr2 libxtst6 libxkbfile1 libasound2
)
# The real desktop parts the tests drive, and binutils, whose objdump
# PyInstaller runs when the tests build the Linux bundle.
TEST_PACKAGES=(
    xvfb xauth xdotool trayer dbus-x11 x11-utils chromium fonts-dejavu-core
    notification-daemon xclip binutils
)

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

missing_packages() {
    local package
    for package in "$@"; do
        if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "ok installed"; then
            printf '%s\n' "$package"
        fi
    done
}

install_packages() {
    local missing
    mapfile -t missing < <(missing_packages "$@")
    if [ "${#missing[@]}" -eq 0 ]; then
        return 0
    fi
    echo "Installing Debian packages: ${missing[*]}"
    as_root apt-get update -q
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
        --no-install-recommends "${missing[@]}"
}

has_chromium_family_browser() {
    local name
    for name in chromium chromium-browser google-chrome google-chrome-stable \
        microsoft-edge microsoft-edge-stable brave-browser vivaldi-stable; do
        command -v "$name" >/dev/null 2>&1 && return 0
    done
    return 1
}

install_browser_if_missing() {
    if has_chromium_family_browser; then
        return 0
    fi
    if apt-cache policy chromium 2>/dev/null | grep -q 'Candidate: [0-9]'; then
        install_packages chromium
    else
        install_packages chromium-browser
    fi
}

make_venv() {
    local extras="$1"
    if [ ! -x "$VENV/bin/python" ]; then
        python3 -m venv "$VENV"
    fi
    "$VENV/bin/python" -m pip install -q --upgrade pip
    "$VENV/bin/python" -m pip install -q -e "$ROOT[$extras]"
}
