#!/usr/bin/env bash
# Import and API benchmark; see tests/TeamSkills.Benchmarks. Example: tests/bench.sh --engineers 10000
set -euo pipefail
cd "$(dirname "$0")/.."
dotnet run -c Release --project tests/TeamSkills.Benchmarks -- "$@"
