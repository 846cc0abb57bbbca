"""Session 32: does this PyTorch expose cuDNN's fp8 attention (issue 17 asks
to compare fp8 accuracy with it "where torch exposes it")? Tries SDPA on
float8_e4m3fn inputs under each backend and the cuDNN operator directly,
and lists aten's attention operators; prints what each attempt says."""
import torch
import torch.nn.functional as F
from torch.nn.attention import SDPBackend, sdpa_kernel

print(torch.__version__, torch.cuda.get_device_name(), "cudnn", torch.backends.cudnn.version())
q = torch.randn(1, 8, 256, 128, device="cuda").to(torch.float8_e4m3fn)
for backend in (SDPBackend.CUDNN_ATTENTION, SDPBackend.FLASH_ATTENTION,
                SDPBackend.EFFICIENT_ATTENTION, SDPBackend.MATH):
    try:
        with sdpa_kernel(backend):
            o = F.scaled_dot_product_attention(q, q, q)
        print(backend, "ran:", o.dtype, o.shape)
    except Exception as e:
        print(backend, "refused:", type(e).__name__, str(e).replace("\n", " ")[:300])
try:
    r = torch.ops.aten._scaled_dot_product_cudnn_attention(q, q, q, None, False, 0.0, False,
                                                           False)
    print("aten._scaled_dot_product_cudnn_attention ran:", r[0].dtype)
except Exception as e:
    print("aten._scaled_dot_product_cudnn_attention refused:", type(e).__name__,
          str(e).replace("\n", " ")[:300])
names = [n for n in dir(torch.ops.aten) if "attention" in n or "fp8" in n or "scaled_mm" in n]
print("aten operators:", " ".join(sorted(names)))
