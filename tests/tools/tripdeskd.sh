# Sourced by the test scripts: start_tripdeskd TRIPDESKD LOG [FLAGS...] starts
# the server on a free loopback port and sets $pid and $port. Its clock
# starts at 10:00 UTC on the day the script started ($test_day), so no run
# straddles UTC midnight between the dates a script computes and the
# server's "today" (tripdeskd --test_clock_start). The words of
# the array TRIPDESKD_PREFIX, if set, go before the binary (env VAR=... ).
test_day=$(date -u +%Y-%m-%d)
test_clock_start="${test_day}T10:00:00Z"

start_tripdeskd() {
  local binary=$1 log=$2
  shift 2
  ${TRIPDESKD_PREFIX[@]+"${TRIPDESKD_PREFIX[@]}"} "$binary" --listen=127.0.0.1:0 --http_listen=127.0.0.1:0 \
    --test_clock_start="$test_clock_start" "$@" > "$log" 2>&1 &
  pid=$!
  for _ in $(seq 1 200); do
    grep -q "serving on port" "$log" && break
    kill -0 "$pid" 2>/dev/null || { cat "$log"; echo "tripdeskd died"; exit 1; }
    sleep 0.05
  done
  port=$(sed -n 's/.*serving on port \([0-9]*\).*/\1/p' "$log")
  http_port=$(sed -n 's/.*dashboard and \/metrics on https\{0,1\}:\/\/[^:]*:\([0-9]*\)\/.*/\1/p' "$log")
  [ -n "$port" ] || { cat "$log"; echo "tripdeskd did not start"; exit 1; }
}
