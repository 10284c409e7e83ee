#!/bin/sh
# Install Goroscope's Linux desktop integration for the current user (XDG base directories):
# the launcher, the Go-trace MIME type and the icons, so that a double-click on a trace opens
# Goroscope.  `make install-desktop` / `make uninstall-desktop` run this.
#
#   packaging/install-desktop.sh [--uninstall]
#
# Environment: XDG_DATA_HOME (default ~/.local/share); GOROSCOPE_EXEC, the program the launcher
# runs (default `goroscope`, found on PATH, e.g. ~/.local/bin/goroscope -> the bundle).
# POSIX sh and coreutils only: the frozen app needs no Python, neither does its installer.
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
res="$root/resources"
data="${XDG_DATA_HOME:-$HOME/.local/share}"
sizes="16 22 24 32 48 64 128 256 512"

refresh() {
    # Rebuild the per-user caches when the tools exist (shared-mime-info, desktop-file-utils,
    # GTK); desktops without them read the files directly.
    if command -v update-mime-database >/dev/null 2>&1; then
        update-mime-database "$data/mime"
    fi
    if command -v update-desktop-database >/dev/null 2>&1; then
        update-desktop-database -q "$data/applications"
    fi
    if command -v gtk-update-icon-cache >/dev/null 2>&1 && [ -f "$data/icons/hicolor/index.theme" ]; then
        gtk-update-icon-cache -q -t -f "$data/icons/hicolor" || true
    fi
    touch "$data/icons/hicolor" 2>/dev/null || true
}

if [ "${1:-}" = "--uninstall" ]; then
    rm -f "$data/applications/goroscope.desktop" "$data/mime/packages/goroscope.xml" \
        "$data/icons/hicolor/scalable/apps/goroscope.svg"
    for n in $sizes; do
        rm -f "$data/icons/hicolor/${n}x${n}/apps/goroscope.png"
    done
    mkdir -p "$data/mime/packages" "$data/applications" "$data/icons/hicolor"
    refresh
    echo "removed Goroscope's desktop integration from $data"
    exit 0
fi

exec_cmd="${GOROSCOPE_EXEC:-goroscope}"
case "$exec_cmd" in
    *[\"\`\$\\]*) echo "GOROSCOPE_EXEC must not contain \" \` \$ or \\: $exec_cmd" >&2; exit 2 ;;
esac

install -d "$data/applications" "$data/mime/packages" "$data/icons/hicolor/scalable/apps"
# Exec: a path with spaces is quoted (Desktop Entry spec) so that it stays one argument.
case "$exec_cmd" in
    *" "*) exec_arg="\"$exec_cmd\"" ;;
    *) exec_arg=$exec_cmd ;;
esac
sed "s|^Exec=goroscope |Exec=$exec_arg |" "$res/goroscope.desktop" \
    > "$data/applications/goroscope.desktop"
chmod 644 "$data/applications/goroscope.desktop"
install -m 644 "$res/goroscope.xml" "$data/mime/packages/goroscope.xml"
install -m 644 "$res/icons/hicolor/scalable/apps/goroscope.svg" "$data/icons/hicolor/scalable/apps/"
for n in $sizes; do
    install -d "$data/icons/hicolor/${n}x${n}/apps"
    install -m 644 "$res/icons/hicolor/${n}x${n}/apps/goroscope.png" "$data/icons/hicolor/${n}x${n}/apps/"
done
refresh
echo "installed Goroscope's launcher, MIME type application/x-go-trace and icons into $data"
if [ "$exec_cmd" = goroscope ] && ! command -v goroscope >/dev/null 2>&1; then
    echo "note: no \`goroscope\` on PATH yet; the launcher runs it (see README, Packaging)" >&2
fi
