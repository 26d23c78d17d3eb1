"""The catalogue: cases (a broken program and its fixes), how they are found, and how run.

``case``         what a case declares: its lesson, its variants, and its outcomes
``registry``     finding cases through the ``races.cases`` entry-point group
``runner``       exploring each variant and judging it against the declared outcomes
``scaffold``     ``races new``: a plugin package with one working case, ready to edit
``walkthrough``  the report a broken variant's docstring shows, generated from a run
``play``         ``races play``: the learner is the scheduler (``play_view`` draws the board)
"""

from races.catalogue.case import Case, Search
from races.catalogue.registry import Catalogue, PluginError, load_catalogue
from races.catalogue.runner import VariantReport, run_case
from races.vocabulary.kinds import ACCEPTABLE, FORBIDDEN

__all__ = [
    "ACCEPTABLE",
    "FORBIDDEN",
    "Case",
    "Catalogue",
    "PluginError",
    "Search",
    "VariantReport",
    "load_catalogue",
    "run_case",
]
