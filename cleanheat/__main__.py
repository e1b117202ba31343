"""Allow ``python -m cleanheat``."""

from cleanheat.cli import main

main()
