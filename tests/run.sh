#!/usr/bin/env bash
# The README's test command: builds everything, prepares what the suites need, runs every suite and ends with
# "N passed, N failed, N skipped". Works on a brand-new machine: as root it installs missing Debian packages.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
RESULTS="$ROOT/tests/results"
rm -rf "$RESULTS"
mkdir -p "$RESULTS"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
# Every test host would watch its configuration files; hundreds of hosts exhaust the inotify instances (128 by default).
export DOTNET_hostBuilder__reloadConfigOnChange=false
# The suite starts hundreds of app hosts, many at once; each host's file watchers (static files' version hashes,
# Razor) would take an inotify instance, and Linux allows 128 per user by default: past that, pages fail with 500.
# Polling watchers take none.
export DOTNET_USE_POLLING_FILE_WATCHER=true

# Debian packages the suites and benchmarks use. Only missing ones are installed, and only as root.
# chromium: the browser suite (Playwright drives /usr/bin/chromium; no browser is ever downloaded).
# python3-aiosmtpd: the SMTP tests' real server (tests/smtp/capture.py; each test class starts its own).
# poppler-utils: pdftoppm turns exported PDF pages into PNG artifacts.
# postgresql, redis-server: the PostgreSQL half of the provider theories and the two-instance tests (started below on
#   loopback in temp folders by tests/services.sh, never as system services).
# docker-compose: validates docker-compose.yml (`docker-compose config`); no Docker engine is needed or used.
PACKAGES=(sqlite3 chromium fonts-dejavu-core python3-aiosmtpd poppler-utils postgresql redis-server docker-compose)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "== installing ${missing[*]}"
    apt-get update -qq >/dev/null || echo "apt-get update failed; trying the install anyway"
    # A failed install is reported here; a suite that then lacks its service fails under CI=true (skips, visibly, otherwise).
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
      || echo "warning: could not install ${missing[*]}"
  else
    echo "== missing Debian packages (run as root to install): ${missing[*]}"
  fi
fi

echo "== build"
dotnet build TeamSkills.sln -c Release -nologo -v quiet

# Services: each integration test makes its own SQLite file in a temp folder, or its own database on the PostgreSQL
# started here; browser tests start the app on a free loopback port and drive Debian's Chromium; SMTP test classes
# start tests/smtp/capture.py on a free loopback port. PostgreSQL and Redis: one of each for the run, on loopback
# ports in a temp folder, stopped and removed at exit.
source tests/services.sh
trap services_stop EXIT
services_start

echo "== test"
set +e
dotnet test tests/TeamSkills.Tests -c Release --no-build -nologo \
  --logger "trx;LogFileName=TeamSkills.Tests.trx" --logger "console;verbosity=minimal" \
  --results-directory "$RESULTS"
status=$?
set -e

passed=0; failed=0; skipped=0
for trx in "$RESULTS"/*.trx; do
  [ -f "$trx" ] || continue
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -n1)
  get() { echo "$counters" | grep -o " $1=\"[0-9]*\"" | grep -o '[0-9]*' || echo 0; }
  passed=$((passed + $(get passed)))
  failed=$((failed + $(get failed) + $(get error) + $(get timeout) + $(get aborted)))
  skipped=$((skipped + $(get notExecuted)))
done
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
  # The runner failed without a counted failure (a crash, a build problem): never report that as green.
  failed=1
fi
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
