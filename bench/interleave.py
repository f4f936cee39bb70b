#!/usr/bin/python3
"""Runs benchmark contestants interleaved and reports medians, spreads and ratios.

One run of a benchmark proves nothing on a shared machine: throughput of the same program moves by
a factor of three within minutes (issue 21). So every bench/ script hands its commands to this
runner, which runs them in rounds (A B C, then B C A, then C A B, ...: each contestant runs in every
position, so a slow spell of the machine hits all of them alike), reads the JSON each command
prints, and reports per value its median, min-max and interquartile range over the rounds, and per
ratio the ratio of the two values *within each round*, summarised the same way. A ratio whose
min-max range contains 1.0 is flagged: on this machine, at these rounds, the two are not
distinguishable.

    bench/interleave.py --rounds 5 \
        --run 'one=launch/mpirun.sh -np 1 build/bench/fct_bench_train_throughput --threads 2' \
        --run 'two=launch/mpirun.sh -np 2 build/bench/fct_bench_train_throughput --threads 1' \
        --value '1 rank x 2 threads img/s=one:images_per_s' \
        --value '2 ranks x 1 thread img/s=two:images_per_s' \
        --ratio '2x1 over 1x2=2 ranks x 1 thread img/s/1 rank x 2 threads img/s'

A value names a run and a dotted path into the last JSON object that run printed on stdout
(`results.0.seconds` indexes lists), or `@wall_s` (the command's wall-clock seconds, measured
here) or `@per_s:N` (N divided by those seconds: items per second of a whole command that prints
no JSON, start-up included). A ratio is LABEL=NUMERATOR/DENOMINATOR, both value labels; a
label containing '/' is written in full, the split is at the '/' that leaves two known labels.
Standard library only, so it runs wherever Python 3 does. Exit status: 0, or 1 when a command
failed (its stderr tail and the round are printed).
"""

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time


def parse_pair(text, what):
    if "=" not in text:
        raise SystemExit(f"interleave: {what} '{text}' is not NAME=...")
    name, rest = text.split("=", 1)
    if not name or not rest:
        raise SystemExit(f"interleave: {what} '{text}' has an empty side")
    return name, rest


def last_json(stdout, command):
    for line in reversed(stdout.splitlines()):
        line = line.strip()
        if line.startswith("{"):
            try:
                return json.loads(line)
            except json.JSONDecodeError:
                continue
    # A command may print indented JSON: try the whole output from its first '{'.
    start = stdout.find("{")
    if start >= 0:
        try:
            return json.loads(stdout[start:])
        except json.JSONDecodeError:
            pass
    raise ValueError(f"no JSON object in the output of: {command}")


def lookup(record, path, where, wall_s):
    if path == "@wall_s":
        return wall_s
    if path.startswith("@per_s:"):
        return float(path[len("@per_s:"):]) / wall_s
    value = record
    for part in path.split("."):
        if isinstance(value, list):
            value = value[int(part)]
        elif isinstance(value, dict) and part in value:
            value = value[part]
        else:
            raise KeyError(f"{where}: no '{path}' in {json.dumps(record)[:300]}")
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        raise ValueError(f"{where}: '{path}' is {value!r}, not a number")
    return float(value)


def quartiles(values):
    if len(values) < 2:
        return values[0], values[0]
    q = statistics.quantiles(values, n=4, method="inclusive")
    return q[0], q[2]


def summary(values):
    low, high = quartiles(values)
    return {
        "median": statistics.median(values),
        "min": min(values),
        "max": max(values),
        "q1": low,
        "q3": high,
        "n": len(values),
        "rounds": values,
    }


def number(x):
    if x == 0:
        return "0"
    magnitude = abs(x)
    if magnitude >= 1000:
        return f"{x:,.0f}".replace(",", " ")
    if magnitude >= 100:
        return f"{x:.1f}"
    if magnitude >= 1:
        return f"{x:.3g}" if magnitude < 10 else f"{x:.2f}"
    return f"{x:.3g}"


