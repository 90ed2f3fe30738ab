#!/bin/sh
# Install the unpacked trayapp bundle for this user: the program stays in
# this folder, a menu entry and the icons go to ~/.local/share, and
# ~/.local/bin/trayapp links to the program.
set -eu

newline='
'
tab="$(printf '\t')"
carriage_return="$(printf '\r')"

# Print $1 as one quoted argument of a desktop entry's Exec key. The Desktop
# Entry spec escapes " ` $ \ with a backslash inside quotes and writes a
# literal % as %%. The Exec value is then a string value, so every backslash
# is escaped again and newline, tab and carriage return become \n, \t, \r.
# NOTE: Gio 2.74 (Debian 12) does not load an entry whose program path
# contains "%%", so menus built on Gio, such as GNOME's, may skip the entry
# when this folder's path has a %.
exec_argument() {
    rest="$1"
    quoted=""
    while [ -n "$rest" ]; do
        tail="${rest#?}"
        char="${rest%"$tail"}"
        rest="$tail"
        case "$char" in
        '"' | '`' | '$') quoted="$quoted\\\\$char" ;;
        '\') quoted="$quoted\\\\\\\\" ;;
        '%') quoted="$quoted%%" ;;
        "$newline") quoted="$quoted\\n" ;;
        "$tab") quoted="$quoted\\t" ;;
        "$carriage_return") quoted="$quoted\\r" ;;
        *) quoted="$quoted$char" ;;
        esac
    done
    printf '"%s"' "$quoted"
}

# Print $1 in single quotes, so that a shell reads it back as one word.
shell_quote() {
    printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")"
}

HERE="$(cd "$(dirname "$0")" && pwd)"
DATA="${XDG_DATA_HOME:-$HOME/.local/share}"
mkdir -p "$HOME/.local/bin" "$DATA/applications"
ln -sf "$HERE/trayapp" "$HOME/.local/bin/trayapp"
for size in 16 24 32 48 64 128 256; do
    folder="$DATA/icons/hicolor/${size}x${size}/apps"
    mkdir -p "$folder"
    cp "$HERE/share/icons/trayapp-$size.png" "$folder/trayapp.png"
done

# The shipped entry runs "trayapp" from PATH; this one runs the program in
# this folder, whatever characters the folder's path contains.
program="$(exec_argument "$HERE/trayapp")"
while IFS= read -r line || [ -n "$line" ]; do
    case "$line" in
    Exec=trayapp | "Exec=trayapp "*) printf 'Exec=%s%s\n' "$program" "${line#Exec=trayapp}" ;;
    *) printf '%s\n' "$line" ;;
    esac
done <"$HERE/share/applications/trayapp.desktop" >"$DATA/applications/trayapp.desktop"

echo "trayapp installato: cercalo nel menu delle applicazioni."
echo "Avvio all'accesso: $(shell_quote "$HERE/trayapp") autostart on"
