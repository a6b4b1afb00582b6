#!/usr/bin/env bash
# Benchmarks; see tests/TeamSkills.Benchmarks. Examples:
#   tests/bench.sh --engineers 10000      import (SQLite) and API
#   tests/bench.sh --postgres             100k-row roster import on PostgreSQL vs psql \copy (starts PostgreSQL)
#   tests/bench.sh --live | --exports
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" = "--postgres" ] && [ -z "${TEAMSKILLS_TEST_POSTGRES:-}" ]; then
  source tests/services.sh
  trap services_stop EXIT
  services_start
fi
dotnet run -c Release --project tests/TeamSkills.Benchmarks -- "$@"
