"""The IO cost model against Nsight Compute: the HBM bytes `flashgen explain`
predicts for a forward kernel, and the DRAM bytes ncu measures for it.

    python3 bench/io_vs_ncu.py [--out DIR] [--flashgen .carry/flashgen]
        [--cases mha_d128,mha_d128:bwd,...] [--deadline 180] [--list]

For each case: `flashgen explain SPEC --shape B,H,Nq,Nk --json` on the GPU
(the model re-planned for the device present; flashgen.read_bytes,
write_bytes, total_bytes), then `ncu --metrics
dram__bytes_read.sum,dram__bytes_write.sum --csv` over `flashgen run SPEC
--shape ... --no-check --reps 1`, kernels filtered by name: the forward's
first launch (flashgen_fwd_*), or the first launch of each backward kernel
(flashgen_bwd_*: preprocess, fused dK/dV/dQ, dQ conversion), summed. ncu
flushes the caches before each profiled kernel (--cache-control all, its
default), so every measurement starts from a cold L2, and the clocks are
locked to base (--clock-control base, its default). FLASHGEN_TUNING_DB=off:
the planner's tiling, the one explain describes.

The model has no backward: for backward cases the "predicted" bytes are this
script's compulsory count (each tensor and workspace array once; the fused
path's fp32 dQ accumulator read and written once), not flashgen's.
Writes DIR/io-vs-ncu.md and DIR/io-vs-ncu.json, and DIR/io-vs-ncu-raw.tgz (the
ncu logs, explain JSON, generated specs).
"""
import argparse
import csv
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
from tune_grid import spec_text  # noqa: E402  (the standard grid's specs)

EX = os.path.join(ROOT, "examples")
# name -> (spec: a path, or ("grid", d, causal)), shape B,H,Nq,Nk, what it shows
CASES = {
    "mha_d128": (os.path.join(EX, "mha_bf16.attn"), (4, 16, 4096, 4096),
                 "dense: K/V read once per head if L2 holds a wave's K/V"),
    "causal_d128": (("grid", 128, 1), (4, 16, 4096, 4096), "causal: half the tiles"),
    "mha_d64_8k": (("grid", 64, 0), (2, 16, 8192, 8192), "d64, long rows"),
    "sliding_window": (os.path.join(EX, "sliding_window.attn"), (4, 32, 4096, 4096),
                       "band of 257 keys, GQA 32/8"),
    "document_mask": (os.path.join(EX, "document_mask.attn"), (4, 16, 4096, 4096),
                      "doc_id lookups; flashgen run fills 7-token documents"),
    "key_padding": (os.path.join(EX, "key_padding.attn"), (4, 16, 4096, 4096),
                    "seqlens_k random in [1, Nk] at run time"),
    "sparse_strided": (os.path.join(EX, "sparse_strided.attn"), (4, 16, 4096, 4096),
                       "block-sparse: strided + global 64x64 blocks"),
}
DEFAULT = ("mha_d128,mha_d128:bwd,causal_d128,causal_d128:bwd,mha_d64_8k,sliding_window,"
           "document_mask,key_padding,sparse_strided")
METRICS = ("dram__bytes_read.sum", "dram__bytes_write.sum")
UNITS = {"byte": 1, "bytes": 1, "b": 1, "kbyte": 1e3, "kb": 1e3, "mbyte": 1e6, "mb": 1e6,
         "gbyte": 1e9, "gb": 1e9, "tbyte": 1e12, "tb": 1e12, "kib": 1024, "mib": 1024**2,
         "gib": 1024**3}


def find_ncu(given):
    if given:
        return given
    for c in [shutil.which("ncu"), "/usr/local/cuda/bin/ncu",
              *sorted(glob.glob("/usr/local/cuda*/bin/ncu")),
              *sorted(glob.glob("/opt/nvidia/nsight-compute/*/ncu"))]:
        if c and os.access(c, os.X_OK):
            return c
    return None


def parse_ncu_csv(text):
    """[(launch id, kernel name, {metric: bytes})] from ncu --csv output."""
    lines = [ln for ln in text.splitlines() if ln.startswith('"')]
    start = next((i for i, ln in enumerate(lines) if ln.startswith('"ID"')), None)
    if start is None:
        return []
    by_id = {}
    for row in csv.DictReader(lines[start:]):
        name = row.get("Metric Name")
        if name not in METRICS:
            continue
        try:
            v = float(row.get("Metric Value", "").replace(",", ""))
        except ValueError:
            continue
        unit = (row.get("Metric Unit") or "byte").strip().lower()
        v *= UNITS.get(unit, 1)
        rid = int(row.get("ID", len(by_id)))
        entry = by_id.setdefault(rid, (rid, row.get("Kernel Name", "?"), {}))
        entry[2][name] = v
    return [by_id[k] for k in sorted(by_id)]


