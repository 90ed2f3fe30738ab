#!/bin/sh
# Install the unpacked trayapp bundle for this user: the program stays in
# this folder, a menu entry and the icons go to ~/.local/share, and
# ~/.local/bin/trayapp links to the program.
set -eu
HERE="$(cd "$(dirname "$0")" && pwd)"
DATA="${XDG_DATA_HOME:-$HOME/.local/share}"
mkdir -p "$HOME/.local/bin" "$DATA/applications"
ln -sf "$HERE/trayapp" "$HOME/.local/bin/trayapp"
for size in 16 24 32 48 64 128 256; do
    folder="$DATA/icons/hicolor/${size}x${size}/apps"
    mkdir -p "$folder"
    cp "$HERE/share/icons/trayapp-$size.png" "$folder/trayapp.png"
done
sed "s|^Exec=trayapp|Exec=\"$HERE/trayapp\"|" \
    "$HERE/share/applications/trayapp.desktop" > "$DATA/applications/trayapp.desktop"
echo "trayapp installato: cercalo nel menu delle applicazioni."
echo "Avvio all'accesso: $HERE/trayapp autostart on"
