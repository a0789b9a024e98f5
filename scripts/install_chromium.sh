#!/usr/bin/env bash
# Installs Debian's chromium and chromium-driver for the browser test of the web page
# (tests/service/test_browser.py), when they are missing and apt-get can be used. Never fails:
# without them the browser test is skipped, and this prints why.
set -u

if command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1; then
    exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "install_chromium: no apt-get here; install chromium and chromedriver yourself to run the browser test."
    exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
    SUDO="sudo -n"
    if ! $SUDO true 2>/dev/null; then
        echo "install_chromium: not root and no password-less sudo; run 'apt-get install chromium chromium-driver' as root to run the browser test."
        exit 0
    fi
else
    SUDO=""
fi
log=$(mktemp)
echo "install_chromium: installing chromium and chromium-driver with apt-get (for the browser test)..."
if $SUDO apt-get update -qq >"$log" 2>&1 &&
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq -o DPkg::Lock::Timeout=300 chromium chromium-driver >>"$log" 2>&1; then
    echo "install_chromium: done."
else
    echo "install_chromium: apt-get failed; the browser test will be skipped. Its last lines:"
    tail -n 5 "$log"
fi
rm -f "$log"
exit 0
