# Debian packages that only the test run needs (ops/local/test.sh sources this; `npm start` never does).
# Installed the way up.sh installs the stack's own packages — apt-get as root, `sudo -n apt-get` with passwordless
# sudo — but a package that cannot be installed does not stop the run: the exact command is printed and the tests
# that need it fail with the same command in their message (test/pages needs chromium).
# shellcheck shell=bash

# Debian's Chromium for test/pages (playwright-core drives /usr/bin/chromium; it never downloads a browser) and a
# font for its screenshots. --no-install-recommends: Chromium's recommends (udev, upower, a notification daemon,
# printer tools: ~100 packages) are of no use to a headless test.
KB_TEST_DEB_PACKAGES=(chromium fonts-liberation)

# kb_install_test_packages PACKAGE... : returns 0 when all are installed afterwards, 1 (after printing the command)
# when some are not.
kb_install_test_packages() {
  local p missing=() sudo=() apt_log
  for p in "$@"; do
    if [ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)" != "install ok installed" ]; then
      missing+=("$p")
    fi
  done
  [ "${#missing[@]}" -gt 0 ] || return 0
  kb_say "test: missing Debian packages for the test run: ${missing[*]}"
  if kb_is_root; then
    sudo=()
  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    sudo=(sudo -n)
  else
    printf 'test: cannot install Debian packages (not root, no passwordless sudo); the tests that need them will fail. Install them with:\n  sudo apt-get update && sudo apt-get install -y --no-install-recommends %s\n' "${missing[*]}" >&2
    return 1
  fi
  apt_log="$(mktemp /tmp/keybridge-apt.XXXXXX.log)"
  kb_say "  installing with ${sudo[*]:+sudo }apt-get (log: $apt_log)"
  if "${sudo[@]}" apt-get update >>"$apt_log" 2>&1 &&
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" >>"$apt_log" 2>&1; then
    rm -f "$apt_log"
    return 0
  fi
  kb_tail "$apt_log" 30
  printf 'test: apt-get could not install %s (log: %s); the tests that need them will fail. Install them with:\n  sudo apt-get update && sudo apt-get install -y --no-install-recommends %s\n' \
    "${missing[*]}" "$apt_log" "${missing[*]}" >&2
  return 1
}
