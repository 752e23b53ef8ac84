"""Replacing attributes while tracing, and putting them back afterwards."""

_saved = []  # (owner, name, original or _MISSING)
_MISSING = object()


def patch(owner, name, value):
    """Sets `owner.name` to `value` until `restore_all`."""
    _saved.append((owner, name, owner.__dict__.get(name, _MISSING) if hasattr(owner, "__dict__") else getattr(owner, name)))
    setattr(owner, name, value)


def restore_all():
    while _saved:
        owner, name, original = _saved.pop()
        if original is _MISSING:
            try:
                delattr(owner, name)
            except AttributeError:
                pass
        else:
            setattr(owner, name, original)
