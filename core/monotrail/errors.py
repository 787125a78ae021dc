"""The one exception type for mistakes a user can fix: printed as one line, never a traceback."""


class MonotrailError(Exception):
    """A user-facing error: bad input, a missing package, a network failure, a hash mismatch.

    The message is complete on its own (it names the file and what is wrong); the command line
    prints it as ``error: <message>`` and exits non-zero.
    """

    exit_code = 2
