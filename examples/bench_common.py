"""What the benchmark scripts in examples/ share: gpt_train.py, long_context.py
and block_sparse_vs_approx.py import it from this directory.

It holds the plumbing that must behave the same in all three so that their
numbers and JSON files compare: the common command-line options (--warmup,
--reps, --no-check, --quick, --device, --out) and the parsing of sequence
lengths ("16k" = 16384) and implementation lists; the standard (unfused)
attention they all measure against; timing (CUDA events, wall clock on the CPU
debug device) and the forward+backward measurement with peak memory; the
status of a failed run (out of memory, or an error); the environment record;
and the JSON result file that bench/plot.py reads. It is not part of the
flashgen package and needs PyTorch.
"""
import argparse
import contextlib
import gc
import json
import platform
import statistics
import time

import torch


# --------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------
def add_timing_args(p: argparse.ArgumentParser):
    """--warmup and --reps (median of --reps timed runs after --warmup)."""
    p.add_argument("--warmup", type=int, default=2, help="untimed runs before timing")
    p.add_argument("--reps", type=int, default=5, help="timed runs (median reported)")


def add_run_args(p: argparse.ArgumentParser, quick_help, device_help, check_help=None):
    """--no-check (only where check_help is given), --quick, --device, --out;
    the help texts of --quick and --device say what each script does."""
    if check_help is not None:
        p.add_argument("--no-check", action="store_true", help=check_help)
    p.add_argument("--quick", action="store_true", help=quick_help)
    p.add_argument("--device", default="cuda", help=device_help)
    p.add_argument("--out", default=None, help="write a JSON result here")


def length(s):
    """A sequence length: '16k' -> 16384, '1000' -> 1000."""
    s = s.strip().lower()
    return int(s[:-1]) * 1024 if s.endswith("k") else int(s)


def parse_sweep_args(p: argparse.ArgumentParser, argv, impls, quick_seqlens):
    """Parses the options of a sequence-length sweep (--seqlens, --impls and
    the timing and run options): --quick sets --seqlens to quick_seqlens, 2
    timed reps and 1 warm-up run; --seqlens becomes a list of ints and
    --impls a list of names from `impls` (anything else is a usage error)."""
    args = p.parse_args(argv)
    if args.quick:
        args.seqlens, args.reps, args.warmup = quick_seqlens, 2, 1
    args.seqlens = [length(s) for s in args.seqlens.split(",") if s.strip()]
    args.impls = [s.strip() for s in args.impls.split(",") if s.strip()]
    for i in args.impls:
        if i not in impls:
            p.error(f"unknown impl {i!r}; choose from {', '.join(impls)}")
    return args


def timing_note(args):
    """The JSON config's description of how times were taken."""
    return f"CUDA events, median of {args.reps} after {args.warmup} warm-up"


# --------------------------------------------------------------------------
# The baseline and the inputs
# --------------------------------------------------------------------------
def standard_attention(q, k, v, mask=None):
    """Unfused exact attention on [B, H, N, D]: S = QK^T * scale, `mask`
    (True = masked out) filled with -inf, softmax in fp32, O = PV; S and P
    are materialized."""
    s = torch.matmul(q, k.transpose(-2, -1)) * (q.shape[-1] ** -0.5)
    if mask is not None:
        s = s.masked_fill(mask, float("-inf"))
    p = torch.softmax(s, dim=-1, dtype=torch.float32).to(q.dtype)
    return torch.matmul(p, v)


def make_inputs(B, H, n, D, device, dtype):
    """q, k, v (leaves requiring grad) and the output gradient do, each
    [B, H, n, D] from a generator seeded with n."""
    g = torch.Generator(device=device).manual_seed(n)
    q, k, v = (torch.randn(B, H, n, D, device=device, dtype=dtype, generator=g)
               .requires_grad_() for _ in range(3))
    do = torch.randn(B, H, n, D, device=device, dtype=dtype, generator=g)
    return q, k, v, do


def import_flashgen():
    """(the flashgen module, "") or (None, why it could not be imported)."""
    try:
        import flashgen
        return flashgen, ""
    except Exception as e:  # ImportError, or a failure while loading the library
        return None, f"import flashgen failed: {type(e).__name__}: {e}"


def load_flashgen(env):
    """import_flashgen(), printing why when it fails and recording the
    version as env["flashgen"] when it works."""
    flashgen, reason = import_flashgen()
    if flashgen is None:
        print(f"# flashgen unavailable: {reason}")
    else:
        env["flashgen"] = getattr(flashgen, "__version__", "?")
    return flashgen, reason


# --------------------------------------------------------------------------
# Timing and memory
# --------------------------------------------------------------------------
def sync():
    if torch.cuda.is_available():
        torch.cuda.synchronize()


def free():
    """Collects garbage and returns cached CUDA memory."""
    gc.collect()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()


