"""Untrusted workbooks are parsed in a child process with a memory and a time budget. The xlsx
reader is native code: a crafted file can make it allocate without bound or abort the process it
runs in, and in the dashboard that process serves every user. A child that runs out of memory,
time or luck becomes a refusal with a sentence; the server stays up.

Children come from a fork server started once per process (a clean, single-threaded parent that
has imported the reader already), so each read costs a fork, not a fresh interpreter, and no lock
held by the app's other threads is inherited.
"""
from __future__ import annotations

import io
import multiprocessing
import os
import resource
from collections.abc import Callable, Sequence
from multiprocessing import context, forkserver, popen_forkserver, reduction, spawn, util
from multiprocessing.connection import Connection
from typing import Any

from . import settings
from .errors import FileRefused
from .file_checks import OLE_MAGIC, ZIP_MAGIC, error_detail, refuse

_CONTEXT = multiprocessing.get_context("forkserver")
_CONTEXT.set_forkserver_preload(["pop_analytics.reading"])


class _Launch(popen_forkserver.Popen):
    """The fork server's launch without the parent's __main__. multiprocessing has each child import
    the parent's main script again; in the dashboard that is the page script (Streamlit installs it
    as __main__ for every run), so every parse ran dashboard.py in the child first: seconds per
    upload, and app code in a process meant to hold only the reader. (The launch of CPython 3.11's
    popen_forkserver, with the main module left out of what the child prepares.)"""

    def _launch(self, process_obj: Any) -> None:
        prep_data = spawn.get_preparation_data(process_obj._name)
        prep_data.pop("init_main_from_path", None)
        prep_data.pop("init_main_from_name", None)
        buf = io.BytesIO()
        context.set_spawning_popen(self)
        try:
            reduction.dump(prep_data, buf)
            reduction.dump(process_obj, buf)
        finally:
            context.set_spawning_popen(None)
        self.sentinel, w = forkserver.connect_to_new_process(self._fds)  # type: ignore[attr-defined]  # untyped
        parent_w = os.dup(w)  # the child's sign that this parent is alive
        self.finalizer = util.Finalize(self, util.close_fds, (parent_w, self.sentinel))  # type: ignore[attr-defined]
        with open(w, "wb", closefd=True) as f:
            f.write(buf.getbuffer())
        self.pid = forkserver.read_signed(self.sentinel)


class _Child(context.ForkServerProcess):
    @staticmethod
    def _Popen(process_obj: Any) -> _Launch:
        return _Launch(process_obj)


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
        outcome = ("error", error_detail(error))
    try:
        end.send(outcome)
    except MemoryError:
        end.send(("memory", None))
    end.close()


def start_early(argv: Sequence[str]) -> bool:
    """For a command line that imports a workbook (a file that starts as one, whatever its name),
    the fork server is started at once: it loads the reader (about 0.4 s) while the command line
    loads the rest of the package, instead of after it. Whether it was started."""
    if "import" not in argv or not any(_starts_as_workbook(arg) for arg in argv):
        return False
    forkserver.ensure_running()
    return True


def _starts_as_workbook(arg: str) -> bool:
    if not os.path.isfile(arg):  # a pipe's first bytes, read here, would be missing from the import
        return False
    try:
        with open(arg, "rb") as file:
            return file.read(len(OLE_MAGIC)).startswith((ZIP_MAGIC, OLE_MAGIC))
    except (OSError, ValueError):  # an option, a folder, a file that cannot be read: reading it says why
        return False


def run(function: Callable[..., Any], *args: Any, file_name: str) -> Any:
    """function(*args) in a child process within settings.READ_MEMORY_BYTES and
    settings.READ_SECONDS; its FileRefused is raised here, any other end is a refusal."""
    receive, send = _CONTEXT.Pipe(duplex=False)
    child = _Child(target=_child, args=(send, function, args, settings.READ_MEMORY_BYTES), daemon=True)
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
