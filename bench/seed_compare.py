#!/usr/bin/python3
"""Two programs' test accuracies over many seeds: is a parity row's gap a difference of programs
or the spread of ten random draws? (issue 9, the Facebook GIN and SGC rows.)

Reads JSON lines holding per-seed test accuracies ("test_per_seed", first seed from
"seed_first" or a "seeds" range such as "10-19", program name in "program"), keeps for each
of the two programs named one value per seed (a seed measured twice must agree to 0.01, or the
run stops: two different numbers for one seed means two different programs were pooled), and
prints for the seeds both have:
- mean +- sample std per program, the mean difference with its standard error and a 95%
  interval (independent draws: the programs share seed numbers, not random numbers);
- a scale test that outlying seeds cannot fake: Brown-Forsythe's mean absolute deviation from
  the median, its p-value by 20,000 permutations of the median-centred values (one-sided, the
  first program wider), beside the plain variance ratio;
- the parity bar (|mean difference| <= 1.0, std <= max(1.5 x the peer's, 1.0)) on each block
  of ten consecutive seeds (0-9, 10-19, ...) that both programs have in full, and the share
  of 20,000 random ten-seed draws (without replacement, from each program's own values) that
  pass it: how often a ten-seed row of these two programs passes, beside the same share for
  two identical programs (both rows drawn from the two programs' values pooled).

    /usr/bin/python3 bench/seed_compare.py bench/out/gin-facebook-seeds.jsonl
    /usr/bin/python3 bench/seed_compare.py bench/out/parity-all.jsonl bench/out/sgc-facebook-seeds.jsonl \
        --dataset facebook-page-page --model sgc
"""

import argparse
import json
import random
import statistics
import sys


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("files", nargs="+", help="JSON-lines files with per-seed test accuracies")
    p.add_argument("--program", default="gnnscale", help="the first program's name (default gnnscale)")
    p.add_argument("--peer", default="pytorch", help="the second program's name (default pytorch)")
    p.add_argument("--dataset", help="keep only lines of this dataset (lines naming none are kept)")
    p.add_argument("--model", help="keep only lines of this model (lines naming none are kept)")
    p.add_argument("--draws", type=int, default=20000, help="permutations and ten-seed draws (default 20000)")
    p.add_argument("--block", type=int, default=10, help="seeds per parity row (default 10)")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    return p.parse_args(argv)


def first_seed(record, where):
    if "seed_first" in record:
        return int(record["seed_first"])
    seeds = record.get("seeds")
    if isinstance(seeds, str) and "-" in seeds:
        return int(seeds.split("-")[0])
    if isinstance(seeds, int):  # a parity.py line: seeds 0..K-1
        return 0
    raise SystemExit(f"{where}: no 'seed_first', and 'seeds' is neither a count nor a range like \"10-19\"")


def read_values(files, program, dataset, model):
    """seed -> test accuracy for `program`, from every line naming it (and the dataset and model
    asked for, where a line names them)."""
    values = {}
    for path in files:
        try:
            handle = open(path)
        except OSError as e:
            raise SystemExit(f"{path}: cannot open: {e.strerror}")
        with handle:
            for number, line in enumerate(handle, 1):
                if not line.strip():
                    continue
                where = f"{path}:{number}"
                try:
                    record = json.loads(line)
                except json.JSONDecodeError as e:
                    raise SystemExit(f"{where}: not JSON: {e}")
                if record.get("program") != program:
                    continue
                if dataset and record.get("dataset", dataset) != dataset:
                    continue
                if model and record.get("model", model) != model:
                    continue
                tests = record.get("test_per_seed")
                if not isinstance(tests, list):
                    raise SystemExit(f"{where}: no 'test_per_seed' list")
                start = first_seed(record, where)
                for offset, value in enumerate(tests):
                    seed = start + offset
                    if seed in values and abs(values[seed] - value) > 0.01:
                        raise SystemExit(f"{where}: seed {seed} is {value} here and {values[seed]} "
                                         "on an earlier line: two different programs pooled?")
                    values[seed] = float(value)
    return values


def brown_forsythe(a, b):
    """Mean absolute deviation from the median, a's minus b's."""
    ma, mb = statistics.median(a), statistics.median(b)
    return statistics.fmean(abs(x - ma) for x in a) - statistics.fmean(abs(x - mb) for x in b)


def scale_p_value(a, b, draws, rng):
    """One-sided permutation p of Brown-Forsythe's statistic (a wider than b)."""
    observed = brown_forsythe(a, b)
    pool = [x - statistics.median(a) for x in a] + [x - statistics.median(b) for x in b]
    hits = 0
    for _ in range(draws):
        rng.shuffle(pool)
        if brown_forsythe(pool[:len(a)], pool[len(a):]) >= observed - 1e-12:
            hits += 1
    return observed, hits / draws


