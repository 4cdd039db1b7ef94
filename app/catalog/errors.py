"""The catalogue's error, shared by its services and its stock functions."""


class CatalogError(Exception):
    """A catalogue rule was broken; the message is safe to show."""
