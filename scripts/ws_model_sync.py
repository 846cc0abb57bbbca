"""The synchronization primitives of the warp-specialized kernels, modeled
with Python threads for scripts/ws-protocol-model.py (forward) and
scripts/ws-bwd-protocol-model.py (backward): mbarriers with the hardware's
phase-parity waits (try_wait.parity P returns once the phase with parity P
completed: a waiter more than one phase behind would block forever), and
named barriers with bar.sync/bar.arrive's thread-count semantics. Waits
time out after 2 s and raise: the models report that as a deadlock.
"""
import threading


class MBar:
    def __init__(s, count): s.count=count; s.pending=count; s.completed=0; s.cv=threading.Condition()
    def arrive(s, n=1):
        with s.cv:
            s.pending-=n
            assert s.pending>=0
            if s.pending==0: s.completed+=1; s.pending=s.count; s.cv.notify_all()
    def wait(s, parity):
        with s.cv:
            # try_wait.parity P: true iff the current phase's parity != P
            ok=s.cv.wait_for(lambda: (s.completed & 1) != parity, timeout=2)
            if not ok: raise RuntimeError("mbarrier deadlock")

class NamedBar:
    # completes when `threads` have arrived (sync or arrive); syncers wait.
    def __init__(s, threads): s.threads=threads; s.n=0; s.gen=0; s.cv=threading.Condition()
    def _arrive(s, k):
        s.n+=k
        if s.n>=s.threads:
            assert s.n==s.threads, "over-arrival"
            s.n=0; s.gen+=1; s.cv.notify_all()
    def arrive(s, k=128):
        with s.cv: s._arrive(k)
    def sync(s, k=128):
        with s.cv:
            g=s.gen; s._arrive(k)
            if not s.cv.wait_for(lambda: s.gen>g, timeout=2): raise RuntimeError("named barrier deadlock")
