"""The demo city: a realistic simulation of Ho Chi Minh City's ratings, dossiers and steps.

    python -m demo [--size small|default|city] ...   (also: python -m data_access.demo)

The modules, one job each (generate.py's docstring describes the model):

    catalogue.toml / catalogue.py  calendar facts, published calibration figures, departments,
                                   fields, procedures, titles, names, reasons (data)
    model.py       the simulation's parameters and records (sizes, weak wards, incidents)
    days.py        the calendar: holidays, busy days, counter and online hours
    plan.py        units and weights, weak wards and incidents from the seed
    dimensions.py  units, fields, procedures, officers, targets
    facts.py       dossiers and ratings, a chunk of days at a time
    steps.py       processing steps of the dossiers
    surveys.py     published independent survey figures
    generate.py    the whole run: checks the database, writes in chunks, reports progress
"""

from demo.days import default_end
from demo.generate import generate, planned_receipts, steps_since
from demo.model import DEFAULT_START, SIZES, Anomaly, DemoDataError
from demo.plan import incidents, ward_weights
from demo.surveys import demo_surveys, write_demo_surveys

__all__ = [
    "DEFAULT_START",
    "SIZES",
    "Anomaly",
    "DemoDataError",
    "default_end",
    "demo_surveys",
    "generate",
    "incidents",
    "planned_receipts",
    "steps_since",
    "ward_weights",
    "write_demo_surveys",
]
