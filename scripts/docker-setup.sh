#!/usr/bin/env bash
# Vagrant with its docker provider, for drover's Vagrant end-to-end test and CI:
# Debian's vagrant (+ vagrant-libvirt, so `vagrant validate` checks the libvirt
# block too) and docker.io, and a running dockerd. Idempotent; needs root.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
need=()
command -v vagrant >/dev/null || need+=(vagrant)
ls -d /usr/share/rubygems-integration/all/gems/vagrant-libvirt-* >/dev/null 2>&1 || need+=(vagrant-libvirt)
[ -x /usr/sbin/dockerd ] || need+=(docker.io)
command -v zstd >/dev/null || need+=(zstd)
if ((${#need[@]})); then
  echo "docker-setup: apt-get install ${need[*]}"
  apt-get install -y -q --no-install-recommends -o DPkg::Lock::Timeout=300 "${need[@]}" >/dev/null ||
    { apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends -o DPkg::Lock::Timeout=300 "${need[@]}" >/dev/null; }
fi
if ! docker info >/dev/null 2>&1; then
  if [ -d /run/systemd/system ]; then
    systemctl start docker
  else
    # No init system here: dockerd in the background, as the machine's own service would run it.
    nohup /usr/sbin/dockerd >/var/log/drover-dockerd.log 2>&1 &
  fi
  for _ in $(seq 60); do docker info >/dev/null 2>&1 && break; sleep 0.5; done
  docker info >/dev/null 2>&1 || { echo "docker-setup: dockerd did not start; see /var/log/drover-dockerd.log" >&2; exit 1; }
fi
echo "docker-setup: vagrant $(vagrant --version | cut -d' ' -f2), docker engine $(docker info --format '{{.ServerVersion}}')"
