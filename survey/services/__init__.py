"""Services: the operations of the product, called by views and commands.

They take plain arguments, flush but never commit (the request or the command commits once),
and raise ``ServiceError`` with a message fit to show a person.
"""


class ServiceError(Exception):
    """An operation refused, with a one-line reason for the person who asked."""
