"""What the page is told when an action cannot be done (in Chinese, never a traceback)."""


class PlayError(ValueError):
    """An action the playground refuses; the message is shown on the page as it is."""
