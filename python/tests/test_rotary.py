"""Rotary embeddings as flash_attn_with_kvcache applies them (rotary.py),
on the CPU: each rotated column pair is the complex product of the pair
with e^(i angle) of its position, in both pairings; columns past rotary_dim
pass through; bad tables are argument errors that name themselves."""
from __future__ import annotations

import math

import pytest

torch = pytest.importorskip("torch")

from flashgen.errors import ArgumentError  # noqa: E402
from flashgen.rotary import apply_rotary, check_rotary  # noqa: E402


def _tables(seqlen, rotary_dim, base=10000.0):
    inv = 1.0 / base ** (torch.arange(0, rotary_dim, 2, dtype=torch.float64) / rotary_dim)
    ang = torch.arange(seqlen, dtype=torch.float64)[:, None] * inv[None, :]
    return ang.cos().float(), ang.sin().float(), ang


@pytest.mark.parametrize("interleaved", [True, False])
def test_each_pair_turns_by_its_positions_angle(interleaved):
    b, s, h, d, ro = 2, 3, 2, 64, 32
    cos, sin, ang = _tables(50, ro)
    x = torch.randn(b, s, h, d, dtype=torch.float32)
    pos = torch.tensor([[0, 7, 49], [3, 3, 11]])
    y = apply_rotary(x, cos, sin, pos, interleaved)
    for bi in range(b):
        for si in range(s):
            for hi in range(h):
                for j in range(ro // 2):
                    a, c = ((2 * j, 2 * j + 1) if interleaved else (j, j + ro // 2))
                    z = complex(x[bi, si, hi, a], x[bi, si, hi, c]) * \
                        complex(math.cos(ang[pos[bi, si], j]), math.sin(ang[pos[bi, si], j]))
                    assert y[bi, si, hi, a].item() == pytest.approx(z.real, abs=1e-5)
                    assert y[bi, si, hi, c].item() == pytest.approx(z.imag, abs=1e-5)
    assert torch.equal(y[..., ro:], x[..., ro:])  # past rotary_dim: unchanged


def test_keeps_the_dtype_and_leaves_the_input():
    cos, sin, _ = _tables(8, 16)
    x = torch.randn(1, 2, 1, 16, dtype=torch.bfloat16)
    before = x.clone()
    y = apply_rotary(x, cos, sin, torch.tensor([[1, 2]]), True)
    assert y.dtype == torch.bfloat16 and torch.equal(x, before)


def test_a_position_past_the_table_is_an_index_error():
    cos, sin, _ = _tables(4, 16)
    with pytest.raises(IndexError):
        apply_rotary(torch.randn(1, 1, 1, 16), cos, sin, torch.tensor([[4]]), False)


def test_bad_tables_name_themselves():
    q = torch.zeros(1, 1, 2, 64)
    cos, sin, _ = _tables(8, 32)
    check_rotary(cos, sin, 64, q, "f")
    with pytest.raises(ArgumentError, match="give both rotary_cos and rotary_sin"):
        check_rotary(cos, None, 64, q, "f")
    with pytest.raises(ArgumentError, match="rotary_cos must be a float tensor"):
        check_rotary(cos[0], sin, 64, q, "f")
    with pytest.raises(ArgumentError, match="differ"):
        check_rotary(cos, sin[:4], 64, q, "f")
    c24, s24, _ = _tables(8, 24)
    with pytest.raises(ArgumentError, match="multiple of 16 no wider than the head dim 64"):
        check_rotary(c24, s24, 64, q, "f")
    c80, s80, _ = _tables(8, 80)
    with pytest.raises(ArgumentError, match="= 80 must be"):
        check_rotary(c80, s80, 64, q, "f")
