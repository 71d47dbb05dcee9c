#!/usr/bin/env python3
"""Times an external command (an anchor binary such as Ripser) for the topofr bench.

usage: timed_run.py RUNS TIMEOUT_S -- CMD [ARGS...]

Runs CMD RUNS times (stdout discarded) and prints one JSON line: wall times in ms and the peak
RSS over the runs (getrusage(RUSAGE_CHILDREN) is the high-water mark of the waited-for children).
Stops at the first failure and reports why: exit code, signal name, timeout, last stderr lines.
"""
import json
import resource
import signal
import statistics
import subprocess
import sys
import time


def peak_mb():
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # KiB on Linux


def main():
    runs, timeout = int(sys.argv[1]), float(sys.argv[2])
    cmd = sys.argv[sys.argv.index("--") + 1:]
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        try:
            p = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=timeout)
        except subprocess.TimeoutExpired:
            print(json.dumps({"status": "failed", "reason": f"timed out after {timeout:g} s"}))
            return
        wall = (time.perf_counter() - t0) * 1e3
        if p.returncode != 0:
            how = (f"aborted ({signal.Signals(-p.returncode).name})" if p.returncode < 0
                   else f"exited with code {p.returncode}")
            tail = p.stderr.decode(errors="replace").strip().splitlines()[-2:]
            print(json.dumps({"status": "failed", "reason": how, "stderr": " | ".join(tail),
                              "wall_ms": wall, "peak_rss_mb": peak_mb()}))
            return
        times.append(wall)
    print(json.dumps({"status": "ok", "median": statistics.median(times), "min": min(times),
                      "max": max(times), "runs": runs, "peak_rss_mb": peak_mb()}))


if __name__ == "__main__":
    main()
