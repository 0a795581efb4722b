#!/usr/bin/env bash
# The main job: set up, build, and train Kipf & Welling's GCN on the bundled Cora over 10 seeds.
# Extra arguments go to `gnnscale train` (for example --json, --threads 1).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
exec build/cli/gnnscale train --data datasets/data/cora --seeds 10 "$@"
