"""The thread helpers behind the fast layers: shares, order, errors, work arrays.

Tests that need threads set ``COURSE_LIB_THREADS=2`` themselves, so they check
the same thing on a one-core machine.
"""
import threading

import numpy as np
import pytest

from course_lib.fast import parallel
from course_lib.fast.parallel import map_blocks, padded_scratch, scratch, split


@pytest.mark.parametrize("n, parts", [(10, 2), (7, 3), (100, 8), (3, 5), (1, 2)])
def test_split_covers_the_range_in_order_with_nearly_equal_slices(n, parts):
    slices = split(n, parts)
    assert [i for s in slices for i in range(n)[s]] == list(range(n))
    lengths = [s.stop - s.start for s in slices]
    assert min(lengths) >= 1 and max(lengths) - min(lengths) <= 1
    assert len(slices) == min(n, parts)


def test_map_blocks_keeps_the_order_of_the_blocks():
    blocks = [slice(i, i + 1) for i in range(37)]
    assert map_blocks(lambda s: s.start * s.start, blocks) == [i * i for i in range(37)]


def test_map_blocks_runs_the_shares_on_two_threads_at_once(monkeypatch):
    monkeypatch.setenv("COURSE_LIB_THREADS", "2")
    seen = set()
    barrier = threading.Barrier(2, timeout=10)

    def work(i):
        seen.add(threading.get_ident())
        # times out (BrokenBarrierError) if the shares run one after the other
        barrier.wait()
        return i

    assert map_blocks(work, [0, 1]) == [0, 1]
    # the caller works through one share itself
    assert len(seen) == 2 and threading.get_ident() in seen


def test_one_thread_runs_everything_in_the_caller(monkeypatch):
    monkeypatch.setenv("COURSE_LIB_THREADS", "1")
    seen = []
    assert map_blocks(lambda i: seen.append(threading.get_ident()) or i, range(6)) == list(range(6))
    assert set(seen) == {threading.get_ident()}


def test_a_call_from_inside_a_block_runs_serially_and_does_not_hang(monkeypatch):
    monkeypatch.setenv("COURSE_LIB_THREADS", "2")
    def outer(i):
        return sum(map_blocks(lambda j: i * j, range(4)))

    assert map_blocks(outer, range(6)) == [6 * i for i in range(6)]


def test_an_error_in_a_block_reaches_the_caller_and_the_threads_stay_usable(monkeypatch):
    def work(i):
        if i == 5:
            raise ZeroDivisionError("block 5 failed")
        return i

    monkeypatch.setenv("COURSE_LIB_THREADS", "2")
    with pytest.raises(ZeroDivisionError, match="block 5"):
        map_blocks(work, range(8))
    assert map_blocks(lambda i: i + 1, range(8)) == list(range(1, 9))


def test_scratch_reuses_memory_by_name_and_thread():
    a = scratch("test a", (4, 5), np.float32)
    b = scratch("test a", (2, 10), np.float32)
    assert np.shares_memory(a, b)
    assert not np.shares_memory(a, scratch("test b", (4, 5), np.float32))
    bigger = scratch("test a", (100, 100), np.float32)
    assert bigger.shape == (100, 100) and bigger.dtype == np.float32
    other = []
    t = threading.Thread(target=lambda: other.append(scratch("test a", (4, 5), np.float32)))
    t.start()
    t.join()
    assert not np.shares_memory(other[0], scratch("test a", (4, 5), np.float32))


def test_padded_scratch_has_a_zero_border_whatever_came_before():
    rng = np.random.default_rng(0)
    # Two paddings that give the same padded shape: (2, 5, 5, 3) + pad 1 and (2, 3, 3, 3) + pad 2.
    for x, pad in [(rng.standard_normal((2, 5, 5, 3)), 1), (rng.standard_normal((2, 3, 3, 3)), 2),
                   (rng.standard_normal((2, 5, 5, 3)), 1)]:
        xp = padded_scratch(x, pad)
        np.testing.assert_array_equal(xp, np.pad(x, ((0, 0), (pad, pad), (pad, pad), (0, 0))))


def test_padded_scratch_keeps_a_bounded_amount_of_memory(monkeypatch):
    monkeypatch.setattr(parallel, "PADDED_KEEP_BYTES", 10_000)
    # many batch sizes, as a user's predict calls might bring
    for n in range(1, 40):
        padded_scratch(np.ones((n, 4, 4, 2), dtype=np.float32), 1)
    kept = sum(a.nbytes for a in parallel._padded.__dict__.values())
    assert kept <= 10_000 + 40 * 6 * 6 * 2 * 4


def test_map_shared_computes_every_index_once_on_both_threads(monkeypatch):
    monkeypatch.setenv("COURSE_LIB_THREADS", "2")
    done = [[] for _ in range(40)]
    threads = set()
    barrier = threading.Barrier(2, timeout=10)

    def work(i):
        threads.add(threading.get_ident())
        if i < 2:
            barrier.wait()          # times out unless indices 0 and 1 run on two threads at once
        done[i].append(i)

    parallel.map_shared(work, len(done))
    assert done == [[i] for i in range(40)]
    assert len(threads) == 2 and threading.get_ident() in threads


def test_map_shared_hands_out_indices_to_the_thread_that_is_free(monkeypatch):
    """A thread held up on one index leaves the others to the other thread."""
    monkeypatch.setenv("COURSE_LIB_THREADS", "2")
    slow = threading.Event()
    taken = {}

    def work(i):
        taken[i] = threading.get_ident()
        if i == 0:
            slow.wait(timeout=10)   # held up until the other thread has done all the rest
        elif len(taken) == 20:
            slow.set()

    parallel.map_shared(work, 20)
    assert len(taken) == 20 and sum(1 for t in taken.values() if t == taken[0]) == 1


def test_map_shared_errors_reach_the_caller_and_nested_calls_run_serially(monkeypatch):
    monkeypatch.setenv("COURSE_LIB_THREADS", "2")

    def work(i):
        if i == 3:
            raise ZeroDivisionError("index 3 failed")

    with pytest.raises(ZeroDivisionError, match="index 3"):
        parallel.map_shared(work, 8)
    inner = []
    parallel.map_shared(lambda i: parallel.map_shared(lambda j: inner.append((i, j)), 3), 4)
    assert sorted(inner) == [(i, j) for i in range(4) for j in range(3)]
    parallel.map_shared(lambda i: pytest.fail("no index to compute"), 0)


def test_bordered_scratch_and_ones():
    xp = parallel.bordered_scratch((2, 3, 4, 5), 1, np.float32)
    assert xp.shape == (2, 5, 6, 5) and not xp[:, 0].any() and not xp[:, :, -1].any()
    xp[:, 1:4, 1:5] = 7.0
    again = parallel.bordered_scratch((2, 3, 4, 5), 1, np.float32)
    assert again is xp and again[:, 1:4, 1:5].min() == 7.0 and not again[:, -1].any()
    v = parallel.ones(9, np.float32)
    assert v.dtype == np.float32 and v.shape == (9,) and (v == 1).all()
    assert np.shares_memory(v, parallel.ones(5, np.float32))
