"""The collector pause around compiles: nestable, thread-safe, and it leaves a disabled collector disabled."""

from __future__ import annotations

import gc
import threading

from playlists.gcpaused import gc_paused


def test_paused_inside_and_back_on_after_the_outermost() -> None:
    assert gc.isenabled()
    with gc_paused():
        assert not gc.isenabled()
        with gc_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the outer compile is still running
    assert gc.isenabled()


def test_a_collector_that_was_off_stays_off() -> None:
    gc.disable()
    try:
        with gc_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_back_on_when_the_last_of_two_threads_ends_even_after_an_error() -> None:
    inside, release = threading.Event(), threading.Event()

    def other() -> None:
        with gc_paused():
            inside.set()
            release.wait(5)

    thread = threading.Thread(target=other)
    thread.start()
    assert inside.wait(5)
    try:
        with gc_paused():
            raise ValueError("a refused compile")
    except ValueError:
        pass
    assert not gc.isenabled()  # the other thread's compile still runs
    release.set()
    thread.join(5)
    assert gc.isenabled()
