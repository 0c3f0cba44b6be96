#!/usr/bin/env bash
# Regenerates every generated file from Protos/*.proto. This is the only way generated code changes:
#   Shared/GeneratedProtoC/*.pb-c.c, include/*.pb-c.h    protoc-c's C code (the GeneratedProtoC target)
#   Shared/RPC/Generated/Wire.pb.swift                    wire.proto, compiled into the RPC target
#   Shared/BackofficeAPI/Generated/<Name>.pb.swift        every other proto (the BackofficeAPI target)
#   Tests/ProtoRuntimeTests/Generated/PythonEncoding.swift  Python protobuf's encoding of a test value
# Stale files are deleted first, so a removed proto leaves nothing behind.
# Usage: Scripts/generate.sh (from anywhere; it works on the checkout that contains it).
set -euo pipefail
export LC_ALL=C

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

python=/usr/bin/python3 # Debian's, which has python3-protobuf; `python3` on PATH may be another one

have_tools() {
    command -v protoc >/dev/null 2>&1 && command -v protoc-c >/dev/null 2>&1 &&
        [ -x "$python" ] && "$python" -c 'import google.protobuf.compiler.plugin_pb2' 2>/dev/null &&
        [ -f /usr/include/protobuf-c/protobuf-c.h ]
}

if ! have_tools; then
    echo "generate.sh: installing protoc, protoc-c, python3-protobuf and libprotobuf-c-dev with apt" >&2
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo=sudo
    $sudo apt-get update
    $sudo apt-get install -y protobuf-compiler protobuf-c-compiler python3-protobuf libprotobuf-c-dev
fi

protos=(Protos/*.proto)
[ -e "${protos[0]}" ] || { echo "generate.sh: no .proto files in Protos/" >&2; exit 1; }
api_protos=()
for proto in "${protos[@]}"; do
    [ "$proto" = Protos/wire.proto ] || api_protos+=("$proto")
done

c_dir=Shared/GeneratedProtoC
rpc_dir=Shared/RPC/Generated
api_dir=Shared/BackofficeAPI/Generated
fixture=Tests/ProtoRuntimeTests/Generated/PythonEncoding.swift
rm -f "$c_dir"/*.pb-c.c "$c_dir"/include/*.pb-c.h "$rpc_dir"/*.pb.swift "$api_dir"/*.pb.swift "$fixture"
mkdir -p "$c_dir/include" "$rpc_dir" "$api_dir" "$(dirname "$fixture")"

scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT

# protoc-c writes x.pb-c.c and x.pb-c.h side by side; the headers go to the target's include
# directory, from where the .c files' `#include "x.pb-c.h"` resolves.
mkdir "$scratch/c"
protoc-c --proto_path=Protos --c_out="$scratch/c" "${protos[@]}"
mv "$scratch"/c/*.pb-c.c "$c_dir"/
mv "$scratch"/c/*.pb-c.h "$c_dir"/include/

plugin=(--plugin=protoc-gen-backoffice-swift="$root/Scripts/protoc-gen-backoffice-swift")
if [ -f Protos/wire.proto ]; then
    protoc --proto_path=Protos "${plugin[@]}" --backoffice-swift_out="$rpc_dir" Protos/wire.proto
fi
if [ ${#api_protos[@]} -gt 0 ]; then
    protoc --proto_path=Protos "${plugin[@]}" --backoffice-swift_out="$api_dir" "${api_protos[@]}"
fi

# The cross-check of our encoding against Python's, for Tests/ProtoRuntimeTests.
mkdir "$scratch/python"
protoc --proto_path=Protos --python_out="$scratch/python" Protos/testing.proto
PYTHONPATH="$scratch/python" "$python" Scripts/python-encoding-fixture.py >"$fixture"

echo "generate.sh: regenerated $(ls "$c_dir"/*.pb-c.c | wc -l) C files," \
    "$(ls "$rpc_dir"/*.pb.swift "$api_dir"/*.pb.swift 2>/dev/null | wc -l) Swift files and the Python fixture" \
    "with $(protoc --version), protoc-c $(protoc-c --version 2>&1 | sed -n 's/^protobuf-c //p')"
