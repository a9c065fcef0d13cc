"""Start the dashboard's Streamlit server: `python scripts/serve.py [streamlit run options]`.

Streamlit looks once per process for a `pages/` folder beside the main script and, on the
very first script run after the server starts, routes it through its legacy multipage
mode; a deep link such as /unit?unit=26734 then opens under a "Page not found" dialog.
app.py declares its pages with st.navigation, which turns that mode off for later runs;
this launcher turns it off before the first one.
"""

import sys
from pathlib import Path

from streamlit.runtime.pages_manager import PagesManager
from streamlit.web import cli

APP = Path(__file__).resolve().parent.parent / "app.py"

if __name__ == "__main__":
    PagesManager.uses_pages_directory = False
    sys.argv = ["streamlit", "run", str(APP), *sys.argv[1:]]
    sys.exit(cli.main())