def passes(a, b):
    gap = statistics.fmean(a) - statistics.fmean(b)
    return abs(gap) <= 1.0 and statistics.stdev(a) <= max(1.5 * statistics.stdev(b), 1.0)


def main(argv):
    args = parse_args(argv)
    if args.block < 2:
        raise SystemExit("--block must be at least 2")
    a_all, b_all = (read_values(args.files, args.program, args.dataset, args.model),
                    read_values(args.files, args.peer, args.dataset, args.model))
    seeds = sorted(set(a_all) & set(b_all))
    if len(seeds) < args.block:
        raise SystemExit(f"{len(seeds)} seeds measured for both '{args.program}' and '{args.peer}'; "
                         f"need at least {args.block}")
    a = [a_all[s] for s in seeds]
    b = [b_all[s] for s in seeds]
    n = len(seeds)
    rng = random.Random(12345)
    gap = statistics.fmean(a) - statistics.fmean(b)
    se = (statistics.variance(a) / n + statistics.variance(b) / n) ** 0.5
    bf, p_scale = scale_p_value(a, b, args.draws, rng)
    blocks = []  # aligned blocks of consecutive seeds (0-9, 10-19, ...) both programs have in full
    for start in sorted({s - s % args.block for s in seeds}):
        block = list(range(start, start + args.block))
        if not all(s in a_all and s in b_all for s in block):
            continue
        xa, xb = [a_all[s] for s in block], [b_all[s] for s in block]
        blocks.append(dict(seeds=f"{block[0]}-{block[-1]}",
                           program=round(statistics.fmean(xa), 2), program_std=round(statistics.stdev(xa), 2),
                           peer=round(statistics.fmean(xb), 2), peer_std=round(statistics.stdev(xb), 2),
                           passes=passes(xa, xb)))
    pass_share = sum(passes(rng.sample(a, args.block), rng.sample(b, args.block))
                     for _ in range(args.draws)) / args.draws
    # The same, for two identical programs: both rows drawn from the pooled values.
    pooled = a + b
    same_share = sum(passes(rng.sample(pooled, args.block), rng.sample(pooled, args.block))
                     for _ in range(args.draws)) / args.draws
    out = dict(program=args.program, peer=args.peer, seeds=n, seed_range=f"{seeds[0]}-{seeds[-1]}",
               program_mean=round(statistics.fmean(a), 3), program_std=round(statistics.stdev(a), 3),
               peer_mean=round(statistics.fmean(b), 3), peer_std=round(statistics.stdev(b), 3),
               mean_diff=round(gap, 3), mean_diff_se=round(se, 3),
               mean_diff_95=[round(gap - 1.96 * se, 3), round(gap + 1.96 * se, 3)],
               std_ratio=round(statistics.stdev(a) / statistics.stdev(b), 3),
               brown_forsythe=round(bf, 3), brown_forsythe_p_one_sided=round(p_scale, 4),
               blocks=blocks, ten_seed_pass_share=round(pass_share, 3),
               ten_seed_pass_share_if_identical=round(same_share, 3))
    if args.json:
        print(json.dumps(out))
        return
    print(f"{n} seeds ({out['seed_range']}) measured for both")
    print(f"  {args.program:>10}: {out['program_mean']:.2f} +- {out['program_std']:.2f}")
    print(f"  {args.peer:>10}: {out['peer_mean']:.2f} +- {out['peer_std']:.2f}")
    print(f"  mean difference {gap:+.2f} (standard error {se:.2f}; 95% interval "
          f"{out['mean_diff_95'][0]:+.2f} to {out['mean_diff_95'][1]:+.2f})")
    print(f"  std ratio {out['std_ratio']:.2f}; Brown-Forsythe {bf:+.3f}, one-sided permutation p = {p_scale:.4f}")
    print(f"  bar on each block of {args.block} seeds:")
    for blk in blocks:
        print(f"    seeds {blk['seeds']:>7}: {blk['program']:.2f} +- {blk['program_std']:.2f} against "
              f"{blk['peer']:.2f} +- {blk['peer_std']:.2f}  {'passes' if blk['passes'] else 'fails'}")
    print(f"  random {args.block}-seed rows that pass the bar: {100 * pass_share:.1f}% "
          f"(two identical programs with these values pooled: {100 * same_share:.1f}%)")


if __name__ == "__main__":
    main(sys.argv[1:])