def backward_compulsory(shape, d, dv, kv_heads, e=2):
    """Bytes every backward must move once (the fused path: preprocess,
    dK/dV with dQ by atomics into an fp32 accumulator, dQ conversion)."""
    b, h, nq, nk = shape
    bh, bhkv = b * h, b * kv_heads
    read = {"O, dO (preprocess)": 2 * bh * nq * dv * e, "logsumexp": bh * nq * 4,
            "Q, dO": bh * nq * (d + dv) * e, "K, V": bhkv * nk * (d + dv) * e,
            "lse2, D": bh * nq * 8, "dQ accumulator (atomics, convert)": 2 * bh * nq * d * 4}
    write = {"lse2, D": bh * nq * 8, "dQ accumulator (zero, atomics)": 2 * bh * nq * d * 4,
             "dK, dV": bhkv * nk * (d + dv) * e, "dQ": bh * nq * d * e}
    r, w = sum(read.values()), sum(write.values())
    return {"read_bytes": r, "write_bytes": w, "total_bytes": r + w,
            "terms": {"read": read, "write": write}}


def run_case(args, name, pass_, raw, deadline):
    spec, shape, what = CASES[name]
    if isinstance(spec, tuple):
        _, d, causal = spec
        path = os.path.join(raw, "specs", f"grid_d{d}{'_causal' if causal else ''}.attn")
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(spec_text(d, causal))
        spec = path
    sh = ",".join(map(str, shape))
    rec = {"case": name, "pass": pass_, "spec": os.path.relpath(spec, ROOT), "shape": list(shape),
           "what": what}
    env = {**os.environ, "FLASHGEN_TUNING_DB": "off"}
    tag = f"{name}-{pass_}"
    # 1. The model.
    try:
        r = subprocess.run([args.flashgen, "explain", spec, "--shape", sh, "--json"],
                           capture_output=True, text=True, env=env, timeout=60)
        with open(os.path.join(raw, f"explain-{tag}.json"), "w") as f:
            f.write(r.stdout + ("\n--- stderr\n" + r.stderr if r.stderr else ""))
        ex = json.loads(r.stdout)
        fg = ex["flashgen"]
        rec["tiling"] = ex.get("forward_tiling")
        rec["backward_tiling"] = ex.get("backward_tiling")
        rec["target"] = ex.get("target", {}).get("part")
        if pass_ == "fwd":
            rec["predicted"] = {k: fg[k] for k in ("read_bytes", "write_bytes", "total_bytes")}
            rec["predicted"]["terms"] = fg.get("terms", {})
            # Without L2 reuse: every tile load from HBM.
            terms = fg.get("terms", {})
            loads = sum(t["bytes"] for k, t in terms.items() if k.startswith("K/V tile loads"))
            kv = sum(t["bytes"] for k, t in terms.items() if k.startswith("K/V from HBM"))
            rec["predicted"]["no_l2_reuse_total"] = fg["total_bytes"] - kv + loads
            rec["kv_assumption"] = next((k for k in terms if k.startswith("K/V from HBM")), "")
        else:
            kvh = ex.get("shape", {}).get("kv_heads", shape[1])
            rec["predicted"] = backward_compulsory(shape, ex["qk_head_dim"], ex["v_head_dim"],
                                                   kvh)
            rec["predicted"]["source"] = "script (compulsory bytes; explain has no backward model)"
    except Exception as e:  # no JSON, a timeout
        rec["explain_err"] = f"{type(e).__name__}: {str(e)[:300]}"
    # 2. The measurement.
    regex = "regex:^flashgen_fwd_" if pass_ == "fwd" else "regex:^flashgen_bwd_"
    count = 1 if pass_ == "fwd" else 5  # one backward is 3 or 4 kernels
    log = os.path.join(raw, f"ncu-{tag}.csv")
    app = [args.flashgen, "run", spec, "--shape", sh, "--no-check", "--reps", "1"]
    if pass_ == "bwd":
        app.append("--backward")
    base = [args.ncu, "--metrics", ",".join(METRICS), "--csv", "--kernel-name", regex,
            "--launch-count", str(count), "--log-file", log]
    timeout = max(10.0, min(args.case_timeout, deadline - time.monotonic()))
    t0 = time.monotonic()
    try:
        r = subprocess.run(base + ["--print-units", "base"] + app, capture_output=True,
                           text=True, env=env, timeout=timeout)
        text = open(log).read() if os.path.exists(log) else ""
        if r.returncode != 0 and "print-units" in (r.stderr + text):
            r = subprocess.run(base + app, capture_output=True, text=True, env=env,
                               timeout=max(10.0, timeout - (time.monotonic() - t0)))
            text = open(log).read() if os.path.exists(log) else ""
        with open(os.path.join(raw, f"run-{tag}.txt"), "w") as f:
            f.write(f"$ {' '.join(base + app)}\nrc={r.returncode}\n--- stdout\n{r.stdout}\n"
                    f"--- stderr\n{r.stderr}\n")
        kernels = parse_ncu_csv(text + "\n" + r.stdout)
        seen, picked = set(), []
        for rid, kname, m in kernels:  # the first launch of each kernel
            if kname not in seen:
                seen.add(kname)
                picked.append({"id": rid, "kernel": kname, "read": m.get(METRICS[0]),
                               "write": m.get(METRICS[1])})
        rec["kernels"] = picked
        m = re.search(r"tiles (\d+)x(\d+), (\d+) warps, (\d+) stage", r.stdout)
        if m:  # what the JIT launched, to compare with explain's plan
            rec["run_tiles"] = "{}x{} w{} s{}".format(*m.groups())
        if picked:
            rd = sum(k["read"] or 0 for k in picked)
            wr = sum(k["write"] or 0 for k in picked)
            rec["measured"] = {"read_bytes": rd, "write_bytes": wr, "total_bytes": rd + wr}
        else:
            blob = " ".join((r.stderr + " " + text + " " + r.stdout).split())
            hint = ("ERR_NVGPUCTRPERM: no access to the GPU's performance counters"
                    if "ERR_NVGPUCTRPERM" in blob else blob[-400:])
            rec["ncu_err"] = f"rc={r.returncode}, no kernel measured: {hint}"
    except subprocess.TimeoutExpired:
        rec["ncu_err"] = f"timeout after {timeout:.0f} s"
    except OSError as e:
        rec["ncu_err"] = f"{type(e).__name__}: {e}"
    rec["wall_s"] = round(time.monotonic() - t0, 1)
    p, m = rec.get("predicted"), rec.get("measured")
    if p and m:
        rec["error_pct"] = 100.0 * (m["total_bytes"] - p["total_bytes"]) / p["total_bytes"]
    print(f"# {tag}: {rec['wall_s']} s, predicted {_mb(p and p['total_bytes'])} MB, measured "
          f"{_mb(m and m['total_bytes'])} MB" + (f", {rec['ncu_err']}" if "ncu_err" in rec else ""),
          flush=True)
    return rec