def median_ms(fn, warmup, reps):
    """Median milliseconds of fn() over reps runs, after warmup runs (CUDA
    events; wall clock on the CPU debug device)."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(reps):
        if torch.cuda.is_available():
            a, b = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            a.record()
            fn()
            b.record()
            b.synchronize()
            times.append(a.elapsed_time(b))
        else:
            t = time.perf_counter()
            fn()
            times.append(1e3 * (time.perf_counter() - t))
    return statistics.median(times)


_sleep_cycles_per_ms = None


def _cycles_per_ms():
    """How many torch.cuda._sleep cycles make a millisecond (measured once)."""
    global _sleep_cycles_per_ms
    if _sleep_cycles_per_ms is None:
        a, b = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        torch.cuda._sleep(1_000_000)  # the first call may load the module
        a.record()
        torch.cuda._sleep(10_000_000)
        b.record()
        b.synchronize()
        _sleep_cycles_per_ms = 10_000_000 / max(a.elapsed_time(b), 1e-3)
    return _sleep_cycles_per_ms


def gpu_ms(fn, warmup, reps, sample_ms=1.0, max_batch=64):
    """Median GPU milliseconds per call of fn(), the host's cost excluded:
    each of the reps samples is `batch` back-to-back calls between two CUDA
    events, enqueued behind a sleep kernel that outlasts their enqueueing, so
    the events see only the kernels (median_ms's per-call events also count
    the launch cost, which swamps kernels of tens of microseconds). batch is
    chosen so that a sample lasts about sample_ms. fn may rotate among input
    sets so that L2 holds none of the next call's inputs. Wall clock per call
    on the CPU debug device."""
    if not torch.cuda.is_available():
        return median_ms(fn, warmup, reps)
    for _ in range(max(warmup, 1)):
        fn()
    sync()
    # One call's time, launch cost included (an upper bound), and the host's
    # enqueueing cost per call.
    a, b = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    a.record()
    t = time.perf_counter()
    for _ in range(3):
        fn()
    host_ms = 1e3 * (time.perf_counter() - t) / 3
    b.record()
    b.synchronize()
    batch = max(1, min(max_batch, round(sample_ms / max(a.elapsed_time(b) / 3, 1e-4))))
    cycles = int(_cycles_per_ms() * min(50.0, 1.5 * batch * host_ms + 0.2))
    times = []
    for _ in range(reps):
        torch.cuda._sleep(cycles)
        a.record()
        for _ in range(batch):
            fn()
        b.record()
        b.synchronize()
        times.append(a.elapsed_time(b) / batch)
    return statistics.median(times)


def measure(fn, q, k, v, do, warmup, reps, extra_params=(), backward=True,
            ctx=contextlib.nullcontext):
    """Peak memory of one fwd+bwd of fn(q, k, v), then the fwd and bwd times
    (the backward reuses one forward's graph with retain_graph=True), all
    inside ctx(). Gradients of q, k, v and extra_params are cleared before
    and after. Returns peak_mem_bytes, peak_extra_bytes (above what was
    allocated before), fwd_ms and, with backward, bwd_ms and fwd_bwd_ms.
    Raises on OOM."""
    cuda = torch.cuda.is_available()
    leaves = [q, k, v, *extra_params]

    def zero():
        for t in leaves:
            t.grad = None
    res = {}
    with ctx():
        zero()
        sync()
        base = torch.cuda.memory_allocated() if cuda else 0
        if cuda:
            torch.cuda.reset_peak_memory_stats()
        out = fn(q, k, v)
        if backward:
            out.backward(do)
        sync()
        peak = torch.cuda.max_memory_allocated() if cuda else 0
        res["peak_mem_bytes"] = peak
        res["peak_extra_bytes"] = peak - base
        del out
        zero()
        free()
        res["fwd_ms"] = median_ms(lambda: fn(q, k, v), warmup, reps)
        if backward:
            out = fn(q, k, v)
            res["bwd_ms"] = median_ms(lambda: out.backward(do, retain_graph=True), warmup, reps)
            res["fwd_bwd_ms"] = res["fwd_ms"] + res["bwd_ms"]
            del out
        zero()
    return res


def failure(e, limit=400):
    """The status and reason of a run that raised e: "OOM" with the first
    line of the message, or "error" with the type and up to `limit`
    characters of the message."""
    if isinstance(e, torch.OutOfMemoryError):
        return {"status": "OOM", "reason": str(e).split("\n")[0][:300]}
    return {"status": "error", "reason": f"{type(e).__name__}: {str(e)[:limit]}"}


# --------------------------------------------------------------------------
# Results
# --------------------------------------------------------------------------
def env_info(cpu):
    """torch, python, the GPU's name ("cpu (debug)" with cpu) and CUDA versions."""
    return {"torch": torch.__version__, "python": platform.python_version(),
            "gpu": "cpu (debug)" if cpu else torch.cuda.get_device_name(),
            "cuda": torch.version.cuda}


def write_json(path, kind, config, env, **results):
    """Writes {"kind", "config", "env", **results} (what bench/plot.py reads)
    to path and says so."""
    doc = {"kind": kind, "config": config, "env": env, **results}
    with open(path, "w") as f:
        json.dump(doc, f, indent=1)
    print(f"# wrote {path}")
