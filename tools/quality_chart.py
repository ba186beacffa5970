#!/usr/bin/env python3
"""Held-out SSIM of several training runs on one chart, against iterations and against training time.

    tools/quality_chart.py --out chart.png LABEL=MODEL_DIR/quality.csv [LABEL=...]

Each quality.csv is dfl-train's (`iteration,seconds,ssim,psnr`, one row per held-out evaluation). The left
panel puts the runs side by side at equal iterations, the right one at equal training time (the seconds
column: training time, without the evaluations). Needs matplotlib (`pip install matplotlib`); it is a
documentation helper, not part of the tools.
"""
import argparse
import csv

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def read_quality(path):
    """(iterations, minutes, ssim) lists of a quality.csv."""
    its, minutes, ssim = [], [], []
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            its.append(int(row["iteration"]))
            minutes.append(float(row["seconds"]) / 60)
            ssim.append(float(row["ssim"]))
    return its, minutes, ssim


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True, help="the PNG to write")
    ap.add_argument("--title", default="held-out SSIM")
    ap.add_argument("--mark-minutes", type=float, help="a dashed line at this training time (a run's planned end)")
    ap.add_argument("runs", nargs="+", metavar="LABEL=CSV")
    args = ap.parse_args()
    fig, (by_iter, by_time) = plt.subplots(1, 2, figsize=(10, 3.6), sharey=True)
    for spec in args.runs:
        label, _, path = spec.partition("=")
        its, minutes, ssim = read_quality(path)
        by_iter.plot(its, ssim, marker=".", label=label)
        by_time.plot(minutes, ssim, marker=".", label=label)
    if args.mark_minutes is not None:
        by_time.axvline(args.mark_minutes, color="gray", linestyle="--", linewidth=1)
    by_iter.set_xlabel("iteration")
    by_time.set_xlabel("training minutes")
    by_iter.set_ylabel(args.title)
    for ax in (by_iter, by_time):
        ax.grid(alpha=0.3)
        ax.legend()
    fig.tight_layout()
    fig.savefig(args.out, dpi=90)


if __name__ == "__main__":
    main()
