"""``python -m marketjobs`` runs the command line (an entry shim: the CLI itself lives in ``interfaces.cli``)."""

from interfaces.cli.main import main

main()
