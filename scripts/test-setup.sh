#!/usr/bin/env bash
# Prepares this machine for the integration tests (run by `npm test` via pretest).
# Idempotent and fast when everything is already in place. Needs root.
#
# Test users (login with a key that test/helpers/sshd.ts installs; stock bash):
#   drover-t1  sudo without password (NOPASSWD: ALL)
#   drover-t2  sudo WITH password; its password is the fixed test value
#              "drover-t2-pw" (TEST_USER2_PASSWORD in test/helpers/sshd.ts)
#   drover-t3  no sudo at all
set -euo pipefail

if [ "$(id -u)" != 0 ]; then
  echo "test-setup: not root, skipping (integration tests need root)" >&2
  exit 0
fi

need=()
[ -x /usr/sbin/sshd ] || need+=(openssh-server)
command -v sudo >/dev/null 2>&1 || need+=(sudo)
command -v ssh-keygen >/dev/null 2>&1 || need+=(openssh-client)
# Ansible itself is the oracle of the differential tests: Debian's ansible (ansible-core 2.14
# and the collections: community.general's modules, ansible.posix's json callback).
[ -d /usr/lib/python3/dist-packages/ansible_collections/ansible/posix ] || need+=(ansible)
if [ ${#need[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  # apt-get update only when the package lists cannot resolve what we need.
  if ! apt-get install -y --no-install-recommends "${need[@]}" >/dev/null 2>&1; then
    apt-get update -qq
    apt-get install -y --no-install-recommends "${need[@]}"
  fi
fi

# sshd refuses to start without its privilege-separation directory.
mkdir -p /run/sshd
chmod 0755 /run/sshd

for u in drover-t1 drover-t2 drover-t3; do
  if ! id "$u" >/dev/null 2>&1; then
    useradd --create-home --shell /bin/bash "$u"
  fi
done
# With UsePAM no, sshd refuses accounts whose password field starts with "!"
# (locked): give the key-only users "*" (no password, not locked).
for u in drover-t1 drover-t3; do
  if [ "$(getent shadow "$u" | cut -d: -f2)" != '*' ]; then usermod -p '*' "$u"; fi
done

# drover-t2 has a known password so that become-with-password can be tested.
if ! grep -q '^drover-t2:\$' /etc/shadow || [ ! -f /var/lib/drover-t2-pw-set ]; then
  echo 'drover-t2:drover-t2-pw' | chpasswd
  mkdir -p /var/lib && touch /var/lib/drover-t2-pw-set
fi

sudoers=/etc/sudoers.d/drover-test
want='# drover integration tests (scripts/test-setup.sh)
drover-t1 ALL=(ALL:ALL) NOPASSWD: ALL
drover-t2 ALL=(ALL:ALL) ALL
'
if [ ! -f "$sudoers" ] || [ "$(cat "$sudoers")" != "$(printf '%s' "$want")" ]; then
  tmp=$(mktemp /etc/sudoers.d/.drover-test.XXXXXX)
  printf '%s' "$want" >"$tmp"
  chmod 0440 "$tmp"
  visudo -cf "$tmp" >/dev/null
  mv -f "$tmp" "$sudoers"
fi

# ---- pki / TLS labs (test/integration/pki): NGINX from Debian's package ------
# nginx-light is enough (ssl + return). The policy-rc.d of this image keeps the
# package from starting a system nginx; the tests run their own on loopback.
if ! command -v nginx >/dev/null 2>&1 && [ ! -x /usr/sbin/nginx ]; then
  export DEBIAN_FRONTEND=noninteractive
  if ! apt-get install -y --no-install-recommends nginx-light >/dev/null 2>&1; then
    apt-get update -qq
    apt-get install -y --no-install-recommends nginx-light
  fi
fi
# ---- end pki ------------------------------------------------------------------
