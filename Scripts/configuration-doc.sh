#!/usr/bin/env bash
# Writes docs/CONFIGURATION.md: every executable's options, exactly as its `--help` prints them
# (flags, environment variables, defaults). Tests/EndToEndTests/ConfigurationDocTests fails when the
# file and the executables disagree. Run after changing a setting:
#   swift build && Scripts/configuration-doc.sh
set -euo pipefail
cd "$(dirname "$0")/.."

bin="$(swift build --show-bin-path)"
executables=(backoffice backoffice-gateway backoffice-security backoffice-users backoffice-content backoffice-orders
    backoffice-stats backoffice-echo)
# The launcher's and client's subcommands, each with its own options.
commands=(up login logout whoami services describe call "users list" "users create" "content list" "content publish"
    "orders list" "orders show" "stats summary" "audit list" backup restore)
{
    echo "# Configuration reference"
    echo
    echo "Every executable of the suite, its options, the environment variable of each, and its default,"
    echo "as its \`--help\` prints them (this file is written by \`Scripts/configuration-doc.sh\` from that"
    echo "output, and a test fails when they differ). Options given on the command line override the"
    echo "environment. \`backoffice up\` passes each service its \`--listen\`, \`--data-dir\`, \`--internal-key\`"
    echo "and the addresses of the services it calls; the rest keep their defaults unless set in the"
    echo "environment."
    for executable in "${executables[@]}"; do
        echo
        echo "## $executable"
        echo
        echo '```'
        "$bin/$executable" --help
        echo '```'
        if [ "$executable" = backoffice ]; then
            for command in "${commands[@]}"; do
                echo
                echo "### backoffice $command"
                echo
                echo '```'
                "$bin/backoffice" $command --help
                echo '```'
            done
        fi
    done
} > docs/CONFIGURATION.md
echo "configuration-doc.sh: wrote docs/CONFIGURATION.md for ${#executables[@]} executables"
