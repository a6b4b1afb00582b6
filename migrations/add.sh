#!/usr/bin/env bash
# Adds one migration, under one name, to every provider's set: SQLite, PostgreSQL and SQL Server.
#   migrations/add.sh AddSomething
# No database server is needed: each set's design-time factory builds the model for its provider.
# tests (MigrationConsistencyTests) fail when a set lacks a model change or the three sets' names disagree.
set -euo pipefail
cd "$(dirname "$0")/.."
name=${1:?usage: migrations/add.sh MigrationName}
if [[ ! "$name" =~ ^[A-Z][A-Za-z0-9]*$ ]]; then
  echo "migration name must be PascalCase letters and digits: $name" >&2
  exit 2
fi
dotnet tool restore >/dev/null
dotnet build migrations/TeamSkills.Migrations.Sqlite -nologo -v quiet >/dev/null
done_sets=()
for provider in Sqlite PostgreSql SqlServer; do
  project=migrations/TeamSkills.Migrations.$provider
  echo "== $provider"
  if ! dotnet ef migrations add "$name" --project "$project" --startup-project "$project" --output-dir Migrations; then
    # Leave no set ahead of the others: undo what this run already added.
    for undo in "${done_sets[@]}"; do
      dotnet ef migrations remove --force --project "migrations/TeamSkills.Migrations.$undo" \
        --startup-project "migrations/TeamSkills.Migrations.$undo" || true
    done
    echo "failed on $provider; nothing added" >&2
    exit 1
  fi
  done_sets+=("$provider")
done
echo "added $name to ${done_sets[*]}"
