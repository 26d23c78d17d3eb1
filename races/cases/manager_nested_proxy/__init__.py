"""A list inside a manager dict: appending to it changes a copy, and the item is lost."""

from races.catalogue import ACCEPTABLE, FORBIDDEN, Case

CASE = Case(
    title="Manager nested proxy: d['log'].append(x) changes a copy",
    bug_class="lost update (a copy, not a proxy)",
    primitives=("multiprocessing.Manager", "DictProxy"),
    order=43,
    related=("manager_dict_lost_update", "globals_not_shared"),
    fixes=("fixed_nested_list", "fixed_reassign"),
    outcomes={
        "ok": (ACCEPTABLE, "every worker's entry is in the shared log"),
        "assertion": (FORBIDDEN, "the entries went to copies of the list: the shared log is empty"),
    },
    # Nothing here depends on timing: one run under each start method shows it all.
    stress_runs=2,
    needs=(
        "processes: the manager serves the dict from its own process, which the in-process "
        "scheduler does not control. `races stress manager_nested_proxy` shows it"
    ),
)
