#!/usr/bin/env bash
# quiet slot 03:00-03:15 (cluster): pause my accuracy job if any, time, resume
cd /work/wt/cluster
for pg in $(cat /tmp/cluster-slot/pause.pgids 2>/dev/null); do kill -STOP -$pg 2>/dev/null; done
OUT=/tmp/cluster-slot/timing DATA=/tmp/cluster-data THREADS=2 EPOCHS=30 PEER_EPOCHS=20 \
  bash bench/cluster_timing.sh /tmp/cluster-slot/bin2/gnnscale /tmp/cluster-slot/bin2/bench_subgraph
# a second pass of gnnscale's runs alone (no peer, same profile), for the spread
OUT=/tmp/cluster-slot/timing2 DATA=/tmp/cluster-data THREADS=2 EPOCHS=30 PEER=0 \
  PROFILE=/tmp/cluster-slot/timing/profile.txt \
  bash bench/cluster_timing.sh /tmp/cluster-slot/bin2/gnnscale /tmp/cluster-slot/bin2/bench_subgraph
for pg in $(cat /tmp/cluster-slot/pause.pgids 2>/dev/null); do kill -CONT -$pg 2>/dev/null; done
echo "slot done $(date -u +%H:%M:%S)"
