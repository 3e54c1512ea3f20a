"""``python -m marketjobs`` runs the command line."""

from marketjobs.cli.main import main

main()
