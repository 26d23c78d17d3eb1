"""A shared cache: get, compute, set from two clients loses a count; incr or cas does not."""

from races.catalogue import ACCEPTABLE, FORBIDDEN, Case, Search

CASE = Case(
    title="A shared cache: get, then set, from two clients",
    bug_class="atomicity violation (through a cache server)",
    primitives=("pymemcache get/set", "memcached incr", "memcached gets/cas"),
    granularity="line",
    order=33,
    related=("unlocked_counter", "manager_dict_lost_update", "check_then_act_balance"),
    fixes=("fixed_incr", "fixed_cas"),
    outcomes={
        "ok": (ACCEPTABLE, "every view counted: the server holds 2"),
        "assertion": (FORBIDDEN, "lost update: both clients read the same count and set it + 1"),
    },
    requires=("pymemcache",),
    programs=(
        (
            "memcached",
            "apt-get install memcached (Debian, Ubuntu), dnf install memcached (Fedora) "
            "or brew install memcached (macOS)",
        ),
    ),
    # The client library and the server's start are not the lesson: switch only in the
    # program's own lines.
    exclude=("pymemcache", "races.cases.cache_lost_update.server"),
    find=Search("random", budget=200),
)
