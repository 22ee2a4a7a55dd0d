"""`python -m reslab_torch serve [options]`: see serve.py."""
import sys

from .serve import main

if len(sys.argv) < 2 or sys.argv[1] != "serve":
    print("usage: python -m reslab_torch serve [options]   (--help for the options)", file=sys.stderr)
    sys.exit(64)
sys.exit(main(sys.argv[2:]))
