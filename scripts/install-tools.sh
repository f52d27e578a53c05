#!/usr/bin/env bash
# Install the pinned open FPGA toolchain used by neurice (Debian bookworm), the peers the
# report measures (flac, wavpack), the browser its page is checked in (chromium), and the
# Python tools of the IP checks (fusesoc, cocotb: scripts/python-tools.txt, in a virtual
# environment in /opt/neurice/py or $NEURICE_PYENV, linked into /usr/local/bin).
#
#   sudo scripts/install-tools.sh          # install what is missing, then print versions
#   scripts/install-tools.sh --check       # only check; exit 1 if anything is missing/wrong
#
# Idempotent: when every pinned package is already installed at the pinned version
# (checked with dpkg-query) and g++/make are present, nothing is downloaded and the
# script finishes in well under a second. Otherwise it runs `apt-get update` once and
# `apt-get install -y` the exact pinned versions (root required).
#
# g++ and make are not pinned: Verilator needs them to build its models but does not
# depend on them in Debian.
set -euo pipefail

PINS=(
    "yosys=0.23-6"
    "nextpnr-ice40=0.4-1+b1"
    "fpga-icestorm=0~20230218gitd20a5e9-1~deb12u1"
    "verilator=5.006-3"
    "flac=1.4.2+ds-2"
    "wavpack=5.6.0-1"
)
# Unpinned helpers: package name and the command that proves it is there.
# chromium is not pinned: Debian replaces its version with every security update.
HELPERS=("g++:g++" "make:make" "chromium:chromium")
TOOLS=(yosys nextpnr-ice40 icepack icepll icetime verilator flac wavpack chromium fusesoc cocotb-config)

check_only=0
case "${1:-}" in
    --check) check_only=1 ;;
    "") ;;
    -h | --help)
        sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'
        exit 0
        ;;
    *)
        echo "install-tools.sh: unknown argument '$1' (use --check or no argument)" >&2
        exit 2
        ;;
esac

die() {
    echo "install-tools.sh: ERROR: $*" >&2
    exit 1
}

command -v dpkg-query >/dev/null 2>&1 ||
    die "dpkg-query not found: this script supports Debian bookworm only. Install yosys 0.23, nextpnr-ice40 0.4, icestorm and Verilator 5.006 by other means (see /work/shared/docs/toolchain-notes.md)."

installed_version() {
    # Prints the installed version of package $1, or nothing if it is not installed.
    local status
    status=$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null || true)
    if [ "$status" = "installed" ]; then
        dpkg-query -W -f='${Version}' "$1" 2>/dev/null || true
    fi
}

# Collect what needs installing.
to_install=()
for pin in "${PINS[@]}"; do
    pkg=${pin%%=*}
    want=${pin#*=}
    have=$(installed_version "$pkg")
    if [ "$have" != "$want" ]; then
        echo "install-tools.sh: $pkg: installed '${have:-none}', pinned '$want'"
        to_install+=("$pin")
    fi
done
for helper in "${HELPERS[@]}"; do
    pkg=${helper%%:*}
    cmd=${helper#*:}
    if ! command -v "$cmd" >/dev/null 2>&1; then
        echo "install-tools.sh: $cmd not found (package $pkg)"
        to_install+=("$pkg")
    fi
done

if [ "${#to_install[@]}" -gt 0 ]; then
    if [ "$check_only" -eq 1 ]; then
        die "missing or wrong versions: ${to_install[*]}. Run: sudo $0"
    fi
    if [ "$(id -u)" -ne 0 ]; then
        die "must run as root to install ${to_install[*]}. Run: sudo $0"
    fi
    export DEBIAN_FRONTEND=noninteractive
    echo "install-tools.sh: apt-get update"
    apt-get update || die "apt-get update failed (network or apt sources?)"
    echo "install-tools.sh: apt-get install -y ${to_install[*]}"
    apt-get install -y --allow-downgrades "${to_install[@]}" ||
        die "apt-get install failed for: ${to_install[*]} (are these versions in your apt sources? they are Debian bookworm's)"
    # Verify the pins really took.
    for pin in "${PINS[@]}"; do
        pkg=${pin%%=*}
        want=${pin#*=}
        have=$(installed_version "$pkg")
        [ "$have" = "$want" ] || die "$pkg is at '${have:-none}' after install, expected '$want'"
    done
fi

# The Python tools, pinned, in their own virtual environment.
PYENV="${NEURICE_PYENV:-/opt/neurice/py}"
PYREQ="$(dirname "$0")/python-tools.txt"
py_pins_ok() {
    # every `name==version` line of $PYREQ installed at that version (importlib.metadata: fast)
    [ -x "$PYENV/bin/python3" ] || return 1
    "$PYENV/bin/python3" - "$PYREQ" <<'PY' 2>/dev/null
import sys, importlib.metadata as m
pins = [l.split("#")[0].strip() for l in open(sys.argv[1])]
for name, _, want in (p.partition("==") for p in pins if "==" in p):
    if m.version(name) != want:
        sys.exit(1)
PY
}
if ! py_pins_ok; then
    echo "install-tools.sh: Python tools in $PYENV: not installed at the pins of $PYREQ"
    if [ "$check_only" -eq 1 ]; then
        die "Python tools missing (fusesoc, cocotb). Run: sudo $0"
    fi
    [ "$(id -u)" -eq 0 ] || [ -w "$(dirname "$PYENV")" ] || die "must run as root to create $PYENV. Run: sudo $0"
    command -v python3 >/dev/null 2>&1 || die "python3 not found (Debian: apt-get install python3 python3-venv)"
    python3 -m venv "$PYENV" || die "python3 -m venv $PYENV failed (Debian: apt-get install python3-venv)"
    "$PYENV/bin/python3" -m pip install --quiet -r "$PYREQ" || die "pip install -r $PYREQ failed (network?)"
    py_pins_ok || die "the Python tools in $PYENV are not at the pins of $PYREQ after install"
fi
for tool in fusesoc cocotb-config; do
    if [ "$(readlink -f "/usr/local/bin/$tool" 2>/dev/null)" != "$(readlink -f "$PYENV/bin/$tool")" ]; then
        [ "$check_only" -eq 0 ] || die "/usr/local/bin/$tool does not lead to $PYENV/bin/$tool. Run: sudo $0"
        ln -sf "$PYENV/bin/$tool" "/usr/local/bin/$tool" || die "cannot link /usr/local/bin/$tool"
    fi
done

# Every tool must be callable.
for tool in "${TOOLS[@]}"; do
    command -v "$tool" >/dev/null 2>&1 ||
        die "$tool not found on PATH although its package is installed (PATH=$PATH)"
done

echo "install-tools.sh: toolchain ready:"
for pin in "${PINS[@]}"; do
    pkg=${pin%%=*}
    printf '  %-15s %s\n' "$pkg" "$(installed_version "$pkg")"
done
printf '  %-15s %s\n' "yosys -V" "$(yosys -V 2>&1 | head -n1)"
printf '  %-15s %s\n' "nextpnr-ice40" "$(nextpnr-ice40 --version 2>&1 | head -n1)"
printf '  %-15s %s\n' "verilator" "$(verilator --version 2>&1 | head -n1)"
printf '  %-15s %s\n' "python tools" "$(grep -E '^[A-Za-z0-9_.-]+==' "$PYREQ" | tr '\n' ' ')in $PYENV"
printf '  %-15s %s\n' "chromium" "$(installed_version chromium)"
for tool in icepack icepll icetime; do
    printf '  %-15s %s\n' "$tool" "$(command -v "$tool")"
done
