#!/usr/bin/env bash
# Coauthor CS, 10 seeds: gnnscale full-batch and Cluster-GCN (whole-graph and batched evaluation);
# the peer's seeds 5-9 (whole graph; seeds 0-4 are in bench/out/cluster-accuracy-3)
cd /work/wt/cluster
B=/tmp/cluster-slot/bin/gnnscale
O=bench/out/cluster-accuracy-4
OUT=$O DATA=/tmp/cluster-data EVAL=full RUNS="full cluster" bash bench/cluster_compare.sh $B cs 10
OUT=$O DATA=/tmp/cluster-data EVAL=batches RUNS="cluster" bash bench/cluster_compare.sh $B cs 10
export OMP_NUM_THREADS=1
/usr/bin/time -v /usr/bin/python3 bench/peer_cluster_torch.py /tmp/cluster-data/coauthor-cs --parts 10 \
  --clusters-per-batch 2 --features l2 --depth 2 --width 16 --epochs 200 --seed 5 --seeds 5 \
  --threads 1 --eval full --json > $O/cs-peer-cluster-full-seeds5-9.json 2> $O/cs-peer-cluster-full-seeds5-9.time
echo "acc10 done $(date -u +%H:%M:%S)"
