#!/usr/bin/env bash
# Fails when the committed generated code is not what Scripts/generate.sh makes of Protos/ today:
# it regenerates into a scratch copy (the working tree is left alone) and compares file by file,
# naming every file that is out of date, missing or no longer generated. CI runs it.
set -euo pipefail
export LC_ALL=C

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

# Every generated file, as shell patterns relative to the checkout (keep in step with generate.sh).
patterns=(
    'Shared/GeneratedProtoC/*.pb-c.c'
    'Shared/GeneratedProtoC/include/*.pb-c.h'
    'Shared/GeneratedProtoC/include/GeneratedProtoC.h'
    'Shared/RPC/Generated/*.pb.swift'
    'Shared/BackofficeAPI/Generated/*.pb.swift'
    'Tests/ProtoRuntimeTests/Generated/PythonEncoding.swift'
)

scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
mkdir -p "$scratch/Protos"
cp Protos/*.proto "$scratch/Protos/"
cp -R Scripts "$scratch/Scripts"
"$scratch/Scripts/generate.sh" >/dev/null

list() { # the generated files under directory $1, one relative path per line
    (cd "$1" && for pattern in "${patterns[@]}"; do for file in $pattern; do [ -e "$file" ] && echo "$file"; done; done) | sort
}

stale=()
while read -r file; do
    if [ ! -e "$root/$file" ]; then
        stale+=("$file (missing: it must be generated and committed)")
    elif [ ! -e "$scratch/$file" ]; then
        stale+=("$file (no longer generated: its proto is gone; delete it)")
    elif ! cmp -s "$root/$file" "$scratch/$file"; then
        stale+=("$file (differs from what Protos/ generates)")
    fi
done < <(sort -u <(list "$root") <(list "$scratch"))

if [ ${#stale[@]} -gt 0 ]; then
    echo "check-generated.sh: generated code is stale:" >&2
    for entry in "${stale[@]}"; do echo "  $entry" >&2; done
    echo "Run Scripts/generate.sh and commit the result; never edit generated files by hand." >&2
    exit 1
fi
echo "check-generated.sh: all generated code is up to date"
