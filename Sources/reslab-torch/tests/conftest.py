"""The tests run against this tree's package, not an installed copy."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
