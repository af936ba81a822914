"""Errors with one-line messages meant for the person running unseen."""


class UnseenError(Exception):
    """Base class: the message is shown to the user as is, on one line."""


class UnsupportedFormat(UnseenError):
    pass


class CorruptInput(UnseenError):
    pass


class ModelError(UnseenError):
    pass


class VerificationFailed(UnseenError):
    pass


class OutputError(UnseenError):
    pass


class UsageError(UnseenError):
    """The command was asked for something that cannot be (a bad regions file, plan or folder):
    exit status 2, nothing done."""


class Stopped(UnseenError):
    """The person asked to stop (the review page's cancel): no output."""


class OutputDirError(UsageError):
    """The output folder is missing, not a folder or not writable."""


def one_line(e: BaseException) -> str:
    """An exception's message on one line (its class name where it has none): how every error
    reaches a person, a report or the page."""
    return " ".join(str(e).split()) or type(e).__name__
