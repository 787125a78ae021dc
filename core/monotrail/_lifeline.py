"""Helper processes die with monotrail, even under SIGKILL: every helper hangs on a lifeline.

Protocol. monotrail starts a helper (a bytecode worker, the unpacking helper, a build backend)
through :class:`Helper`, which runs this file as a small supervisor::

    python -I -S _lifeline.py [CLEANUP_PATH ...] -- COMMAND ...

with the read end of a pipe open in it (its number in ``MONOTRAIL_LIFELINE``); monotrail keeps
the write end until it has waited for the helper, then closes it. The supervisor starts COMMAND
in a process group of its own and waits. When the pipe reaches end-of-file while COMMAND still
runs, monotrail is gone (the kernel closes a dead process's descriptors at once, SIGKILL
included): the supervisor kills COMMAND's whole group with SIGKILL, removes the CLEANUP_PATHs
(the helper's temporary files and folders) and exits. Otherwise it exits as COMMAND did.
monotrail stops a helper early the same way: ``Helper.kill`` closes the lifeline (a signal would
reach only the supervisor). The supervisor leaves monotrail's process group too (a group of its
own), so that a kill of monotrail's group (``kill -9 -PGID``, a closed terminal's SIGHUP) cannot
take the supervisor and leave the helper orphaned: end-of-file still reaches the supervisor.
Ctrl-C reaches monotrail alone (the helpers' groups are not the terminal's), whose exit then cuts
the lifeline.

Why a pipe and not ``PR_SET_PDEATHSIG``: the death signal is Linux only, fires when the *thread*
that started the child ends (monotrail starts helpers from pool threads), reaches only the direct
child (not a build backend's compilers), and leaves a race to close with ``getppid``. A pipe's
end-of-file comes on every POSIX system, whatever thread started the helper, and the process
group carries the kill down the helper's own tree. The price is one small process per helper
(``-I -S``: about 25 ms more per helper, measured on a loaded 2-core machine). What a killed
helper leaves half-written lies in the store's ``tmp/`` (a dead process's temporary entry,
collected by gc) or is a ``.pyc`` temporary, which ``store verify`` ignores.

Standard library only, and runnable by any Python 3.9+.
"""

from __future__ import annotations

import os
import signal
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from typing import Any

ENV = "MONOTRAIL_LIFELINE"


