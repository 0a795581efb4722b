#!/usr/bin/env bash
# The modules depend one way, core -> sparse -> datasets -> gnn -> scaling -> experiments -> cli (README,
# "Layout of the code"): no file includes a header of a module later in that order. Prints
# "N passed, N failed" and exits non-zero on any include against the order.
set -u
root=$1
order=(core sparse datasets gnn scaling experiments cli)
passed=0
failed=0
for i in "${!order[@]}"; do
  dir=${order[$i]}
  for later in "${order[@]:$((i + 1))}"; do
    hits=$(grep -n "#include \"$later/" "$root/$dir"/*.c "$root/$dir"/*.h 2>/dev/null)
    if [ -n "$hits" ]; then
      failed=$((failed + 1))
      echo "FAIL: $dir/ includes $later/ (against core -> sparse -> datasets -> gnn -> scaling -> experiments -> cli):"
      echo "$hits"
    else
      passed=$((passed + 1))
    fi
  done
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
