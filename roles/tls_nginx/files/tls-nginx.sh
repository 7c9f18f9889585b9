#!/bin/sh
# The TLS labs' NGINX (drover's tls_nginx role keeps this next to its config):
#   tls-nginx.sh status|test|start|stop|restart|stale
# One NGINX master per lab directory, run as a daemon with the config, pid
# file and logs in this script's directory. status/start/stop/stale print what
# they found or did (the role's tasks read it). NGINX reads certificates, keys
# and CRLs only when it starts: start records their checksums (served.sha256;
# the files are listed in served.list), and stale says whether the files on
# disk still match what the running NGINX loaded.
set -eu
home=$(cd "$(dirname "$0")" && pwd)
run() { nginx -e "$home/error.log" -c "$home/nginx.conf" -p "$home/" "$@"; }
sums() { xargs -r -d '\n' sha256sum < "$home/served.list" 2>&1 || true; }
# The master's pid, if that process is alive and is an NGINX (not a recycled pid).
master() {
  [ -s "$home/nginx.pid" ] || return 1
  p=$(cat "$home/nginx.pid")
  kill -0 "$p" 2>/dev/null && grep -q '^nginx' "/proc/$p/comm" 2>/dev/null && echo "$p"
}
case "${1:-}" in
  status) if master >/dev/null; then echo running; else echo stopped; fi ;;
  test) run -t -q ;;
  start)
    if master >/dev/null; then echo running; exit 0; fi
    # One server per port: another TLS lab's NGINX (or anything else) on it makes bind() fail.
    sums > "$home/served.sha256"
    run || { echo "nginx did not start (see above); if the port is taken by another TLS lab, stop that one first: drover lab destroy tlsN" >&2; exit 1; }
    echo started ;;
  stale)
    if ! master >/dev/null; then echo "not running"
    elif [ "$(sums)" = "$(cat "$home/served.sha256" 2>/dev/null)" ]; then echo current
    else echo stale; fi ;;
  stop)
    if p=$(master); then
      kill -QUIT "$p"
      i=0
      while kill -0 "$p" 2>/dev/null; do
        i=$((i + 1))
        [ "$i" -le 100 ] || { echo "nginx (pid $p) did not stop within 10 s" >&2; exit 1; }
        sleep 0.1
      done
      echo stopped
    else
      echo "not running"
    fi ;;
  restart) "$0" stop >/dev/null && "$0" start ;;
  *) echo "usage: $0 status|test|start|stop|restart|stale" >&2; exit 2 ;;
esac
