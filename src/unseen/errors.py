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
