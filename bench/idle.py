"""`python -m bench.idle`: a bare interpreter that says `idle` and waits (the memory baseline)."""

import sys
import time

print("idle", flush=True)
time.sleep(float(sys.argv[1]) if len(sys.argv) > 1 else 30)
