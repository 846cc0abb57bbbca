#!/usr/bin/env python3
"""Model of BwdKernelSm90Ws.cuh's synchronization, run on the CPU.

The loader warp, the dQ writer warp and the two consumer warpgroups (one
thread each here) over T work items: Q/dO buffers behind qFull/doFull and
empty mbarriers (two buffers, parity waits), one dS^T buffer behind named
barrier 1 (the two warpgroups, 256 threads), two dQ staging buffers (item n
in buffer n % 2) behind named barriers "dQ staged" (consumers arrive, the
writer syncs) and "staging free" (the writer arrives, the consumers sync),
288 threads each, per buffer; the writer frees buffer b for item n + 1 once
the copy engine has read item n - 1 (one reduction in flight). For T = 0..12 with random delays it checks: no deadlock; each
consumer reads the item it expects from each buffer; the loader never
refills a buffer a consumer may still read; no warpgroup overwrites a dS^T
buffer the other may still read; the consumers never overwrite the staging
before the writer has read it, and the writer reads each item's dQ whole;
no named-barrier arrival is left over. Keep it in step with the kernel when
the protocol changes. Usage: python3 scripts/ws-bwd-protocol-model.py
"""
import os
import random
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ws_model_sync import MBar, NamedBar  # noqa: E402 (the shared primitives)

CONSUMERS = 2  # warpgroups, 4 warps each: the empty barriers count warps
WARPS = 4 * CONSUMERS


def run(T, jitter):
    qFull = [MBar(1) for _ in range(2)]
    doFull = [MBar(1) for _ in range(2)]
    empty = [MBar(WARPS) for _ in range(2)]
    kvFull = MBar(1)
    dsStored = NamedBar(256)
    dqStaged = [NamedBar(288) for _ in range(2)]
    dqFree = [NamedBar(288) for _ in range(2)]
    lock = threading.Lock()
    errs = []
    qbuf = [None] * 2            # item held by each Q/dO buffer
    readers = [0] * 2            # consumers still reading each buffer
    dsbuf = [None, None]  # [warpgroup] item of its half of dS^T
    ds_readers = [0]
    staging = [[None] * CONSUMERS for _ in range(2)]  # [buffer][warpgroup] item
    copy_reading = [None, None]  # item the copy engine still reads, per buffer

    def sleep():
        if jitter:
            time.sleep(random.random() * 0.001)

    def loader():
        try:
            if T > 0:
                kvFull.arrive()
            for n in range(T):
                s, use = n % 2, n // 2
                if use > 0:
                    empty[s].wait((use - 1) & 1)
                with lock:
                    assert readers[s] == 0, "Q/dO overwritten while read"
                    qbuf[s] = n
                sleep()
                qFull[s].arrive()
                sleep()
                doFull[s].arrive()
        except Exception as e:
            errs.append(("loader", e))

    def writer():
        try:
            for n in range(T):
                b = n % 2
                if n == 0:
                    dqFree[0].arrive(32)
                    if T > 1:
                        dqFree[1].arrive(32)
                dqStaged[b].sync(32)
                with lock:
                    assert staging[b] == [n] * CONSUMERS, f"staged dQ {staging[b]}, want {n}"
                    copy_reading[b] = n  # the reduction reads it from now
                sleep()
                if n > 0:  # bulkWaitRead<1>: item n - 1 has been read
                    with lock:
                        copy_reading[1 - b] = None
                    if n + 1 < T:
                        dqFree[1 - b].arrive(32)
        except Exception as e:
            errs.append(("writer", e))

    def consumer(wg):
        try:
            if T == 0:
                return
            kvFull.wait(0)
            for n in range(T):
                s, phase = n % 2, (n // 2) & 1
                qFull[s].wait(phase)
                doFull[s].wait(phase)
                with lock:
                    assert qbuf[s] == n, f"Q/dO buffer {s} holds {qbuf[s]}, want {n}"
                    readers[s] += 1
                sleep()  # S^T, dP^T, dV, dK
                with lock:  # dS^T of this warpgroup's keys
                    assert ds_readers[0] == 0, "dS^T overwritten while the other reads it"
                    dsbuf[wg] = n
                dsStored.sync(128)
                with lock:
                    assert dsbuf == [n, n], f"dS^T holds {dsbuf}, want {n}"
                    ds_readers[0] += 1
                sleep()  # dQ = dS K reads both halves
                with lock:
                    ds_readers[0] -= 1
                    readers[s] -= 1
                for _ in range(4):  # each warp of the warpgroup
                    empty[s].arrive()
                b = n % 2
                dqFree[b].sync(128)
                with lock:
                    assert copy_reading[b] is None, "staging overwritten while read"
                    staging[b][wg] = n
                sleep()
                dqStaged[b].arrive(128)
        except Exception as e:
            errs.append((f"consumer{wg}", e))

    ts = [threading.Thread(target=loader), threading.Thread(target=writer)]
    ts += [threading.Thread(target=consumer, args=(w,)) for w in range(CONSUMERS)]
    [t.start() for t in ts]
    [t.join() for t in ts]
    for name, b in [("dS stored", dsStored)] + [("dQ staged", x) for x in dqStaged] + \
            [("staging free", x) for x in dqFree]:
        if b.n != 0:
            errs.append((name, f"{b.n} dangling arrivals"))
    return errs


bad = 0
for T in range(0, 13):
    for rep in range(10):
        e = run(T, jitter=rep > 0)
        if e:
            print("T", T, e)
            bad += 1
            break
print("failures:", bad)
sys.exit(1 if bad else 0)
