"""Train a GPT-2-small-shaped decoder with four attention implementations and
compare speed, memory and loss curves.

What it reproduces from the FlashAttention paper (Dao et al., 2022): the
end-to-end GPT-2 training comparison (Section 4.1, Table 2 / the GPT-2 rows):
the same model trained with standard (unfused) attention and with an IO-aware
fused attention reaches the same loss at the same step -- the kernel is exact --
while running faster and using less memory, the gap growing with sequence
length. Here the implementations are

  standard  explicit matmul + causal mask + softmax (fp32) + matmul, as in
            HuggingFace/Megatron's eager attention
  sdpa      F.scaled_dot_product_attention(is_causal=True), PyTorch's default
            backend choice (FlashAttention-2 or cuDNN on Hopper)
  flex      torch.nn.attention.flex_attention compiled with torch.compile, with
            a causal block mask from create_block_mask
  flashgen  flashgen.attention(q, k, v, flashgen.Spec(causal=True))

Model: 12 layers, d_model 768, 12 heads of 64, MLP 4x with GELU(tanh), pre-LN,
learned positions, tied input/output embeddings (GPT-2 small is 124M
parameters with its 50k vocabulary; with a 256-byte vocabulary it is 86M at
seq 1024, 88M at seq 4096).
Mixed precision the standard way: fp32 master weights and AdamW state,
bf16 autocast for the forward/backward.

Data: nothing is downloaded. A deterministic synthetic byte-level language is
generated from a fixed seed: words from a Zipf-weighted lexicon chained by a
sparse word-level Markov chain (local, n-gram-learnable structure), documents
that open with random key=value "facts" which are queried again later in the
document ("?KEY=value;", an associative-recall task across up to thousands of
bytes), and bracketed verbatim copies of earlier spans ("[...]", an induction
task). Loss drops quickly on the local structure and then keeps dropping as the
model learns to retrieve over long range, which is where attention matters.
Every implementation gets the same initial weights (same seed) and the same
batches in the same order, so the loss curves are directly comparable (they
differ only by floating-point non-associativity of the kernels).

Run (one H200; the default takes about 2-3 minutes for all four):
  python examples/gpt_train.py --impl all --seq 1024 --out gpt_1k.json
  python examples/gpt_train.py --impl all --seq 4096 --out gpt_4k.json
  python examples/gpt_train.py --quick --out gpt_quick.json         # < 1 min
  python bench/plot.py gpt_1k.json gpt_4k.json --out plots/
CPU debug of the model/data code (standard and sdpa only):
  python examples/gpt_train.py --device cpu --impl standard --steps 2 \\
      --seq 128 --batch-tokens 256 --n-layer 2
"""
import argparse
import bisect
import math
import os
import platform
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_common import add_run_args, failure, free, import_flashgen, write_json  # noqa: E402
from bench_common import standard_attention as _attention  # noqa: E402

IMPLS = ("standard", "sdpa", "flex", "flashgen")


