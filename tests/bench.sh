#!/usr/bin/env bash
# Benchmarks; see tests/TeamSkills.Benchmarks. Examples:
#   tests/bench.sh --all [--quick]       every benchmark at 1k/10k/100k engineers (--quick: 1k/10k, wrk 10 s), one table
#                                        printed and written to tests/results/bench-all.md (starts PostgreSQL; needs wrk)
#   tests/bench.sh --soak [--minutes 5] [--warmup-minutes 3]  bounded soak: imports, reads, live clients, exports;
#                                        memory trend (after the warm-up, if any), failures
#                                        (the app limits malloc arenas itself; MALLOC_ARENA_MAX in the environment overrides)
#   tests/bench.sh --engineers 10000     import (SQLite), API and pages
#   tests/bench.sh --postgres            100k-row roster import on PostgreSQL vs psql \copy (starts PostgreSQL)
#   tests/bench.sh --live | --exports | --wrk
set -euo pipefail
cd "$(dirname "$0")/.."
started=$SECONDS
case " $* " in
  *" --postgres "*|*" --all "*)
    if [ -z "${TEAMSKILLS_TEST_POSTGRES:-}" ]; then
      source tests/services.sh
      trap services_stop EXIT
      services_start
    fi ;;
esac
case " $* " in
  *" --all "*|*" --wrk "*)
    if ! command -v wrk >/dev/null; then
      if [ "$(id -u)" = 0 ]; then apt-get install -y wrk >/dev/null || echo "warning: could not install wrk"
      else echo "warning: wrk missing (Debian package wrk); the HTTP load part will not run"; fi
    fi ;;
esac
status=0
dotnet run -c Release --project tests/TeamSkills.Benchmarks -- "$@" || status=$?
echo "tests/bench.sh $*: exit $status after $(( (SECONDS - started) / 60 )) min $(( (SECONDS - started) % 60 )) s (build included)"
exit $status
