"""``python -m marketjobs`` runs the command line (a shim: the CLI lives in ``interfaces.cli``)."""

from interfaces.cli.main import main

main()
