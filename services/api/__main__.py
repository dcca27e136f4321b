"""`python -m services.api`: the REST API as its own process (distributed mode)."""

from services.api.bootstrap import main

main()
