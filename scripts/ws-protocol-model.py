#!/usr/bin/env python3
"""Model of FwdKernelSm90Ws.cuh's synchronization, run on the CPU.

One producer and one or two consumer warpgroups (one thread each here), mbarriers
with the hardware's phase-parity waits (try_wait.parity P returns once the
phase with parity P completed: a waiter more than one phase behind would
block forever), named barriers with bar.sync/bar.arrive's count semantics
(256 = one warpgroup syncing + one arriving). For 1 and 2 consumers, 2 and 3 buffers and 0..12
kv tiles, with random delays, it checks: no deadlock, each consumer reads
the tile it expects from each buffer, the producer never refills a buffer a
consumer's wgmma may still read, and no named-barrier arrival is left over.
Keep it in step with the kernel when the protocol changes; it cannot see
the kernel itself. Usage: python3 scripts/ws-protocol-model.py
"""
import threading, random, time, sys

import os
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ws_model_sync import MBar, NamedBar  # noqa: E402 (the shared primitives)

def run(T, S, C, jitter):
    kFull=[MBar(1) for _ in range(S)]; vFull=[MBar(1) for _ in range(S)]
    kEmpty=[MBar(C) for _ in range(S)]; vEmpty=[MBar(C) for _ in range(S)]
    qFull=MBar(1); B=[NamedBar(256) for _ in range(C)]
    kbuf=[None]*S; vbuf=[None]*S; readers_k=[0]*S; readers_v=[0]*S
    lock=threading.Lock(); errs=[]
    def sleep(): 
        if jitter: time.sleep(random.random()*0.001)
    def producer():
        try:
            qFull.arrive()
            for n in range(T):
                s=n%S; use=n//S
                if use>0: kEmpty[s].wait((use-1)&1)
                with lock: assert readers_k[s]==0, "K overwritten while read"; kbuf[s]=n
                sleep(); kFull[s].arrive()
                if use>0: vEmpty[s].wait((use-1)&1)
                with lock: assert readers_v[s]==0, "V overwritten while read"; vbuf[s]=n
                sleep(); vFull[s].arrive()
        except Exception as e: errs.append(("producer",e))
    def consumer(wg):
        try:
            turn=[0]
            # turns only with more than one consumer (kConsumers > 1)
            def begin():
                if C>1 and (wg>0 or turn[0]>0): B[wg].sync()
            def end(last):
                if C>1 and not (last and wg==C-1): B[(wg+1)%C].arrive()
                turn[0]+=1
            def readK(s, n):
                with lock: assert kbuf[s]==n, f"K buffer {s} has {kbuf[s]} want {n}"; readers_k[s]+=1
            def doneK(s):
                with lock: readers_k[s]-=1
                kEmpty[s].arrive()
            def readV(s, n):
                with lock: assert vbuf[s]==n, f"V buffer {s} has {vbuf[s]} want {n}"; readers_v[s]+=1
            def doneV(s):
                with lock: readers_v[s]-=1
                vEmpty[s].arrive()
            qFull.wait(0)
            if T==0: return
            kFull[0].wait(0); begin(); readK(0,0); end(False); sleep(); doneK(0)
            n=0
            while n+1<T:
                sc,sn=n%S,(n+1)%S
                kFull[sn].wait(((n+1)//S)&1); vFull[sc].wait((n//S)&1)
                begin(); readK(sn,n+1); readV(sc,n); end(False)
                sleep(); doneK(sn); sleep(); doneV(sc)
                n+=1
            vFull[n%S].wait((n//S)&1); begin(); readV(n%S,n); end(True); sleep()
            with lock: readers_v[n%S]-=1
            assert turn[0]==T+1
        except Exception as e: errs.append((f"consumer{wg}",e))
    ts=[threading.Thread(target=producer)]+[threading.Thread(target=consumer,args=(w,)) for w in range(C)]
    [t.start() for t in ts]; [t.join() for t in ts]
    # no dangling named-barrier arrivals
    for i,b in enumerate(B):
        if b.n!=0: errs.append((f"B{i}", f"{b.n} dangling arrivals"))
    return errs

bad=0
for C in (1,2):
    for S in (2,3):
        for T in range(0,13):
            for rep in range(10):
                e=run(T,S,C,jitter=rep>0)
                if e: print("C",C,"S",S,"T",T,e); bad+=1; break
print("failures:",bad)
sys.exit(1 if bad else 0)
