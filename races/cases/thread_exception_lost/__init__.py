"""A worker thread dies of an exception that only threading.excepthook sees; the caller goes on."""

from races.catalogue import ACCEPTABLE, FORBIDDEN, Case

CASE = Case(
    title="The exception that stayed in its thread",
    bug_class="lost error",
    primitives=("threading.Thread", "threading.excepthook", "concurrent.futures.Future.result"),
    granularity="line",
    order=34,
    related=("pool_lost_exception", "async_fire_and_forget", "home_made_pool_lost_slot"),
    fixes=("fixed_errors_list", "fixed_futures"),
    outcomes={
        "ok": (ACCEPTABLE, "every order is saved, or the caller hears why one was not"),
        "thread exception": (
            FORBIDDEN,
            "a worker died of an exception that only threading.excepthook printed; the "
            "caller joined it and went on as if its work were done",
        ),
        "assertion": (FORBIDDEN, "the caller reported every order saved, but one was not"),
    },
)
