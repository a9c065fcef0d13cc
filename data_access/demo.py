"""`python -m data_access.demo`: the documented name of `python -m demo` (the demo/ package).

It runs that command as `python -m demo` would instead of importing it: data_access sits
below demo/ in the layers (.importlinter), and nothing in data_access uses the simulation.
"""

import runpy

if __name__ == "__main__":
    runpy.run_module("demo", run_name="__main__")
