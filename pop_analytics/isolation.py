"""Untrusted workbooks are parsed in a child process with a memory and a time budget. The xlsx
reader is native code: a crafted file can make it allocate without bound or abort the process it
runs in, and in the dashboard that process serves every user. A child that runs out of memory,
time or luck becomes a refusal with a sentence; the server stays up.

Children come from a fork server started once per process (a clean, single-threaded parent that
has imported the reader already), so each read costs a fork, not a fresh interpreter, and no lock
held by the app's other threads is inherited.
"""
from __future__ import annotations

import multiprocessing
import os
import resource
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

from . import settings
from .errors import FileRefused
from .file_checks import _detail, refuse

_CONTEXT = multiprocessing.get_context("forkserver")
_CONTEXT.set_forkserver_preload(["pop_analytics.reading"])


def _address_space() -> int:
    """This process's mapped memory now (VmSize): the budget is counted on top of it, since the
    libraries alone map more than a gigabyte they never touch."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    return 0


def _child(end: Connection, function: Callable[..., Any], args: tuple, memory: int) -> None:
    quiet = os.open(os.devnull, os.O_WRONLY)
    os.dup2(quiet, 2)  # a native reader's dying words (a backtrace) are not for the reader: the refusal is
    limit = _address_space() + memory
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    try:
        outcome: tuple[str, Any] = ("ok", function(*args))
    except FileRefused as refused:
        outcome = ("refused", refused.problems)
    except MemoryError:
        outcome = ("memory", None)
    except BaseException as error:  # noqa: BLE001 - a panic from native code is a BaseException too
        outcome = ("error", _detail(error))
    try:
        end.send(outcome)
    except MemoryError:
        end.send(("memory", None))
    end.close()


def run(function: Callable[..., Any], *args: Any, file_name: str) -> Any:
    """function(*args) in a child process within settings.READ_MEMORY_BYTES and
    settings.READ_SECONDS; its FileRefused is raised here, any other end is a refusal."""
    receive, send = _CONTEXT.Pipe(duplex=False)
    child = _CONTEXT.Process(target=_child, args=(send, function, args, settings.READ_MEMORY_BYTES), daemon=True)
    child.start()
    send.close()
    try:
        if not receive.poll(settings.READ_SECONDS):
            raise refuse("read_too_slow", file_name, seconds=int(settings.READ_SECONDS))
        try:
            status, value = receive.recv()
        except Exception:  # noqa: BLE001 - died before it could answer (killed, aborted in native code), or half an answer
            status, value = "died", None
    finally:
        if child.is_alive():
            child.kill()
        child.join(5)
        receive.close()
    if status == "ok":
        return value
    if status == "refused":
        raise FileRefused(value)
    if status == "memory":
        raise refuse("read_too_large", file_name, limit=settings.READ_MEMORY_BYTES // 2**20)
    if status == "error":
        raise refuse("unreadable_file", file_name, detail=value)
    raise refuse("read_crashed", file_name)