# --------------------------------------------------------------------------
# Synthetic corpus
# --------------------------------------------------------------------------
class SyntheticLanguage:
    """A deterministic byte-level language with local and long-range structure.

    Everything (lexicon, Markov chain, documents) follows from `seed`; two
    instances with the same seed generate the same bytes.
    """

    LETTERS = np.frombuffer(b"abcdefghijklmnopqrstuvwxyz", dtype=np.uint8)
    UPPER = np.frombuffer(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ", dtype=np.uint8)
    ALNUM = np.frombuffer(b"0123456789abcdefghijklmnopqrstuvwxyz", dtype=np.uint8)

    def __init__(self, seed=1234, n_words=1024, n_succ=8):
        g = np.random.default_rng(seed)
        self.n_words = n_words
        # Lexicon: distinct lowercase words of 2..9 letters.
        words, seen = [], set()
        while len(words) < n_words:
            n = int(g.integers(2, 10))
            w = bytes(g.choice(self.LETTERS, n))
            if w not in seen:
                seen.add(w)
                words.append(w)
        self.words = words
        # Word-level Markov chain: every word has n_succ successors, chosen
        # with a Zipf bias (frequent words are frequent successors), with
        # Dirichlet-distributed transition probabilities.
        zipf = 1.0 / np.arange(1, n_words + 1) ** 0.9
        zipf /= zipf.sum()
        succ = np.stack([g.choice(n_words, n_succ, replace=False, p=zipf)
                         for _ in range(n_words)])
        probs = g.dirichlet(np.full(n_succ, 0.4), size=n_words)
        cum = np.cumsum(probs, axis=1)
        cum[:, -1] = 1.0
        # Python lists: the generator walks the chain one word at a time.
        self.succ, self.cum = succ.tolist(), cum.tolist()

    def _document(self, g, length):
        """One document of about `length` bytes (a list of bytes objects)."""
        out = []
        # Header: 4..10 facts "@KEY=value;" with random keys and values.
        n_facts = int(g.integers(4, 11))
        keys = [bytes(g.choice(self.UPPER, 3)) for _ in range(n_facts)]
        vals = [bytes(g.choice(self.ALNUM, int(g.integers(4, 8)))) for _ in range(n_facts)]
        for k, v in zip(keys, vals):
            out.append(b"@" + k + b"=" + v + b";")
        out.append(b"\n")
        size = sum(len(x) for x in out)
        body = bytearray()
        w = int(g.integers(self.n_words))
        # Pre-draw the randomness for the body in bulk (fast).
        n_max = length // 2 + 16
        u_next = g.random(n_max).tolist()
        u_event = g.random(n_max).tolist()
        i = 0
        capital = True
        while size + len(body) < length and i < n_max:
            e = u_event[i]
            if e < 0.035:  # recall a fact from the header
                j = int(g.integers(n_facts))
                body += b"?" + keys[j] + b"=" + vals[j] + b"; "
            elif e < 0.05 and len(body) > 64:  # copy an earlier span verbatim
                n = int(g.integers(12, 48))
                s = int(g.integers(0, len(body) - n)) if len(body) > n else 0
                body += b"[" + bytes(body[s:s + n]) + b"] "
            else:
                w = self.succ[w][bisect.bisect_left(self.cum[w], u_next[i])]
                word = self.words[w]
                if capital:
                    word = word[:1].upper() + word[1:]
                    capital = False
                body += word
                if e > 0.92:  # end of sentence
                    body += b". "
                    capital = True
                    if e > 0.985:
                        body += b"\n"
                else:
                    body += b" "
            i += 1
        out.append(bytes(body))
        out.append(b"\n\n")
        return out

    def generate(self, n_bytes, seed, min_doc=256, max_doc=8192):
        """`n_bytes` bytes of concatenated documents (np.uint8), log-uniform
        document lengths in [min_doc, max_doc]."""
        g = np.random.default_rng(seed)
        parts, total = [], 0
        while total < n_bytes:
            length = int(math.exp(g.uniform(math.log(min_doc), math.log(max_doc))))
            doc = self._document(g, length)
            parts.extend(doc)
            total += sum(len(x) for x in doc)
        return np.frombuffer(b"".join(parts), dtype=np.uint8)[:n_bytes].copy()


class Batches:
    """Random windows of a byte array; the order follows from `seed` only."""

    def __init__(self, data, seq, batch, seed):
        self.data, self.seq, self.batch = data, seq, batch
        self.rng = np.random.default_rng(seed)
        self.ar = np.arange(seq + 1)

    def next(self, device):
        offs = self.rng.integers(0, len(self.data) - self.seq - 1, size=self.batch)
        xy = torch.from_numpy(self.data[offs[:, None] + self.ar].astype(np.int64))
        if device.type == "cuda":
            xy = xy.pin_memory().to(device, non_blocking=True)
        return xy[:, :-1], xy[:, 1:]


# --------------------------------------------------------------------------
# Attention implementations. Each takes q, k, v as [B, N, H, D] (views of the
# fused qkv projection) and returns [B, N, H, D] (or anything reshapeable to
# [B, N, H*D]).
# --------------------------------------------------------------------------
def standard_attention(q, k, v, mask):
    """Unfused: S = QK^T * scale, masked, softmax in fp32, O = PV."""
    q, k, v = (t.transpose(1, 2) for t in (q, k, v))  # [B, H, N, D]
    return _attention(q, k, v, mask).transpose(1, 2)


def sdpa_attention(q, k, v):
    q, k, v = (t.transpose(1, 2) for t in (q, k, v))
    return F.scaled_dot_product_attention(q, k, v, is_causal=True).transpose(1, 2)


def make_attention(impl, seq, device, compile_model, fg=None):
    """Returns attn(q, k, v) for the implementation."""
    if impl == "standard":
        mask = torch.ones(seq, seq, dtype=torch.bool, device=device).triu(1)

        def attn(q, k, v):
            n = q.shape[1]
            return standard_attention(q, k, v, mask[:n, :n])
        return attn
    if impl == "sdpa":
        return sdpa_attention
    if impl == "flex":
        from torch.nn.attention.flex_attention import create_block_mask, flex_attention

        def causal(b, h, q_idx, kv_idx):
            return q_idx >= kv_idx
        block_mask = create_block_mask(causal, None, None, seq, seq, device=device)
        # Inside a compiled model flex_attention is fused by the outer compile;
        # otherwise compile it on its own (eager flex is a slow reference).
        flex = flex_attention if compile_model else torch.compile(flex_attention, dynamic=False)

        def attn(q, k, v):
            q, k, v = (t.transpose(1, 2) for t in (q, k, v))
            return flex(q, k, v, block_mask=block_mask).transpose(1, 2)
        return attn
    if impl == "flashgen":
        flashgen, spec, contiguous = fg["module"], fg["spec"], fg["contiguous"]

        def attn(q, k, v):
            if contiguous:
                q, k, v = q.contiguous(), k.contiguous(), v.contiguous()
            return flashgen.attention(q, k, v, spec, layout="bshd")
        return attn
    raise ValueError(impl)


def probe_flashgen(device):
    """Imports flashgen and runs one tiny causal forward+backward on strided
    bshd views like the model's. Returns (info dict or None, reason)."""
    flashgen, reason = import_flashgen()
    if flashgen is None:
        return None, reason
    if device.type != "cuda":
        return None, "flashgen needs CUDA"
    try:
        spec = flashgen.Spec(causal=True)
    except Exception as e:
        return None, f"flashgen.Spec(causal=True) failed: {type(e).__name__}: {e}"
    errors = []
    for contiguous in (False, True):
        try:
            qkv = torch.randn(2, 256, 3, 4, 64, device=device, dtype=torch.bfloat16,
                              requires_grad=True)
            q, k, v = qkv.unbind(2)
            if contiguous:
                q, k, v = q.contiguous(), k.contiguous(), v.contiguous()
            out = flashgen.attention(q, k, v, spec, layout="bshd")
            ref = sdpa_attention(q.float(), k.float(), v.float())
            err = ((out.float() - ref).abs().max() / ref.abs().max()).item()
            out.float().square().sum().backward()
            torch.cuda.synchronize()
            if not math.isfinite(err) or err > 2e-2:
                return None, f"flashgen probe: max |out - reference| / max |reference| = {err:.3g}"
            return {"module": flashgen, "spec": spec, "contiguous": contiguous,
                    "version": getattr(flashgen, "__version__", "?")}, ""
        except Exception as e:
            errors.append(f"{'contiguous' if contiguous else 'strided views'}: "
                          f"{type(e).__name__}: {str(e)[:300]}")
    return None, "flashgen probe failed: " + " | ".join(errors)


# --------------------------------------------------------------------------
# Model
# --------------------------------------------------------------------------
class Block(nn.Module):
    def __init__(self, d, n_head, attn):
        super().__init__()
        self.n_head = n_head
        self.ln1 = nn.LayerNorm(d)
        self.qkv = nn.Linear(d, 3 * d)
        self.proj = nn.Linear(d, d)
        self.ln2 = nn.LayerNorm(d)
        self.fc = nn.Linear(d, 4 * d)
        self.fc_proj = nn.Linear(4 * d, d)
        self.attn = attn

    def forward(self, x):
        B, N, C = x.shape
        qkv = self.qkv(self.ln1(x)).view(B, N, 3, self.n_head, C // self.n_head)
        q, k, v = qkv.unbind(2)  # [B, N, H, D] each
        y = self.attn(q, k, v).reshape(B, N, C)
        x = x + self.proj(y)
        return x + self.fc_proj(F.gelu(self.fc(self.ln2(x)), approximate="tanh"))


class GPT(nn.Module):
    def __init__(self, vocab, seq, n_layer, d, n_head, attn):
        super().__init__()
        self.wte = nn.Embedding(vocab, d)
        self.wpe = nn.Embedding(seq, d)
        self.blocks = nn.ModuleList(Block(d, n_head, attn) for _ in range(n_layer))
        self.ln_f = nn.LayerNorm(d)
        self.lm_head = nn.Linear(d, vocab, bias=False)
        self.lm_head.weight = self.wte.weight  # tied
        # GPT-2 init: N(0, 0.02), residual projections scaled by 1/sqrt(2L).
        for name, p in self.named_parameters():
            if p.dim() >= 2:
                std = 0.02 / math.sqrt(2 * n_layer) if name.endswith(("proj.weight",)) else 0.02
                nn.init.normal_(p, 0.0, std)
            elif name.endswith("bias"):
                nn.init.zeros_(p)

    def forward(self, idx, targets):
        n = idx.shape[1]
        pos = torch.arange(n, device=idx.device)
        x = self.wte(idx) + self.wpe(pos)
        for b in self.blocks:
            x = b(x)
        logits = self.lm_head(self.ln_f(x))
        return F.cross_entropy(logits.float().view(-1, logits.shape[-1]), targets.reshape(-1))


def make_optimizer(model, lr, device):
    decay = [p for p in model.parameters() if p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    groups = [{"params": decay, "weight_decay": 0.1},
              {"params": no_decay, "weight_decay": 0.0}]
    kw = {"fused": True} if device.type == "cuda" else {}
    return torch.optim.AdamW(groups, lr=lr, betas=(0.9, 0.95), eps=1e-8, **kw)


def lr_at(step, args):
    """Linear warm-up then cosine decay to 10%."""
    warm = max(1, min(args.lr_warmup, args.steps // 5))
    if step < warm:
        return args.lr * (step + 1) / warm
    t = (step - warm) / max(1, args.steps - warm)
    return args.lr * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * t)))


# --------------------------------------------------------------------------
# Training one implementation
# --------------------------------------------------------------------------
def train_one(impl, args, train_data, eval_data, device, fg=None, log=print):
    """Trains from the common seed and returns a result dict (raises on OOM)."""
    seq = args.seq
    batch = max(1, args.batch_tokens // seq)
    cuda = device.type == "cuda"
    attn = make_attention(impl, seq, device, args.compile, fg)
    torch.manual_seed(args.seed)
    model = GPT(256, seq, args.n_layer, args.d_model, args.n_head, attn).to(device)
    opt = make_optimizer(model, args.lr, device)
    fwd = torch.compile(model) if args.compile else model
    def amp():  # bf16 autocast on the GPU; plain fp32 on the CPU debug device
        return torch.autocast(device_type=device.type, dtype=torch.bfloat16, enabled=cuda)
    batches = Batches(train_data, seq, batch, args.data_seed)
    losses = torch.zeros(args.steps, device=device)
    warm = min(args.warmup_steps, max(0, args.steps - 1))
    t0 = None
    t_start = time.perf_counter()
    for step in range(args.steps):
        if step == warm:
            if cuda:
                torch.cuda.synchronize()
            t0 = time.perf_counter()
        for g in opt.param_groups:
            g["lr"] = lr_at(step, args)
        x, y = batches.next(device)
        with amp():
            loss = fwd(x, y)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        opt.zero_grad(set_to_none=True)
        losses[step] = loss.detach()
        if (step + 1) % args.log_every == 0 or step == 0 or step + 1 == args.steps:
            lv = losses[step].item()
            log(f"  [{impl}] step {step + 1:5d}/{args.steps}  loss {lv:.4f}  "
                f"({time.perf_counter() - t_start:.1f}s)")
            if not math.isfinite(lv):
                raise FloatingPointError(f"loss is {lv} at step {step + 1}")
    if cuda:
        torch.cuda.synchronize()
    elapsed = time.perf_counter() - t0
    timed = args.steps - warm
    curve = losses.tolist()
    # Held-out loss on fixed windows (same for every implementation).
    model.eval()
    ev = Batches(eval_data, seq, batch, args.data_seed + 1)
    with torch.no_grad(), amp():
        ev_losses = [fwd(*ev.next(device)).item() for _ in range(args.eval_batches)]
    tail = curve[-min(10, len(curve)):]
    res = {
        "impl": impl, "status": "ok",
        "tokens_per_s": timed * batch * seq / elapsed,
        "step_ms": 1e3 * elapsed / timed,
        "timed_steps": timed,
        "peak_mem_bytes": torch.cuda.max_memory_allocated() if cuda else None,
        "final_loss": sum(tail) / len(tail),
        "last_loss": curve[-1],
        "eval_loss": sum(ev_losses) / len(ev_losses),
        "loss_curve": {"step": list(range(1, args.steps + 1)), "loss": curve},
        "wall_s": time.perf_counter() - t_start,
    }
    if fg is not None and impl == "flashgen":
        res["flashgen_contiguous_inputs"] = fg["contiguous"]
    del model, opt, fwd
    return res


def env_info(device):
    info = {"torch": torch.__version__, "python": platform.python_version(),
            "device": str(device)}
    if device.type == "cuda":
        info["gpu"] = torch.cuda.get_device_name()
        info["cuda"] = torch.version.cuda
    return info


def parse_args(argv=None):
    p = argparse.ArgumentParser(
        description="GPT-2-small training with standard / SDPA / Flex / flashgen attention "
                    "(FlashAttention paper, Section 4.1).",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--impl", default="all", help="standard|sdpa|flex|flashgen|all, or a comma list")
    p.add_argument("--steps", type=int, default=300, help="training steps per implementation")
    p.add_argument("--seq", type=int, default=1024, help="sequence length (e.g. 1024 or 4096)")
    p.add_argument("--batch-tokens", type=int, default=16384,
                   help="tokens per step; batch = batch_tokens // seq")
    p.add_argument("--lr", type=float, default=1e-3, help="peak learning rate")
    p.add_argument("--lr-warmup", type=int, default=30, help="learning-rate warm-up steps")
    p.add_argument("--warmup-steps", type=int, default=10,
                   help="first steps excluded from the tokens/s measurement")
    p.add_argument("--log-every", type=int, default=25, help="print the loss every N steps")
    p.add_argument("--eval-batches", type=int, default=4, help="held-out batches at the end")
    p.add_argument("--n-layer", type=int, default=12, help="layers")
    p.add_argument("--d-model", type=int, default=768, help="model width")
    p.add_argument("--n-head", type=int, default=12, help="heads (head dim = d_model / n_head)")
    p.add_argument("--seed", type=int, default=0, help="model init seed")
    p.add_argument("--data-seed", type=int, default=1, help="batch order seed")
    p.add_argument("--corpus-seed", type=int, default=1234, help="synthetic language seed")
    p.add_argument("--corpus-bytes", type=int, default=8 << 20, help="size of the generated training corpus")
    p.add_argument("--compile", action="store_true", help="torch.compile the whole model")
    add_run_args(p, quick_help="small run (< 1 min): 40 steps, 8k tokens/step, 2M-byte corpus",
                 device_help="cuda, or cpu for debugging (standard, sdpa)")
    args = p.parse_args(argv)
    if args.quick:
        args.steps, args.batch_tokens, args.corpus_bytes = 40, 8192, 2 << 20
        args.log_every, args.warmup_steps, args.eval_batches = 10, 5, 2
    impls = IMPLS if args.impl == "all" else tuple(s.strip() for s in args.impl.split(","))
    for i in impls:
        if i not in IMPLS:
            p.error(f"unknown --impl {i!r}; choose from {', '.join(IMPLS)} or all")
    args.impls = impls
    if args.d_model % args.n_head:
        p.error("--d-model must be a multiple of --n-head")
    if args.batch_tokens < args.seq:
        p.error("--batch-tokens must be >= --seq")
    return args


def main(argv=None):
    args = parse_args(argv)
    device = torch.device(args.device)
    if device.type == "cuda" and not torch.cuda.is_available():
        sys.exit("error: CUDA is not available (this benchmark needs a GPU; "
                 "--device cpu runs a debug configuration of standard/sdpa)")
    if device.type == "cpu":
        bad = [i for i in args.impls if i not in ("standard", "sdpa")]
        if bad:
            sys.exit(f"error: --device cpu supports only --impl standard,sdpa (not {', '.join(bad)})")
        torch.set_num_threads(max(1, min(4, os.cpu_count() or 1)))
    if device.type == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
    batch = args.batch_tokens // args.seq
    n_params = None
    print(f"# gpt_train: impls={','.join(args.impls)} seq={args.seq} batch={batch} "
          f"({batch * args.seq} tokens/step) steps={args.steps} layers={args.n_layer} "
          f"d={args.d_model} heads={args.n_head} compile={args.compile} device={device}")
    t = time.perf_counter()
    lang = SyntheticLanguage(args.corpus_seed)
    train_data = lang.generate(args.corpus_bytes, seed=args.corpus_seed + 1)
    eval_data = lang.generate(max(1 << 18, 8 * (args.seq + 1) * batch), seed=args.corpus_seed + 2)
    print(f"# corpus: {len(train_data)} train bytes, {len(eval_data)} held-out bytes "
          f"({time.perf_counter() - t:.1f}s); sample: {bytes(train_data[:160])!r}")
    env = env_info(device)
    if device.type == "cuda":
        print(f"# torch {torch.__version__} on {env['gpu']}")

    fg, fg_reason = (None, "")
    if "flashgen" in args.impls:
        fg, fg_reason = probe_flashgen(device)
        if fg is None:
            print(f"# flashgen unavailable: {fg_reason}")
        else:
            env["flashgen"] = fg["version"]
            if fg["contiguous"]:
                print("# flashgen: strided q/k/v views were refused; passing .contiguous() copies")

    results = []
    for impl in args.impls:
        print(f"\n== {impl} ==")
        if impl == "flashgen" and fg is None:
            results.append({"impl": impl, "status": "unavailable", "reason": fg_reason})
            continue
        free()
        if device.type == "cuda":
            torch.cuda.reset_peak_memory_stats()
        try:
            r = train_one(impl, args, train_data, eval_data, device, fg)
        except Exception as e:  # OOM, compile failures, kernel errors, divergence
            r = {"impl": impl, **failure(e, limit=500)}
        free()
        results.append(r)
        if r["status"] == "ok":
            mem = r["peak_mem_bytes"]
            print(f"  {impl}: {r['tokens_per_s']:,.0f} tokens/s ({r['step_ms']:.1f} ms/step), "
                  f"peak memory {mem / 2**30:.2f} GiB" if mem is not None else
                  f"  {impl}: {r['tokens_per_s']:,.0f} tokens/s", end="")
            print(f", final loss {r['final_loss']:.4f} (last 10 steps), "
                  f"held-out {r['eval_loss']:.4f}")
        else:
            print(f"  {impl}: {r['status']}: {r.get('reason', '')}")
    if n_params is None:
        n_params = sum(p.numel() for p in GPT(256, args.seq, args.n_layer, args.d_model,
                                               args.n_head, None).parameters())

    # Summary table.
    print(f"\n# summary: seq {args.seq}, {batch * args.seq} tokens/step, "
          f"{n_params / 1e6:.1f}M parameters")
    print(f"{'impl':10s} {'status':8s} {'tokens/s':>12s} {'ms/step':>9s} {'peak GiB':>9s} "
          f"{'final loss':>10s} {'held-out':>9s} {'speedup':>8s}")
    base = next((r["tokens_per_s"] for r in results
                 if r["impl"] == "standard" and r["status"] == "ok"), None)
    for r in results:
        if r["status"] != "ok":
            print(f"{r['impl']:10s} {r['status']:8s}")
            continue
        mem = f"{r['peak_mem_bytes'] / 2**30:9.2f}" if r["peak_mem_bytes"] is not None else f"{'-':>9s}"
        sp = f"{r['tokens_per_s'] / base:7.2f}x" if base else f"{'-':>8s}"
        print(f"{r['impl']:10s} {'ok':8s} {r['tokens_per_s']:12,.0f} {r['step_ms']:9.1f} {mem} "
              f"{r['final_loss']:10.4f} {r['eval_loss']:9.4f} {sp}")

    if args.out:
        cfg = {k: v for k, v in vars(args).items() if k not in ("impls",)}
        cfg.update(batch=batch, tokens_per_step=batch * args.seq, n_params=n_params,
                   vocab=256, precision="fp32 master weights, bf16 autocast" if device.type == "cuda" else "fp32",
                   optimizer="AdamW(0.9, 0.95), wd 0.1, clip 1.0, warmup+cosine to 10%")
        write_json(args.out, "gpt_train", cfg, env, results=results)
    return results


if __name__ == "__main__":
    main()
