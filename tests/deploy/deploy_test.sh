#!/usr/bin/env bash
# Checks the deploy files: the systemd unit is valid, tripdeskd starts from
# the shipped flag file and stops cleanly on SIGTERM, and the image's
# runtime stage installs every library tripdeskd links.
# Usage: deploy_test.sh SOURCE_DIR TRIPDESKD
set -euo pipefail
src=$1
tripdeskd=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

if command -v systemd-analyze >/dev/null; then
  sed -e "s|/usr/local/bin/tripdeskd|$tripdeskd|" \
      -e "s|/etc/tripdesk/tripdeskd.flags|$src/deploy/tripdeskd.flags|" \
      "$src/deploy/tripdeskd.service" > "$work/tripdeskd.service"
  systemd-analyze verify "$work/tripdeskd.service"
  echo "unit: valid"
else
  echo "unit: systemd-analyze not installed, skipped"
fi

"$tripdeskd" --flagfile="$src/deploy/tripdeskd.flags" --data_dir="$work/data" \
  --listen="127.0.0.1:0" --http_listen="127.0.0.1:0" > "$work/log" 2>&1 &
pid=$!
for _ in $(seq 1 100); do
  grep -q "serving on port" "$work/log" && break
  kill -0 "$pid" 2>/dev/null || { cat "$work/log"; echo "tripdeskd died"; exit 1; }
  sleep 0.1
done
grep -q "serving on port [1-9]" "$work/log" || { cat "$work/log"; exit 1; }
kill -TERM "$pid"
wait "$pid"
grep -q "stopped cleanly" "$work/log"
echo "flags: tripdeskd started from deploy/tripdeskd.flags and stopped cleanly"

# The TLS example names only real flags: it gets as far as reading the
# certificate, which is not on this machine.
if out=$("$tripdeskd" --flagfile="$src/deploy/tripdeskd-tls.flags.example" --data_dir="$work/tls" 2>&1); then
  echo "tripdeskd started without its certificate"; exit 1
fi
grep -q "cannot read '/etc/tripdesk/tls/server.pem'" <<<"$out" || { echo "$out"; exit 1; }
echo "flags: deploy/tripdeskd-tls.flags.example parses and wants its certificate"

# Images cannot be built here: check instead that the runtime stage's
# packages, with their dependencies, own every library tripdeskd loads.
runtime=$(sed -n '/^FROM debian:12-slim/,/rm -rf/p' "$src/deploy/Dockerfile" |
  grep -oE '\blib[a-z0-9.+-]+[0-9]\b' | sort -u)
closure=$(apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts \
  --no-breaks --no-replaces --no-enhances $runtime 2>/dev/null | grep -v '^ ' |
  sed 's/:amd64$//' | sort -u || true)
if ! grep -qx libc6 <<<"$closure"; then
  echo "image: apt has no package lists here, skipped"
  exit 0
fi
for lib in $(ldd "$tripdeskd" | awk '/=>/ {print $3}'); do
  # A sanitized build (tools/sanitize.sh) links the sanitizers' runtimes,
  # which the image's Release build does not.
  case $lib in *libasan.so*|*libubsan.so*) continue ;; esac
  real=$(realpath "$lib")
  owner=$(dpkg -S "$lib" 2>/dev/null || dpkg -S "$real" 2>/dev/null ||
          dpkg -S "${real#/usr}" 2>/dev/null || true)
  owner=${owner%%:*}
  [ -n "$owner" ] || { echo "no package owns $lib"; exit 1; }
  grep -qxF "$owner" <<<"$closure" ||
    { echo "deploy/Dockerfile's runtime stage lacks $owner (for $lib)"; exit 1; }
done
echo "image: the runtime stage's packages cover every library tripdeskd loads"
