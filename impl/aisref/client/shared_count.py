"""SharedCount: an integer that forked child processes (DataLoader workers) add to in place."""

from __future__ import annotations

import multiprocessing
import threading
from typing import Any

_LOCK_TIMEOUT_S = 1.0


class SharedCount:
    """A non-negative count kept in shared memory, so forked copies of its owner add to it.

    DataLoader workers started by fork inherit a *copy* of every client: a plain ``int`` there
    would count in the copy and vanish with the worker. This count is one 8-byte integer in
    memory shared with every process forked after it was made; a worker's :meth:`add` is seen
    by the parent's :attr:`value` at once. Only :meth:`add` takes the process-shared lock (with
    a timeout: a worker killed while holding it must not hang the others), so holding a count
    costs nothing until a retry happens.

    Limits:
        - Pickling cannot carry fork-shared memory, so a copy that is pickled (DataLoader
          workers under the ``spawn``/``forkserver`` start methods, ``copy.deepcopy``) starts
          a count of its own at the value it had: the original does not see what it adds.
        - Where fork, shared memory or POSIX semaphores are unavailable (Windows, no
          ``/dev/shm``) the count is process-local, as a plain ``int`` would be.

    Args:
        value: the starting count.
    """

    def __init__(self, value: int = 0) -> None:
        self._shared = _fork_shared_int(value)
        self._local = value  # the count when there is no shared memory
        self._local_lock = threading.Lock()

    @property
    def shared(self) -> bool:
        """Whether forked copies add to this count (False: process-local fallback)."""
        return self._shared is not None

    @property
    def value(self) -> int:
        """The count: this process's adds plus those of every forked copy."""
        if self._shared is None:
            return self._local
        # Unlocked: an aligned 8-byte load is atomic, and a reader must never wait on a lock
        # a killed worker may hold (see add).
        return int(self._shared.get_obj().value)

    @value.setter
    def value(self, value: int) -> None:
        if self._shared is None:
            self._local = value
        else:
            self._shared.get_obj().value = value

    def add(self, amount: int = 1) -> None:
        """Add ``amount``, atomically across threads and forked processes."""
        if self._shared is None:
            with self._local_lock:
                self._local += amount
            return
        lock = self._shared.get_lock()
        # A worker killed inside this section (DataLoader terminates stuck workers) would hold
        # the lock forever; past the timeout, count without it rather than hang the loader.
        locked = lock.acquire(timeout=_LOCK_TIMEOUT_S)
        try:
            self._shared.get_obj().value += amount
        finally:
            if locked:
                lock.release()

    def __reduce__(self) -> tuple[Any, ...]:
        # Shared memory made for fork cannot be pickled: an unpickled copy counts on its own.
        return (SharedCount, (self.value,))

    def __repr__(self) -> str:
        where = "shared" if self.shared else "process-local"
        return f"SharedCount({self.value}, {where})"


def _fork_shared_int(value: int) -> Any:
    """A lock-guarded ``c_longlong`` in fork-shared memory, or None where none can be made.

    The fork context, whatever the default start method: its semaphore is unlinked at once,
    so no resource-tracker process is started and nothing is left behind in /dev/shm.
    """
    try:
        return multiprocessing.get_context("fork").Value("q", value)
    except (ValueError, OSError, ImportError):  # no fork (Windows), no /dev/shm or semaphores
        return None
