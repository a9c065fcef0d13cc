"""`python -m data_access.demo`: the documented name of `python -m demo` (the demo/ package)."""

from demo.__main__ import main

if __name__ == "__main__":
    raise SystemExit(main())
