#!/usr/bin/env bash
# Installs the Debian packages the suite builds, tests and regenerates code with, only when one is
# missing. Safe to run again; every other script calls it first.
set -euo pipefail

packages=(
    pkg-config
    libprotobuf-c-dev   # protobuf encoding (runtime)
    libsqlite3-dev      # storage
    libsodium-dev       # password hashing, tokens, MACs
    protobuf-compiler   # protoc: code generation check, Python test client
    protobuf-c-compiler # protoc-c: code generation check
    python3-protobuf    # the Swift generator plugin and the Python test client
)

missing=()
for package in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done

if [ ${#missing[@]} -gt 0 ]; then
    echo "installing: ${missing[*]}" >&2
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    export DEBIAN_FRONTEND=noninteractive
    $sudo apt-get update -qq
    $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi
