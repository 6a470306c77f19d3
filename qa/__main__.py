"""``python -m qa`` is the ``qa`` command."""
from .cli import main

main()
