#!/usr/bin/env python3
"""Turns octet_bench's JSON output (--benchmark_out=run.json) into the Markdown tables of
bench/RESULTS.md: one row per shape, Octet ISAs and XNNPACK side by side."""
import json
import sys
from collections import OrderedDict


def load(path):
    with open(path) as f:
        return json.load(f)["benchmarks"]


def main(path):
    rows = OrderedDict()
    peaks = []
    for b in load(path):
        name = b["name"].replace("/real_time", "").replace("/iterations:1", "")
        if name.startswith("Peak/"):
            value = b.get("GOPS") or b.get("GFLOPS") or b.get("GBps")
            unit = "GOPS" if "GOPS" in b else "GFLOPS" if "GFLOPS" in b else "GB/s"
            peaks.append((name[5:], value, unit))
            continue
        if "error_occurred" in b:
            continue
        parts = name.split("/")
        kind, impl, shape, threads = parts[0], parts[1], "/".join(parts[2:-1]), parts[-1]
        key = (kind, shape, threads.replace("threads:", ""))
        rows.setdefault(key, {})[impl] = b
    print("### Machine limits (1 core unless noted)\n")
    print("| probe | value |\n|---|---|")
    for name, value, unit in peaks:
        print(f"| {name} | {value:.1f} {unit} |")
    for kind in ("Gemm", "DwConv"):
        print(f"\n### {kind}\n")
        print("| shape | thr | avx512vnni GOPS | % peak | avxvnni GOPS | avx2 GOPS | XNNPACK GOPS | x XNNPACK | extra |")
        print("|---|---|---|---|---|---|---|---|---|")
        for (k, shape, threads), impls in rows.items():
            if k != kind:
                continue
            def g(impl, field="GOPS"):
                b = impls.get(impl)
                return f"{b[field]:.0f}" if b and field in b else "-"
            main_b = impls.get("octet_avx512vnni", {})
            pct = f"{main_b['pct_peak']:.0f}" if "pct_peak" in main_b else "-"
            ratio = f"{main_b['vs_xnnpack']:.2f}" if "vs_xnnpack" in main_b else "-"
            extra = ""
            if "pct_dram_bw" in main_b:
                extra = f"{main_b['GBps']:.1f} GB/s = {main_b['pct_dram_bw']:.0f} % of DRAM read"
            print(f"| {shape} | {threads} | {g('octet_avx512vnni')} | {pct} | {g('octet_avxvnni')} | "
                  f"{g('octet_avx2')} | {g('xnnpack')} | {ratio} | {extra} |")


if __name__ == "__main__":
    main(sys.argv[1])
