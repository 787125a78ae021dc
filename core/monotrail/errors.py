"""The one exception type for mistakes a user can fix: printed as one line, never a traceback."""


class MonotrailError(Exception):
    """A user-facing error: bad input, a missing package, a network failure, a hash mismatch.

    The message is complete on its own (it names the file and what is wrong); the command line
    prints it as ``error: <message>`` and exits non-zero.
    """

    exit_code = 2


class SourceError(MonotrailError):
    """A package's own source cannot be had: a git revision or repository, a path dependency.

    Raised while the store is filled, where the lock file is not known: ``env.prepare`` names
    the file that decided the packages in front of the message.
    """
