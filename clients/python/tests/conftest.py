import sys
from pathlib import Path

# Tests run from a checkout: import the package from clients/python without installing it.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