def machine():
    model = platform.processor() or "unknown CPU"
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return {"cpu": model, "cores": os.cpu_count(), "host": platform.node()}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=int(os.environ.get("FCT_BENCH_ROUNDS", 5)))
    parser.add_argument("--warmup", type=int, default=0,
                        help="unreported rounds first (page cache, lazy loading)")
    parser.add_argument("--run", action="append", default=[], metavar="NAME=COMMAND")
    parser.add_argument("--value", action="append", default=[], metavar="LABEL=RUN:PATH")
    parser.add_argument("--ratio", action="append", default=[], metavar="LABEL=VALUE/VALUE")
    parser.add_argument("--require", action="append", default=[], metavar="RUN:PATH",
                        help="a JSON value that must be true in every round (a correctness check)")
    parser.add_argument("--title", default="")
    parser.add_argument("--json", default=os.environ.get("FCT_BENCH_JSON", ""),
                        help="also write the summary (every round's numbers) to this file")
    args = parser.parse_args()
    if args.rounds < 1:
        raise SystemExit("interleave: --rounds must be at least 1")

    runs = [parse_pair(r, "--run") for r in args.run]
    run_names = [name for name, _ in runs]
    if len(set(run_names)) != len(run_names):
        raise SystemExit("interleave: two --run share a name")
    values = []
    for text in args.value:
        label, ref = parse_pair(text, "--value")
        run, sep, path = ref.partition(":")
        if not sep or run not in run_names:
            raise SystemExit(f"interleave: --value '{text}': '{run}' is not a --run name")
        values.append((label, run, path))
    value_labels = [label for label, _, _ in values]
    ratios = []
    for text in args.ratio:
        label, expr = parse_pair(text, "--ratio")
        split = [(expr[:i], expr[i + 1:]) for i, c in enumerate(expr) if c == "/"]
        split = [(a, b) for a, b in split if a in value_labels and b in value_labels]
        if len(split) != 1:
            raise SystemExit(f"interleave: --ratio '{text}': expected VALUE/VALUE of --value labels")
        ratios.append((label, *split[0]))

    requires = []
    for text in args.require:
        run, sep, path = text.partition(":")
        if not sep or run not in run_names:
            raise SystemExit(f"interleave: --require '{text}': '{run}' is not a --run name")
        requires.append((run, path))
    needs_json = {name: any(r == name and not p.startswith("@") for _, r, p in values)
                  or any(r == name for r, _ in requires) for name in run_names}
    info = machine()
    title = args.title or "benchmark"
    print(f"# {title}: {args.rounds} interleaved rounds on {info['cpu']}, {info['cores']} cores",
          flush=True)
    load_before = os.getloadavg()
    per_value = {label: [] for label in value_labels}
    per_ratio = {label: [] for label, _, _ in ratios}
    started = time.time()
    total = args.warmup + args.rounds
    for round_index in range(total):
        warm = round_index < args.warmup
        shift = round_index % len(runs)
        order = runs[shift:] + runs[:shift]
        outputs, walls = {}, {}
        for name, command in order:
            tag = "warm-up" if warm else f"round {round_index - args.warmup + 1}/{args.rounds}"
            print(f"  {tag}: {name} ...", end="", file=sys.stderr, flush=True)
            t0 = time.time()
            done = subprocess.run(command, shell=True, executable="/bin/bash",
                                  capture_output=True, text=True)
            elapsed = time.time() - t0
            print(f" {elapsed:.1f} s", file=sys.stderr, flush=True)
            if done.returncode != 0:
                print(f"interleave: '{name}' failed in {tag} (exit {done.returncode}): {command}\n"
                      + "\n".join(done.stderr.splitlines()[-20:]), file=sys.stderr)
                return 1
            walls[name] = elapsed
            try:
                outputs[name] = last_json(done.stdout, command) if needs_json[name] else {}
            except ValueError as error:
                print(f"interleave: {error}\n{done.stdout[-2000:]}", file=sys.stderr)
                return 1
        for run, path in requires:
            value = outputs[run]
            for part in path.split("."):
                value = value[int(part)] if isinstance(value, list) else value.get(part)
            if value is not True:
                print(f"interleave: '{run}' says {path} = {value!r}, expected true "
                      f"(round {round_index + 1})", file=sys.stderr)
                return 1
        if warm:
            continue
        this_round = {}
        for label, run, path in values:
            this_round[label] = lookup(outputs[run], path, f"run '{run}'", walls[run])
            per_value[label].append(this_round[label])
        for label, top, bottom in ratios:
            per_ratio[label].append(this_round[top] / this_round[bottom]
                                    if this_round[bottom] else float("inf"))

    report = {"title": title, "machine": info, "rounds": args.rounds,
              "seconds": round(time.time() - started, 1),
              "load_average_before": load_before, "load_average_after": os.getloadavg(),
              "commands": dict(runs), "values": {}, "ratios": {}}
    width = max([len(l) for l in value_labels + list(per_ratio)] + [10])
    print(f"{'':{width}}  {'median':>10}  {'min - max':>21}  {'IQR':>21}")
    for label in value_labels:
        s = summary(per_value[label])
        report["values"][label] = s
        print(f"{label:{width}}  {number(s['median']):>10}  "
              f"{number(s['min']) + ' - ' + number(s['max']):>21}  "
              f"{number(s['q1']) + ' - ' + number(s['q3']):>21}")
    for label, top, bottom in ratios:
        s = summary(per_ratio[label])
        s["numerator"], s["denominator"] = top, bottom
        s["spread_crosses_1"] = s["min"] <= 1.0 <= s["max"]
        report["ratios"][label] = s
        flag = "   spread crosses 1.0: not distinguishable" if s["spread_crosses_1"] else ""
        spread = f"{s['min']:.3f} - {s['max']:.3f}"
        iqr = f"{s['q1']:.3f} - {s['q3']:.3f}"
        print(f"{label:{width}}  {s['median']:>10.3f}  {spread:>21}  {iqr:>21}{flag}")
    print(f"# load average before {load_before[0]:.2f}, after {os.getloadavg()[0]:.2f}; "
          f"{report['seconds']} s")
    if args.json:
        tmp = args.json + ".tmp"
        with open(tmp, "w") as out:
            json.dump(report, out, indent=2)
            out.write("\n")
        os.replace(tmp, args.json)
        print(f"# every round: {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
