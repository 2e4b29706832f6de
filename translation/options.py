"""Range checks for the pipeline's option types (``EngineOptions``, ``FetchPolicy``,
``PipelineLimits``), which are also the config file's sections: one definition of each option,
its default and its allowed values."""

from __future__ import annotations


class OptionError(ValueError):
    """An option outside its allowed range; the message names the option (the config loader
    adds the section)."""


def at_least(minimum: float, obj: object, *names: str) -> None:
    for name in names:
        value = getattr(obj, name)
        if value < minimum:
            raise OptionError(f"{name} must be at least {minimum}, got {value}")


def positive(obj: object, *names: str) -> None:
    for name in names:
        value = getattr(obj, name)
        if not value > 0:
            raise OptionError(f"{name} must be positive, got {value}")
