#!/usr/bin/env python3
"""Times Ferry against rclone, s5cmd and the aws cli on one local S3 server, several runs each.

Reads the server from GARAGE_* variables (bench/garage.sh prints them) and the ferry binary from
FERRY_BIN. Writes bench/results/latest.{md,json,png}. Every tool gets its own prefix and its
own local folders, so no run sees another's data.
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

MIB = 1024 * 1024
ROOT = Path(__file__).resolve().parent


def env_for(tool):
    e = dict(os.environ)
    e["AWS_ACCESS_KEY_ID"] = os.environ["GARAGE_KEY"]
    e["AWS_SECRET_ACCESS_KEY"] = os.environ["GARAGE_SECRET"]
    e["AWS_DEFAULT_REGION"] = e["AWS_REGION"] = os.environ["GARAGE_REGION"]
    if tool == "rclone":
        # Debian's rclone 1.60 fails every call when AWS_CA_BUNDLE is set.
        e.pop("AWS_CA_BUNDLE", None)
        e.update(
            RCLONE_CONFIG_G_TYPE="s3",
            RCLONE_CONFIG_G_PROVIDER="Other",
            RCLONE_CONFIG_G_ENDPOINT=os.environ["GARAGE_ENDPOINT"],
            RCLONE_CONFIG_G_ACCESS_KEY_ID=os.environ["GARAGE_KEY"],
            RCLONE_CONFIG_G_SECRET_ACCESS_KEY=os.environ["GARAGE_SECRET"],
            RCLONE_CONFIG_G_REGION=os.environ["GARAGE_REGION"],
            RCLONE_CONFIG_G_FORCE_PATH_STYLE="true",
        )
    if tool == "ferry":
        e["FERRY_CONFIG_DIR"] = FERRY_CONFIG
        e["FERRY_DATA_DIR"] = FERRY_DATA
    return e


def settle():
    """Puts the machine in the same state before every timed command: dirty pages of earlier
    runs written out (their writeback otherwise lands in whichever run comes next), and free
    memory touched once (this VM's balloon hands freed pages back to the host, and the first
    touch of such a page costs ~3 µs: whoever writes 1 GiB first after a pause paid ~3 s)."""
    subprocess.run(["sync"], check=True)
    warm = Path("/dev/shm/ferry-bench-warm")
    try:
        with open(warm, "wb") as f:
            block = bytes(16 * MIB)
            for _ in range(96):
                f.write(block)
    except OSError:
        pass
    finally:
        warm.unlink(missing_ok=True)


def measure(cmd, tool):
    """Runs `cmd`; returns (seconds, peak RSS in MiB). Fails loudly if the tool fails."""
    settle()
    timed = ["/usr/bin/time", "-f", "%e %M", "-o", TIMEFILE] + cmd
    start = time.monotonic()
    out = subprocess.run(timed, env=env_for(tool), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    seconds = time.monotonic() - start
    if out.returncode != 0:
        sys.exit(f"{tool} failed: {' '.join(cmd)}\n{out.stderr.decode()[-2000:]}")
    rss_kib = int(Path(TIMEFILE).read_text().split()[-1])
    return seconds, rss_kib / 1024


def commands(tool, workload, ctx):
    """The command line of `tool` for `workload`, with a fresh target for run `ctx['run']`."""
    b, ep, run = os.environ["GARAGE_BUCKET"], os.environ["GARAGE_ENDPOINT"], ctx["run"]
    s3 = f"s3://{b}/{tool}"
    local_out = ctx["tmp"] / f"{tool}-{workload}-{run}"
    big, small, mixed = str(ctx["big"]), str(ctx["small"]), str(ctx["mixed"])
    ferry, s5 = [FERRY], ["s5cmd", "--endpoint-url", ep]
    aws = ["aws", "--endpoint-url", ep, "s3"]
    table = {
        "upload 1 GiB": {
            "ferry": ferry + ["cp", "--overwrite", big, f"bench:{tool}/big.bin"],
            "s5cmd": s5 + ["cp", big, f"{s3}/big.bin"],
            # Without --ignore-times rclone skips the file once an earlier run left it there.
            "rclone": ["rclone", "copyto", "--ignore-times", big, f"g:{b}/{tool}/big.bin"],
            "aws": aws + ["cp", big, f"{s3}/big.bin"],
        },
        "download 1 GiB": {
            "ferry": ferry + ["cp", f"bench:{tool}/big.bin", str(local_out)],
            "s5cmd": s5 + ["cp", f"{s3}/big.bin", str(local_out)],
            "rclone": ["rclone", "copyto", f"g:{b}/{tool}/big.bin", str(local_out)],
            "aws": aws + ["cp", f"{s3}/big.bin", str(local_out)],
        },
        "upload 2,000 × 16 KiB": {
            "ferry": ferry + ["cp", "-r", "--overwrite", small, f"bench:{tool}/small-{run}/"],
            "s5cmd": s5 + ["cp", small + "/*", f"{s3}/small-{run}/"],
            "rclone": ["rclone", "copy", small, f"g:{b}/{tool}/small-{run}", "--transfers", "16"],
            "aws": aws + ["cp", "--recursive", small, f"{s3}/small-{run}/"],
        },
        "download 2,000 × 16 KiB": {
            "ferry": ferry + ["cp", "-r", f"bench:{tool}/small-0/", str(local_out)],
            "s5cmd": s5 + ["cp", f"{s3}/small-0/*", str(local_out) + "/"],
            "rclone": ["rclone", "copy", f"g:{b}/{tool}/small-0", str(local_out), "--transfers", "16"],
            "aws": aws + ["cp", "--recursive", f"{s3}/small-0/", str(local_out)],
        },
        ctx["list"]: {
            "ferry": ferry + ["ls", "-r", "bench:list/"],
            "s5cmd": s5 + ["ls", f"s3://{b}/list/*"],
            "rclone": ["rclone", "lsf", "-R", f"g:{b}/list"],
            "aws": aws + ["ls", "--recursive", f"s3://{b}/list/"],
        },
        "no-op sync 2,000": {
            "ferry": ferry + ["sync", small, f"bench:{tool}/small-0/"],
            "s5cmd": s5 + ["sync", small + "/", f"{s3}/small-0/"],
            "rclone": ["rclone", "sync", small, f"g:{b}/{tool}/small-0"],
            "aws": aws + ["sync", small, f"{s3}/small-0/"],
        },
        "S3→S3 copy 1 GiB": {
            "ferry": ferry + ["cp", "--overwrite", f"bench:{tool}/big.bin", f"bench:{tool}/copy-{run}.bin"],
            "s5cmd": s5 + ["cp", f"{s3}/big.bin", f"{s3}/copy-{run}.bin"],
            "rclone": ["rclone", "copyto", f"g:{b}/{tool}/big.bin", f"g:{b}/{tool}/copy-{run}.bin"],
            "aws": aws + ["cp", f"{s3}/big.bin", f"{s3}/copy-{run}.bin"],
        },
        "upload mixed tree": {
            "ferry": ferry + ["cp", "-r", "--overwrite", mixed, f"bench:{tool}/mixed-{run}/"],
            "s5cmd": s5 + ["cp", mixed + "/*", f"{s3}/mixed-{run}/"],
            "rclone": ["rclone", "copy", mixed, f"g:{b}/{tool}/mixed-{run}", "--transfers", "16"],
            "aws": aws + ["cp", "--recursive", mixed, f"{s3}/mixed-{run}/"],
        },
    }
    return table[workload][tool]


def data(tmp, large):
    big = tmp / "big.bin"
    with open(big, "wb") as f:
        for _ in range(1024):
            f.write(os.urandom(MIB))
    small = tmp / "small"
    small.mkdir()
    for i in range(2000):
        (small / f"d{i % 20}").mkdir(exist_ok=True)
        (small / f"d{i % 20}" / f"f{i}.bin").write_bytes(os.urandom(16 * 1024))
    mixed = tmp / "mixed"
    mixed.mkdir()
    size, i = 1024, 0
    while size <= 256 * MIB:
        for j in range(max(1, 40 // (i + 1))):
            (mixed / f"s{i}-{j}.bin").write_bytes(os.urandom(size))
        size, i = size * 4, i + 1
    listing = tmp / "listing"
    listing.mkdir()
    count = 100_000 if large else 20_000
    for i in range(count):
        (listing / f"o{i:06}").write_bytes(b"x")
    return big, small, mixed, listing


def ceilings(ctx):
    """What the machine can do without a client's own work: raw curl transfers against the same
    server (one PUT/GET of the 1 GiB file; the 2,000 small files 16 at a time) and a local cp."""
    ep, b = os.environ["GARAGE_ENDPOINT"], os.environ["GARAGE_BUCKET"]
    user = f"{os.environ['GARAGE_KEY']}:{os.environ['GARAGE_SECRET']}"
    sig = f"aws:amz:{os.environ['GARAGE_REGION']}:s3"
    curl = ["curl", "-sf", "--aws-sigv4", sig, "--user", user, "-H", "x-amz-content-sha256: UNSIGNED-PAYLOAD"]
    put = measure(curl + ["-T", str(ctx["big"]), f"{ep}/{b}/curl/big.bin"], "curl")[0]
    get = measure(curl + ["-o", "/dev/null", f"{ep}/{b}/curl/big.bin"], "curl")[0]
    files = sorted(p.relative_to(ctx["small"]) for p in ctx["small"].rglob("*.bin"))
    ups, downs = ctx["tmp"] / "curl-put.cfg", ctx["tmp"] / "curl-get.cfg"
    ups.write_text("".join(f'upload-file = "{ctx["small"] / f}"\nurl = "{ep}/{b}/curl/small/{f}"\n' for f in files))
    downs.write_text("".join(f'url = "{ep}/{b}/curl/small/{f}"\noutput = "/dev/null"\n' for f in files))
    parallel = ["--parallel", "--parallel-max", "16", "-K"]
    put_small = measure(curl + parallel + [str(ups)], "curl")[0]
    get_small = measure(curl + parallel + [str(downs)], "curl")[0]
    cp = measure(["cp", str(ctx["big"]), str(ctx["tmp"] / "cp-copy.bin")], "cp")[0]
    return {
        "upload 1 GiB": put, "download 1 GiB": get,
        "upload 2,000 × 16 KiB": put_small, "download 2,000 × 16 KiB": get_small,
        "local cp 1 GiB": cp,
    }


# What each workload moves, for the throughput column: (amount, unit).
VOLUME = {
    "upload 1 GiB": (1024, "MiB/s"), "download 1 GiB": (1024, "MiB/s"),
    "upload 2,000 × 16 KiB": (2000, "files/s"), "download 2,000 × 16 KiB": (2000, "files/s"),
    "list 20,000": (20_000, "objects/s"), "list 100,000": (100_000, "objects/s"),
    "no-op sync 2,000": (2000, "files/s"), "S3→S3 copy 1 GiB": (1024, "MiB/s"),
}


# Ferry held to a bandwidth limit (`--bwlimit`): the rate it keeps is the figure.
BWLIMIT_MIB = 100


def bwlimit(ctx, runs):
    """Ferry's 1 GiB upload and download under `--bwlimit BWLIMIT_MIB M`: (direction, MiB/s of
    each run), the rate from the wall time (requests and verification included)."""
    out = ctx["tmp"] / "bwlimit.bin"
    rates = {"upload": [], "download": []}
    for _ in range(runs):
        for direction, cmd in [
            ("upload", ["cp", "--overwrite", str(ctx["big"]), "bench:ferry/bwlimit.bin"]),
            ("download", ["cp", "--overwrite", "bench:ferry/bwlimit.bin", str(out)]),
        ]:
            seconds, _ = measure([FERRY, "--bwlimit", f"{BWLIMIT_MIB}M"] + cmd, "ferry")
            rates[direction].append(1024 / seconds)
        out.unlink(missing_ok=True)
    return rates


def main():
    global FERRY, FERRY_CONFIG, FERRY_DATA, TIMEFILE
    p = argparse.ArgumentParser()
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--large", action="store_true", help="list 100,000 objects instead of 20,000")
    p.add_argument("--tools", default="ferry,s5cmd,rclone,aws")
    p.add_argument("--workloads", default="")
    args = p.parse_args()
    FERRY = os.environ["FERRY_BIN"]
    tmp = Path(tempfile.mkdtemp(prefix="ferry-bench-"))
    FERRY_CONFIG, FERRY_DATA, TIMEFILE = str(tmp / "cfg"), str(tmp / "data"), str(tmp / "time.txt")
    subprocess.run(
        [FERRY, "workspace", "add", "bench", "--id", "bench", "--bucket", os.environ["GARAGE_BUCKET"],
         "--endpoint", os.environ["GARAGE_ENDPOINT"], "--path-style", "--aws-chain",
         "--region", os.environ["GARAGE_REGION"],
         # Garage keeps flexible checksums; Ferry's default for a custom endpoint is to send
         # them only where required (R2 and B2 reject them), so it is set as a Garage user would.
         "--checksums", "when-supported"],
        env=env_for("ferry"), check=True, stdout=subprocess.DEVNULL)
    print(f"generating data in {tmp}…", file=sys.stderr)
    big, small, mixed, listing = data(tmp, args.large)
    ctx = {"tmp": tmp, "big": big, "small": small, "mixed": mixed, "run": 0,
           "list": "list 100,000" if args.large else "list 20,000"}
    print("seeding the listing prefix…", file=sys.stderr)
    subprocess.run(["s5cmd", "--endpoint-url", os.environ["GARAGE_ENDPOINT"], "cp", str(listing) + "/*",
                    f"s3://{os.environ['GARAGE_BUCKET']}/list/"], env=env_for("s5cmd"), check=True,
                   stdout=subprocess.DEVNULL)
    tools = args.tools.split(",")
    workloads = [w for w in [
        "upload 1 GiB", "download 1 GiB", "upload 2,000 × 16 KiB", "download 2,000 × 16 KiB",
        ctx["list"], "no-op sync 2,000", "S3→S3 copy 1 GiB", "upload mixed tree",
    ] if not args.workloads or any(k in w for k in args.workloads.split(","))]
    # Downloads and the copy fetch each tool's own upload: make it when its workload is filtered out.
    needs = {"download 1 GiB": "upload 1 GiB", "S3→S3 copy 1 GiB": "upload 1 GiB",
             "download 2,000 × 16 KiB": "upload 2,000 × 16 KiB"}
    for before in sorted({needs[w] for w in workloads if w in needs} - set(workloads)):
        print(f"preparing: {before}…", file=sys.stderr)
        for tool in tools:
            measure(commands(tool, before, ctx), tool)
    results = {}
    for workload in workloads:
        times = {t: [] for t in tools}
        rss = {t: [] for t in tools}
        if workload.startswith("no-op sync"):
            # The first sync is not a no-op: make each destination match first.
            for tool in tools:
                ctx["run"] = 0
                measure(commands(tool, workload, ctx), tool)
        for run in range(args.runs):
            ctx["run"] = run
            # Tools take turns, starting with a different one each run, so that no tool always
            # runs first (or right after the same neighbour).
            for tool in tools[run % len(tools):] + tools[:run % len(tools)]:
                seconds, peak = measure(commands(tool, workload, ctx), tool)
                times[tool].append(seconds)
                rss[tool].append(peak)
                out = tmp / f"{tool}-{workload}-{run}"
                if out.is_dir():
                    shutil.rmtree(out)
                elif out.is_file():
                    out.unlink()
        for tool in tools:
            results.setdefault(workload, {})[tool] = {
                "median": statistics.median(times[tool]), "min": min(times[tool]),
                "rss_mib": max(rss[tool]), "runs": times[tool],
            }
            print(f"{workload:28} {tool:7} median {statistics.median(times[tool]):7.2f} s"
                  f"  min {min(times[tool]):7.2f} s  rss {max(rss[tool]):7.1f} MiB", file=sys.stderr)
    limited = None
    if "ferry" in tools and (not args.workloads or "bwlimit" in args.workloads):
        print("bandwidth limit…", file=sys.stderr)
        limited = bwlimit(ctx, args.runs)
    ceil = ceilings(ctx)
    write(results, ceil, tools, args.runs, limited)
    shutil.rmtree(tmp, ignore_errors=True)


def write(results, ceil, tools, runs, limited=None):
    out = ROOT / "results"
    out.mkdir(exist_ok=True)
    (out / "latest.json").write_text(json.dumps(
        {"results": results, "ceilings": ceil, "runs": runs,
         "bwlimit": limited and {"limit_mib_s": BWLIMIT_MIB, "mib_s": limited}}, indent=2))
    lines = [f"Median of {runs} run(s) each, min in brackets; throughput from the median; peak RSS is the "
             "largest of the runs. Ratios are Ferry's median ÷ the best peer's median and ÷ the ceiling "
             "(lower is better).", "",
             "| workload | " + " | ".join(tools) + " | Ferry ÷ best peer | Ferry ÷ ceiling |",
             "|---|" + "---|" * (len(tools) + 2)]
    for workload, by_tool in results.items():
        amount, unit = VOLUME.get(workload, (None, ""))
        cells = []
        for t in tools:
            r = by_tool[t]
            rate = f", {amount / r['median']:,.0f} {unit}" if amount else ""
            cells.append(f"{r['median']:.2f} s ({r['min']:.2f}){rate}, {r['rss_mib']:.0f} MiB")
        peers = [by_tool[t]["median"] for t in tools if t != "ferry"]
        ratio = f"{by_tool['ferry']['median'] / min(peers):.2f}" if peers and "ferry" in by_tool else "–"
        c = ceil.get(workload)
        to_ceiling = f"{by_tool['ferry']['median'] / c:.2f}" if c and "ferry" in by_tool else "–"
        lines.append(f"| {workload} | " + " | ".join(cells) + f" | {ratio} | {to_ceiling} |")
    lines.append("")
    lines.append("Ceilings (raw curl on the same server; small files 16 at a time): "
                 + ", ".join(f"{k} {v:.2f} s" for k, v in ceil.items()))
    if limited:
        lines.append("")
        lines.append(f"Bandwidth limit (`ferry --bwlimit {BWLIMIT_MIB}M`, 1 GiB, median of {runs}): " + ", ".join(
            f"{d} {statistics.median(r):.0f} MiB/s ({100 * statistics.median(r) / BWLIMIT_MIB:.0f}% of the limit)"
            for d, r in limited.items()))
    (out / "latest.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        fig, ax = plt.subplots(figsize=(11, 5))
        names = list(results)
        width = 0.8 / len(tools)
        for i, t in enumerate(tools):
            ax.bar([x + i * width for x in range(len(names))],
                   [results[n][t]["median"] for n in names], width, label=t)
        ax.set_xticks([x + 0.4 - width / 2 for x in range(len(names))])
        ax.set_xticklabels(names, rotation=20, ha="right", fontsize=8)
        ax.set_ylabel("median seconds (lower is better)")
        ax.legend()
        fig.tight_layout()
        fig.savefig(out / "latest.png", dpi=110)
    except ImportError:
        print("matplotlib is missing: no chart", file=sys.stderr)


if __name__ == "__main__":
    main()
