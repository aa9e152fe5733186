"""The GIL is released while the library works, so Python threads overlap."""

import _thread
import hashlib
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

import pystimpack as sp


def timed(fn):
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def test_python_runs_while_a_check_works(large_dataset):
    """The bug this pins: a call holding the GIL freezes every other Python thread for as
    long as it runs. Here the main thread keeps ticking while another thread checks."""
    done = threading.Event()
    elapsed = []

    def work():
        elapsed.append(timed(lambda: sp.check(large_dataset, decode=True, threads=1)))
        done.set()

    worker = threading.Thread(target=work)
    last = time.perf_counter()
    gaps = []
    worker.start()
    while not done.is_set():
        now = time.perf_counter()
        gaps.append(now - last)
        last = now
        time.sleep(0.001)
    worker.join()
    assert elapsed[0] > 0.2, "the workload is too small to show anything"
    assert len(gaps) > 20
    # Held GIL: one gap as long as the whole check. Released: only scheduling gaps.
    assert max(gaps) < elapsed[0] / 3, (max(gaps), elapsed[0])


def two_threads_over_one(fn):
    """Wall time of `fn` in two threads at once over `fn` alone: best of three."""
    ratios = []
    for _ in range(3):
        single = timed(fn)
        with ThreadPoolExecutor(2) as pool:
            both = timed(lambda: [f.result() for f in [pool.submit(fn), pool.submit(fn)]])
        ratios.append(both / single)
        if ratios[-1] < 1.4:
            break
    return min(ratios)


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="needs two cores")
def test_two_threads_finish_in_about_the_time_of_one(large_dataset):
    # Calibration: hashing a large buffer releases the GIL, so it shows what two threads
    # can gain on this machine now. Cores busy with other work cannot show it at all.
    data = b"x" * (64 << 20)
    baseline = two_threads_over_one(lambda: hashlib.sha256(data).digest())
    if baseline >= 1.4:
        pytest.skip(f"the cores are busy: even hashlib's two threads take {baseline:.2f}x one")
    ratio = two_threads_over_one(lambda: sp.check(large_dataset, decode=True, threads=1))
    # Serialised by the GIL, two would take twice as long as one.
    assert ratio < max(1.5, baseline + 0.2), (ratio, baseline)


def test_probe_many_in_threads_gives_the_same_results(large_dataset):
    paths = sorted(str(p) for p in large_dataset.rglob("*") if p.is_file())[:64]
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(sp.probe, paths))
    assert results == sp.probe_many(paths)


def test_ctrl_c_interrupts_a_long_check(large_dataset):
    """The bug this pins: Ctrl-C waited for the whole check (the signal handler runs only
    when the library returns). `interrupt_main` is what Ctrl-C does to the main thread."""
    full = min(timed(lambda: sp.check(large_dataset, decode=True, threads=1)) for _ in range(2))
    timer = threading.Timer(0.05, _thread.interrupt_main)
    start = time.perf_counter()
    with pytest.raises(KeyboardInterrupt):
        timer.start()
        sp.check(large_dataset, decode=True, threads=1)
        time.sleep(5)  # reached only when the check ignored the signal: fail, not hang
    elapsed = time.perf_counter() - start
    timer.join()
    assert elapsed < full / 2, (elapsed, full)
