"""Race tests' one harness: run calls in threads at the same moment and sort what came back.

Each thread works on its own database connection (closed at the end); a barrier releases them together.
Refusals a user would see (``refused``, by default TransitionRefused and ValidationError) are collected;
anything else fails the test, as does a thread still waiting on a lock after ``timeout`` seconds.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import close_old_connections, connection

from approvals.engine import TransitionRefused


@dataclass
class Outcome:
    successes: list[Any] = field(default_factory=list)
    refusals: list[Exception] = field(default_factory=list)
    errors: list[BaseException] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, kind: str, value: Any) -> None:
        with self.lock:
            getattr(self, kind).append(value)


def run_together(
    calls: list[Callable[[], Any]],
    timeout: float = 60,
    refused: tuple[type[Exception], ...] = (TransitionRefused, ValidationError),
) -> Outcome:
    outcome = Outcome()
    barrier = threading.Barrier(len(calls))

    def worker(call: Callable[[], Any]) -> None:
        try:
            barrier.wait(timeout=timeout)
            outcome.add("successes", call())
        except refused as exc:
            outcome.add("refusals", exc)
        except BaseException as exc:
            outcome.add("errors", exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(call,)) for call in calls]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=timeout)
    assert not any(t.is_alive() for t in threads), "a thread is stuck (lock wait?)"
    close_old_connections()
    assert not outcome.errors, f"unexpected errors: {outcome.errors!r}"
    return outcome