if __name__ != "__main__":  # monotrail's side; the supervisor imports no subprocess machinery
    import subprocess

    class Helper(subprocess.Popen[bytes]):
        """A ``subprocess.Popen`` of ``command`` under the supervisor; the lifeline is closed
        once the helper has been waited for. ``cleanup``: files and folders removed if monotrail
        dies."""

        def __init__(
            self, command: Sequence[str], cleanup: Sequence[str] = (), **kwargs: Any
        ) -> None:
            read, self._lifeline = os.pipe()
            env = dict(kwargs.pop("env", None) or os.environ)
            env[ENV] = str(read)
            supervisor = [sys.executable, "-I", "-S", os.path.abspath(__file__)]
            try:
                super().__init__(
                    [*supervisor, *cleanup, "--", *command], pass_fds=(read,), env=env, **kwargs
                )
            except BaseException:
                self._release()
                raise
            finally:
                os.close(read)

        def wait(self, timeout: float | None = None) -> int:
            code: int = super().wait(timeout)
            self._release()
            return code

        def kill(self) -> None:
            """Stop the helper and its children by cutting the lifeline."""
            self._release()

        terminate = kill

        def _release(self) -> None:
            if self._lifeline >= 0:
                os.close(self._lifeline)
                self._lifeline = -1

    class Pool:
        """Long-lived helpers of one kind, started by ``start`` as needed (at most ``limit``) and
        shared by threads: a thread takes one, talks to it alone, and gives it back (or drops it
        when it failed). ``close`` ends their input and waits for them."""

        def __init__(self, start: Callable[[], Helper], limit: int) -> None:
            import queue
            import threading

            self.start = start
            self.limit = limit
            self._idle: queue.SimpleQueue[Helper] = queue.SimpleQueue()
            self._all: list[Helper] = []
            self._lock = threading.Lock()

        def take(self) -> Helper | None:
            """An idle helper, or a new one while fewer than ``limit`` run; else None."""
            import queue

            with self._lock:
                try:
                    return self._idle.get_nowait()
                except queue.Empty:
                    pass
                if len(self._all) < self.limit:
                    helper = self.start()
                    self._all.append(helper)
                    return helper
            return None

        def wait_for_one(self) -> Helper:
            """A helper: taken, or given back by another thread (or started after one failed)."""
            import queue

            while (helper := self.take()) is None:
                try:
                    return self._idle.get(timeout=0.05)
                except queue.Empty:
                    continue
            return helper

        def give_back(self, helper: Helper) -> None:
            self._idle.put(helper)

        def drop(self, helper: Helper) -> None:
            """Stop a helper that failed; a new one may be started in its place."""
            helper.kill()
            helper.wait()
            with self._lock:
                self._all = [h for h in self._all if h is not helper]

        def failure(self, helper: Helper) -> str:
            """Why ``helper`` failed (its last line on stderr, else its exit code), once it is
            dropped."""
            assert helper.stderr is not None
            self.drop(helper)
            lines = helper.stderr.read().decode(errors="replace").strip().splitlines()
            return lines[-1] if lines else f"exit code {helper.returncode}"

        def close(self) -> None:
            for helper in self._all:
                if helper.stdin is not None:
                    try:
                        helper.stdin.close()
                    except OSError:
                        pass
            for helper in self._all:
                helper.wait()


def _supervise(argv: list[str]) -> int:
    split = argv.index("--")
    cleanup, command = argv[:split], argv[split + 1 :]
    lifeline = int(os.environ.pop(ENV))
    os.setpgid(0, 0)  # out of monotrail's group
    pid = os.fork()
    if pid == 0:  # the helper: its own process group, the signals Python changed restored
        os.close(lifeline)
        os.setpgid(0, 0)
        for name in ("SIGPIPE", "SIGXFSZ"):
            if hasattr(signal, name):
                signal.signal(getattr(signal, name), signal.SIG_DFL)
        try:
            os.execvp(command[0], command)
        except OSError as err:
            sys.stderr.write(f"cannot run {command[0]}: {err}\n")
        os._exit(127)
    try:
        os.setpgid(pid, pid)  # also here: no window in which a kill would miss the group
    except OSError:
        pass  # the helper already did it, or already exited
    # monotrail's own death is reported by the lifeline; an interrupt reaches monotrail.
    signal.signal(signal.SIGINT, signal.SIG_IGN)

    import threading

    dying = threading.Event()

    def watch() -> None:
        try:
            while os.read(lifeline, 4096):
                pass
        except OSError:
            pass
        dying.set()  # from here on, this thread ends the process, after the clean-up
        try:
            os.killpg(pid, signal.SIGKILL)
        except OSError:
            pass
        for path in cleanup:
            if os.path.isdir(path) and not os.path.islink(path):
                import shutil

                shutil.rmtree(path, ignore_errors=True)
                continue
            try:
                os.unlink(path)
            except OSError:
                pass
        os._exit(1)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    _, status = os.waitpid(pid, 0)
    if dying.is_set():  # the helper died of the kill above: let the clean-up finish
        watcher.join()
    if os.WIFSIGNALED(status):  # end the same way, for the caller's returncode
        number = os.WTERMSIG(status)
        try:
            signal.signal(number, signal.SIG_DFL)
        except (OSError, ValueError):
            pass  # SIGKILL's handler cannot be changed (nor needs to be)
        os.kill(os.getpid(), number)
    return os.WEXITSTATUS(status) if os.WIFEXITED(status) else 1


if __name__ == "__main__":
    sys.exit(_supervise(sys.argv[1:]))
