#!/usr/bin/env bash
# End-to-end tests of the gnnscale program: exit codes and messages on bad input, and a short
# real training run. Prints "N passed, N failed" and exits non-zero on any failure.
set -u
bin=$1
data=$2/datasets/data
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0
failed=0

# expect CODE SUBSTRING -- command...
expect() {
  local code=$1 text=$2
  shift 3
  local out
  out=$("$@" 2>&1)
  local got=$?
  if [ "$got" -eq "$code" ] && [[ "$out" == *"$text"* ]]; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    echo "FAIL: $* -> exit $got (want $code), output: ${out:0:300} (want '$text')"
  fi
}

expect 2 "unknown command" -- "$bin" bogus
expect 2 "--data DIR is required" -- "$bin" train
expect 2 "outside 1..128" -- "$bin" train --data "$data/cora" --depth 0
expect 2 "is not an integer" -- "$bin" train --data "$data/cora" --width abc
expect 2 "unknown option" -- "$bin" train --data "$data/cora" --nosuch
expect 2 "is not rownorm, raw or binary" -- "$bin" train --data "$data/cora" --features odd
expect 1 "no such file or folder" -- "$bin" train --data "$tmp/missing"
expect 1 "no split 'nosuch'" -- "$bin" train --data "$data/cora" --split nosuch

# a dataset with a malformed edge line: the message names the file and the line
mkdir -p "$tmp/bad/raw" "$tmp/bad/split/s"
printf '3\n' > "$tmp/bad/raw/num-node-list.csv"
printf '2\n' > "$tmp/bad/raw/num-edge-list.csv"
printf '0,1\n1,2,5\n' | gzip > "$tmp/bad/raw/edge.csv.gz"
printf '1,0\n0,1\n1,1\n' | gzip > "$tmp/bad/raw/node-feat.csv.gz"
printf '0\n1\n0\n' | gzip > "$tmp/bad/raw/node-label.csv.gz"
for f in train valid test; do printf '0\n' | gzip > "$tmp/bad/split/s/$f.csv.gz"; done
expect 1 "edge.csv.gz:2:" -- "$bin" info --data "$tmp/bad"

# a real run: info and a short training, JSON parsed by python if present
expect 0 "13264 non-zeros" -- "$bin" info --data "$data/cora"
expect 0 '"test_acc_mean"' -- "$bin" train --data "$data/cora" --epochs 20 --json --quiet
expect 0 "wrote" -- "$bin" generate --out "$tmp/gen" --nodes 500 --edges 2000 --features 8 --classes 3
expect 0 "4500 non-zeros" -- "$bin" info --data "$tmp/gen"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
