#!/usr/bin/env bash
# Throughput and latency of the public pages, feed, search and API, and what a login flood does
# to memory, against the release binary and the demo newsroom. Prints numbers; asserts nothing.
#
#   scripts/bench.sh                       # embedded SQLite in a temporary directory
#   BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench scripts/bench.sh
#
# Needs wrk (Debian: apt-get install wrk) and curl. DURATION (seconds) and CONNECTIONS tune it.
set -euo pipefail

here="$(cd "$(dirname "$0")/.." && pwd)"
duration="${DURATION:-10}"
connections="${CONNECTIONS:-32}"
port="${PORT:-18080}"

if ! command -v wrk >/dev/null; then
    echo "bench: wrk is missing (apt-get install -y wrk)" >&2
    exit 1
fi

cargo build --release --quiet -p dateline-web --manifest-path "$here/Cargo.toml"
bin="$here/target/release/dateline"
work="$(mktemp -d)"
trap 'kill "$server" 2>/dev/null || true; rm -rf "$work"' EXIT
cd "$work"

if [ -n "${BENCH_DATABASE_URL:-}" ]; then
    export DATABASE_URL="$BENCH_DATABASE_URL"
    backend="PostgreSQL"
    # A fresh database each run, so the numbers are for the demo newsroom alone.
    admin_url="${BENCH_DATABASE_URL%/*}/postgres"
    db="${BENCH_DATABASE_URL##*/}"
    PGOPTIONS="--client-min-messages=warning" psql -q "$admin_url" -c "DROP DATABASE IF EXISTS \"$db\"" -c "CREATE DATABASE \"$db\"" >/dev/null
else
    unset DATABASE_URL
    backend="SQLite"
fi

if curl -s -o /dev/null "http://127.0.0.1:$port/"; then
    echo "bench: something already listens on port $port (set PORT)" >&2
    exit 1
fi
"$bin" demo >/dev/null
RUST_LOG=warn "$bin" serve --bind "127.0.0.1:$port" 2>"$work/serve.log" &
server=$!
for _ in $(seq 1 100); do
    curl -fs "http://127.0.0.1:$port/healthz/ready" >/dev/null && break
    sleep 0.1
done
if ! kill -0 "$server" 2>/dev/null; then
    echo "bench: the server did not start:" >&2
    cat "$work/serve.log" >&2
    exit 1
fi

base="http://127.0.0.1:$port"
release="$(curl -fs "$base/api/v1/releases?limit=1" | sed -n 's/.*"url":"\([^"]*\)".*/\1/p' | head -n1)"
release="/${release#*://*/}"
rss() { awk '/VmRSS/ {print $2}' "/proc/$server/status"; }

echo "Dateline $("$bin" --version | awk '{print $2}') on $backend, $(nproc) cores, wrk -c$connections -d${duration}s"
echo "binary: $(du -h "$bin" | cut -f1); memory after start: $(( $(rss) / 1024 )) MiB"
printf '%-34s %10s %9s %9s\n' "what" "req/s" "p50" "p99"
run() {
    local label="$1" path="$2"
    shift 2
    local out
    out="$(wrk -t2 -c"$connections" -d"${duration}s" --latency "$@" "$base$path")"
    local rps p50 p99
    rps="$(awk '/Requests\/sec/ {print $2}' <<<"$out")"
    p50="$(awk '$1 == "50%" {print $2}' <<<"$out")"
    p99="$(awk '$1 == "99%" {print $2}' <<<"$out")"
    printf '%-34s %10s %9s %9s\n' "$label" "$rps" "$p50" "$p99"
    if grep -q "Non-2xx" <<<"$out"; then
        grep "Non-2xx" <<<"$out" | sed 's/^/    /'
    fi
}

run "home page" "/"
run "one release" "$release"
run "Atom feed" "/feed.atom"
run "search ('energy')" "/search?q=energy"
run "API list" "/api/v1/releases"
run "home page, gzip" "/" -H "Accept-Encoding: gzip"
run "home page, revalidated (304)" "/" -H "If-None-Match: $(curl -fsI "$base/" | awk 'tolower($1)=="etag:" {print $2}' | tr -d '\r')"

# A login flood with a valid form: wrong passwords for one account from one address. The
# throttle turns it into cheap 429s; argon2 work is bounded by a semaphore, so memory stays flat.
jar="$work/cookies"
token="$(curl -fs -c "$jar" "$base/login" | sed -n 's/.*name="csrf_token" value="\([^"]*\)".*/\1/p' | head -n1)"
pre="$(awk '$6 == "dateline_pre" {print $7}' "$jar")"
cat >"$work/login.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Origin"] = "$base"
wrk.headers["Cookie"] = "dateline_pre=$pre"
wrk.body = "csrf_token=$token&email=editor%40example.org&password=not+the+password+at+all"
LUA
before="$(rss)"
run "login flood (wrong password)" "/login" -s "$work/login.lua"
echo "memory: $(( before / 1024 )) MiB before the flood, $(( $(rss) / 1024 )) MiB after"
