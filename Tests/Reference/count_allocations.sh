#!/bin/bash
# Calls to malloc per training step of `reslab train`, for the README's
# "Allocations in a step": runs each configuration for 100 and for 300
# steps under the tests' counting allocator (Tests/AllocationCounter),
# preloaded, and divides the difference by 200, which leaves out loading,
# set-up and the final evaluation (no evaluation runs in between).
#
#   swift build -c release && bash Tests/Reference/count_allocations.sh [path/to/reslab]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
reslab=${1:-$here/../../.build/release/reslab}
counter=$here/../AllocationCounter
library=$(mktemp -d)/allocation_counter.so
cc -O2 -shared -fPIC -I "$counter/include" -o "$library" "$counter/AllocationCounter.c"

calls() {  # steps, then reslab train's options
    local steps=$1; shift
    RESLAB_REPORT_ALLOCATIONS=1 LD_PRELOAD=$library "$reslab" train --steps "$steps" --eval-every 100000 "$@" 2>&1 >/dev/null | sed -n 's/^malloc calls: //p'
}

while read -r label options; do
    short=$(calls 100 $options)
    long=$(calls 300 $options)
    printf '%-40s %6d calls per step\n' "$label" $(( (long - short) / 200 ))
done <<'CONFIGURATIONS'
spirals,no-norm,30-blocks,1-thread --dataset spirals --norm none --depth 30 --batch 256 --init zero --threads 1
spirals,no-norm,30-blocks,2-threads --dataset spirals --norm none --depth 30 --batch 256 --init zero --threads 2
fashion-mnist,dense,2-threads --dataset fashion-mnist --threads 2
fashion-mnist,conv,2-threads --dataset fashion-mnist --model conv --threads 2
CONFIGURATIONS
