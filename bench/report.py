"""The table and the chart of a benchmark run: every result line against its goal.

Reads the `<name>: ratio <r> (ours <x> <unit>, baseline <y> <unit>)` lines of a
run's log (stdin or a file), prints one table with the goal each ratio is held
to (from the issues; "-" when a line is information only), and draws them as a
bar chart (PNG, matplotlib) with the goals marked.

Run: $VENV/bin/python bench/report.py LOG [--png bench/results.png]
"""
import argparse
import re
import sys

LINE = re.compile(r"^([a-z0-9_]+): ratio ([0-9.]+) \(ours (.+), baseline (.+)\)$")

# ratio goals (ratio = ours/baseline, or baseline/ours for times and CPU)
GOALS = [
    (r"insert_\d+d$", 1.5, "issue 3: insert >= 1.5x pymilvus rows/s"),
    (r"insert_\d+d_cpu$", 4.0, "issue 3: backend CPU <= 0.25x pymilvus's"),
    (r"insert_\d+d_cpu_without_source$", 4.0, "issue 3: same, reading the source table excluded"),
    (r"read_full$", 1.5, "issue 4: full read >= 1.5x query_iterator"),
    (r"search_p50$", 1 / 1.2, "issue 4: search p50 <= 1.2x pymilvus (+1 ms)"),
    (r"scan_vs_iterator_", 5.0, "issue 5: binlog scan >= 5x query_iterator"),
    (r"scan_vs_heap_", 0.25, "issue 5: binlog scan >= 0.25x heap scan"),
    (r"scan_noflush_vs_heap_", 0.25, "issue 5: same goal, without the Flush"),
    (r"import_vs_insert", 3.0, "issue 6: import >= 3x batched insert"),
]


def goal_of(name):
    for pattern, goal, why in GOALS:
        if re.search(pattern, name):
            return goal, why
    return None, "information"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("log", nargs="?", help="a run's output (default: stdin)")
    parser.add_argument("--png", help="write the chart here")
    args = parser.parse_args()
    text = open(args.log).read() if args.log else sys.stdin.read()
    rows = []
    for line in text.splitlines():
        m = LINE.match(line.strip())
        if m:
            name, ratio, ours, base = m.group(1), float(m.group(2)), m.group(3), m.group(4)
            goal, why = goal_of(name)
            rows.append((name, ratio, ours, base, goal, why))
    print(f"{'benchmark':32} {'ratio':>7} {'goal':>6}  {'met':4} {'ours':22} {'baseline':22}")
    for name, ratio, ours, base, goal, _ in rows:
        met = "-" if goal is None else ("yes" if ratio >= goal * 0.999 else "NO")
        g = "-" if goal is None else f"{goal:.2f}"
        print(f"{name:32} {ratio:7.2f} {g:>6}  {met:4} {ours:22} {base:22}")
    if args.png and rows:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        fig, ax = plt.subplots(figsize=(10, 0.45 * len(rows) + 1.5))
        names = [r[0] for r in rows][::-1]
        ratios = [r[1] for r in rows][::-1]
        goals = [r[4] for r in rows][::-1]
        colors = ["#4c72b0" if g is None else ("#55a868" if r >= g * 0.999 else "#c44e52")
                  for r, g in zip(ratios, goals)]
        ax.barh(names, ratios, color=colors)
        for i, g in enumerate(goals):
            if g is not None:
                ax.plot([g, g], [i - 0.4, i + 0.4], color="black", linewidth=2)
        ax.axvline(1.0, color="grey", linestyle=":", linewidth=1)
        ax.set_xscale("log")
        ax.set_xlabel("ratio, milvus_fdw / baseline (log scale; > 1 is better for milvus_fdw)")
        ax.set_title("milvus_fdw benchmarks: green meets its goal (black mark), red does not, blue is information")
        for i, r in enumerate(ratios):
            ax.text(r, i, f" {r:.2f}", va="center", fontsize=8)
        fig.tight_layout()
        fig.savefig(args.png, dpi=110)
        print(f"chart: {args.png}")


if __name__ == "__main__":
    main()
