#!/usr/bin/env python3
"""Per-file compress speed, side by side (issue 29): alternating runs of several commands on
one recording, each timed by the CPU time (user + system) the kernel charges to the child
(wait4's rusage) and by its wall time.

    python3 scripts/bench-compress.py [--runs N] FILE 'LABEL|COMMAND|OUT_SUFFIX' ...

COMMAND is split on spaces and given FILE and a fresh output path (OUT_SUFFIX, e.g. `nrc`
or `bw`) as its last two arguments; the output is removed before every run (so no
`--force` and no fsync), standard output goes to /dev/null. The commands run in turn, the
order rotated every round, so that a machine loaded by other work weighs on all of them
alike. Prints each command's median and mean CPU time, its median wall time, the median
page faults, and every command's median CPU against the first's.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time


def run_once(argv, out_path):
    try:
        os.unlink(out_path)
    except FileNotFoundError:
        pass
    devnull = os.open(os.devnull, os.O_WRONLY)
    t0 = time.perf_counter()
    pid = os.posix_spawn(
        argv[0],
        argv,
        os.environ,
        file_actions=[(os.POSIX_SPAWN_DUP2, devnull, 1)],
    )
    _, status, ru = os.wait4(pid, 0)
    wall = time.perf_counter() - t0
    os.close(devnull)
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"{' '.join(argv)} failed with status {status}")
    return ru.ru_utime + ru.ru_stime, ru.ru_utime, ru.ru_stime, wall, ru.ru_minflt + ru.ru_majflt


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=100)
    ap.add_argument("file")
    ap.add_argument("commands", nargs="+", help="LABEL|COMMAND|OUT_SUFFIX")
    a = ap.parse_args()
    specs = []
    tmp = tempfile.mkdtemp(prefix="bench-compress-")
    for i, c in enumerate(a.commands):
        parts = c.split("|")
        if len(parts) != 3:
            sys.exit(f"{c!r}: expected LABEL|COMMAND|OUT_SUFFIX")
        label, cmd, suffix = parts
        argv = cmd.split()
        if "/" not in argv[0]:
            import shutil

            found = shutil.which(argv[0])
            if not found:
                sys.exit(f"{argv[0]}: not found")
            argv[0] = found
        out = os.path.join(tmp, f"out{i}.{suffix}")
        specs.append((label, argv + [a.file, out], out))
    results = {label: [] for label, _, _ in specs}
    load0 = os.getloadavg()[0]
    for r in range(a.runs):
        k = r % len(specs)
        for label, argv, out in specs[k:] + specs[:k]:
            results[label].append(run_once(argv, out))
    load1 = os.getloadavg()[0]
    print(f"{a.runs} alternating runs each of {a.file}; load average {load0:.1f} -> {load1:.1f}")
    first = None
    for label, _, _ in specs:
        rs = results[label]
        cpu = statistics.median(x[0] for x in rs) * 1e3
        mean = statistics.mean(x[0] for x in rs) * 1e3
        usr = statistics.median(x[1] for x in rs) * 1e3
        sys_ = statistics.median(x[2] for x in rs) * 1e3
        wall = statistics.median(x[3] for x in rs) * 1e3
        pf = statistics.median(x[4] for x in rs)
        first = first or cpu
        print(
            f"{label:>12}: CPU median {cpu:.2f} ms (mean {mean:.2f}; user {usr:.2f}, sys {sys_:.2f}), "
            f"wall median {wall:.2f} ms, {pf:.0f} page faults; {cpu / first:.2f}x the first"
        )
    for _, _, out in specs:
        try:
            os.unlink(out)
        except FileNotFoundError:
            pass
    os.rmdir(tmp)


if __name__ == "__main__":
    main()