def _mb(x):
    return "" if x is None else f"{x / 1e6:.1f}"


def _pct(x):
    return "" if x is None else f"{x:+.1f}%"


def report(recs, env):
    lines = ["# IO cost model vs Nsight Compute (DRAM bytes)", "",
             f"Device: {env.get('gpu', '?')}; ncu {env.get('ncu_version', '?')}; "
             f"{env.get('flashgen', '?')}. MB = 10^6 bytes.", "",
             "Predicted: `flashgen explain --json` on the device (flashgen.read_bytes, "
             "write_bytes); bwd: this script's compulsory count (the model has no backward). "
             "Measured: ncu dram__bytes_read.sum / dram__bytes_write.sum of the forward kernel's "
             "first launch, or summed over the first launch of each backward kernel, caches "
             "flushed before each (ncu --cache-control all), planner tiling "
             "(FLASHGEN_TUNING_DB=off). Error = (measured - predicted) / predicted, on the total.",
             "",
             "| case | pass | B,H,Nq,Nk | tiling | pred. read | pred. write | pred. total | "
             "no-L2-reuse total | meas. read | meas. write | meas. total | error | read error |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in recs:
        p, m = r.get("predicted") or {}, r.get("measured") or {}
        t = r.get("tiling") if r["pass"] == "fwd" else r.get("backward_tiling")
        tiling = f"{t['block_m']}x{t['block_n']} w{t['warps']} s{t['stages']}" if t else ""
        rerr = (100.0 * (m["read_bytes"] - p["read_bytes"]) / p["read_bytes"]
                if p.get("read_bytes") and m else None)
        meas = (_mb(m.get("read_bytes")), _mb(m.get("write_bytes")), _mb(m.get("total_bytes")))
        if not m:
            meas = ("err: " + r.get("ncu_err", "?")[:120], "", "")
        lines.append(f"| {r['case']} | {r['pass']} | {','.join(map(str, r['shape']))} | {tiling} | "
                     f"{_mb(p.get('read_bytes'))} | {_mb(p.get('write_bytes'))} | "
                     f"{_mb(p.get('total_bytes'))} | {_mb(p.get('no_l2_reuse_total'))} | "
                     f"{meas[0]} | {meas[1]} | {meas[2]} | {_pct(r.get('error_pct'))} | "
                     f"{_pct(rerr)} |")
    lines += ["", "Notes:", ""]
    for r in recs:
        note = r["what"]
        if r.get("kv_assumption"):
            note += f"; model: {r['kv_assumption']}"
        if r.get("kernels"):
            note += "; kernels: " + ", ".join(
                f"{k['kernel']} {_mb(k['read'])}/{_mb(k['write'])} MB r/w" for k in r["kernels"])
        if r.get("run_tiles") and r["pass"] == "fwd":
            note += f"; flashgen run launched {r['run_tiles']}"
        if r.get("explain_err"):
            note += f"; explain failed: {r['explain_err']}"
        lines.append(f"- {r['case']} {r['pass']}: {note}")
    lines += ["", "How to read it: the model counts each of Q, O, logsumexp once and K/V once "
                  "per kv head when a wave's K/V fits in half of L2 (else every tile load); "
                  "measured below predicted means L2 served more than the model grants (or "
                  "the run skipped tiles the model counts, e.g. random key padding), above "
                  "means re-reads the model assumes L2 absorbs. The no-L2-reuse column is the "
                  "model's own upper bound. Writes of O land in L2 first: DRAM writes can trail "
                  "a kernel's end and are counted by ncu only while it runs.", ""]
    return "\n".join(lines)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--out", default=os.environ.get("OUT", "out"))
    p.add_argument("--flashgen", default=os.path.join(ROOT, ".carry", "flashgen"))
    p.add_argument("--ncu", default=None, help="ncu binary (default: PATH, /usr/local/cuda)")
    p.add_argument("--cases", default=DEFAULT, help="NAME[:bwd],... (--list names them)")
    p.add_argument("--deadline", type=float, default=180, help="seconds for all cases")
    p.add_argument("--case-timeout", type=float, default=90, help="seconds per ncu run")
    p.add_argument("--keep-raw", action="store_true")
    p.add_argument("--list", action="store_true", help="print the cases and exit")
    args = p.parse_args(argv)
    if args.list:
        for k, (spec, shape, what) in CASES.items():
            print(f"{k:16} {','.join(map(str, shape)):18} {what}")
        return
    todo = []
    for c in args.cases.split(","):
        name, _, pass_ = c.strip().partition(":")
        if name not in CASES or pass_ not in ("", "fwd", "bwd"):
            sys.exit(f"error: --cases: unknown case {c!r} (--list)")
        todo.append((name, pass_ or "fwd"))
    args.ncu = find_ncu(args.ncu)
    if not args.ncu:
        sys.exit("error: no ncu (PATH, /usr/local/cuda*/bin, /opt/nvidia/nsight-compute)")
    args.flashgen = os.path.abspath(args.flashgen)
    out = os.path.abspath(args.out)
    raw = os.path.join(out, "io-vs-ncu-raw")
    os.makedirs(raw, exist_ok=True)
    deadline = time.monotonic() + args.deadline
    env = {}
    for key, cmd in (("ncu_version", [args.ncu, "--version"]),
                     ("gpu", ["nvidia-smi", "--query-gpu=name,driver_version",
                              "--format=csv,noheader"]),
                     ("flashgen", [args.flashgen, "--version"])):
        try:
            lines = subprocess.run(cmd, capture_output=True, text=True,
                                   timeout=30).stdout.strip().splitlines()
            env[key] = lines[-1] if lines else "?"
        except (OSError, subprocess.TimeoutExpired):
            env[key] = "?"
    recs = []
    for name, pass_ in todo:
        if deadline - time.monotonic() < 10:
            recs.append({"case": name, "pass": pass_, "shape": list(CASES[name][1]),
                         "what": CASES[name][2], "ncu_err": "skipped: deadline"})
            continue
        recs.append(run_case(args, name, pass_, raw, deadline))
    with open(os.path.join(out, "io-vs-ncu.json"), "w") as f:
        json.dump({"kind": "io_vs_ncu", "env": env, "cases": recs}, f, indent=1)
    with open(os.path.join(out, "io-vs-ncu.md"), "w") as f:
        f.write(report(recs, env))
    if not args.keep_raw:
        with tarfile.open(os.path.join(out, "io-vs-ncu-raw.tgz"), "w:gz") as t:
            t.add(raw, arcname="io-vs-ncu-raw")
        shutil.rmtree(raw, ignore_errors=True)
    print(open(os.path.join(out, "io-vs-ncu.md")).read())


if __name__ == "__main__":
    main()
