"""``races play``: the learner is the scheduler, and wins when the broken program fails.

The game's rules are checked on the first lesson, the unlocked counter: its moves, a move
taken back, the moves refused; that the shortest win takes exactly the number of moves the
transcript plays (a breadth-first search over every game proves none shorter exists);
that no game breaks the fix; that the schedule a game prints replays to the same end; and
the command itself, with moves piped in and with keys pressed on a terminal.
"""

from __future__ import annotations

import fcntl
import json
import os
import pty
import re
import shlex
import struct
import subprocess
import sys
import termios
from collections.abc import Sequence
from pathlib import Path

import pytest

from races import cli
from races.catalogue import load_catalogue
from races.catalogue.play import (
    BLOCKED,
    CAN_RUN,
    FINISHED,
    Engine,
    Game,
    IllegalMove,
    State,
    playable,
)
from races.catalogue.play_view import play_plain
from races.core.strategies.base import default_choice
from races.runtimes.threads.session import Session
from races.vocabulary.outcome import Position

ROOT = Path(__file__).resolve().parent.parent
CATALOGUE = load_catalogue()

#: The shortest win on the unlocked counter, the same on 3.11, 3.12 and 3.13: the main
#: thread goes on until it starts the second worker (4 moves), the first worker reads the
#: count (5 moves), and the second worker runs before the first writes it back (1 move).
#: After it, the default order loses the second worker's decrement.
SHORTEST_WIN = (0, 0, 0, 0, 1, 1, 1, 1, 1, 2)
LOST_UPDATE = (
    "lost update in races.cases.unlocked_counter.broken.scenario: "
    "AssertionError: lost update: 1 decrement(s) lost"
)


@pytest.fixture(scope="module")
def counter() -> Engine:
    return Engine(CATALOGUE.get("unlocked_counter"), "broken")


@pytest.fixture(scope="module")
def fixed_counter() -> Engine:
    return Engine(CATALOGUE.get("unlocked_counter"), "fixed")


def transcript(engine: Engine, moves: Sequence[str]) -> list[str]:
    """What ``races play --plain`` prints when the learner types ``moves``, one a line."""
    written: list[str] = []
    play_plain(engine, Game(engine), moves, written.append)
    return written


def races(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "races", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )


def replay_of(lines: Sequence[str]) -> list[str]:
    """The ``races replay`` command a transcript ends with, as arguments for ``races``."""
    command = shlex.split(lines[-1])
    assert command[:2] == ["races", "replay"], lines[-1]
    return command[1:]


# ---------------------------------------------------------------- the state machine


def test_the_legal_moves_are_the_threads_that_can_run(counter: Engine) -> None:
    game = Game(counter)
    start = game.state
    # The main thread has started the first worker, which is about to run its first line.
    assert game.legal_moves() == start.runnable == (0, 1)
    assert [t.name for t in start.threads] == ["MainThread", "Thread-1 (decrement)"]
    assert [t.status for t in start.threads] == [CAN_RUN, CAN_RUN]
    assert start.running == 1  # the thread that took the last step: the default choice
    assert start.values == (("count", "2"),)
    assert not start.over and not game.won


def test_a_move_runs_the_chosen_thread_one_step_and_leaves_the_others(counter: Engine) -> None:
    game = Game(counter)
    start = game.state
    after = game.play(0)
    assert after.moves == (0,) and after.step == start.step + 1
    assert after.thread(1) == start.thread(1)  # the worker waits where it was
    assert after.thread(0) != start.thread(0)  # the main thread moved on
    assert after.running == 0


def test_back_restores_the_previous_state_exactly(counter: Engine) -> None:
    game = Game(counter)
    game.play(1)
    before = game.state
    game.play(0)
    assert game.back() == before
    # Every state is a replay: running the same moves again draws the same board.
    assert counter.position(before.moves) == before


def test_back_at_the_start_is_refused(counter: Engine) -> None:
    game = Game(counter)
    with pytest.raises(IllegalMove, match="this is the start: there is no move to take back"):
        game.back()


def test_a_blocked_thread_cannot_be_chosen_and_the_game_says_why(counter: Engine) -> None:
    game = Game(counter)
    for move in SHORTEST_WIN[:4]:
        game.play(move)
    state = game.state
    main = state.thread(0)
    assert main is not None and main.status == BLOCKED
    assert main.doing == "blocks in Thread.start"  # until the second worker has started
    assert game.legal_moves() == (1, 2)
    with pytest.raises(IllegalMove) as refused:
        game.play(0)
    assert str(refused.value) == (
        "MainThread blocks in Thread.start: it cannot run until another thread frees what it "
        "waits for; pick one of 1, 2"
    )
    assert game.state is state  # nothing moved


def test_a_thread_that_does_not_exist_is_refused(counter: Engine) -> None:
    game = Game(counter)
    with pytest.raises(IllegalMove, match=r"there is no thread 2 yet: the threads are 0 and 1"):
        game.play(2)


def test_stopping_runs_the_rest_in_the_default_order(counter: Engine) -> None:
    game = Game(counter)
    end = game.finish()
    assert end.over and end.outcome == "ok" and not game.won
    assert [t.status for t in end.threads] == [FINISHED] * 3
    assert end.values == (("count", "0"),)
    assert str(end.schedule).endswith(": -")  # nothing left the default order
    with pytest.raises(IllegalMove, match="the run is over"):
        game.play(0)


# ---------------------------------------------------------------- winning


def test_the_shortest_win_on_the_broken_counter_is_the_one_the_transcript_plays(
    counter: Engine,
) -> None:
    lines = transcript(counter, [*map(str, SHORTEST_WIN), "q"])
    assert (
        f"You win in {len(SHORTEST_WIN)} moves: the program failed as the lesson says it can."
        in lines
    )
    assert LOST_UPDATE in lines
    assert (
        "outcome 'assertion': forbidden: lost update: a decrement was overwritten, the count ends above 0"
        in lines
    )
    moves = [line for line in lines if line.startswith("your move")]
    assert [line.rsplit("> ", 1)[1] for line in moves] == [*map(str, SHORTEST_WIN), "q"]
    assert any(line.startswith("Lost update: Thread-1 (decrement) read `count`") for line in lines)


def shortest_win(engine: Engine, bound: int) -> tuple[int, ...] | None:
    """The first game, in breadth-first order, whose moves followed by the default order
    fail; None when no game of at most ``bound`` moves does.

    A search of its own over the scheduler, not the game: a move is the choice at one
    decision (a point where more than one thread can run), and stopping leaves the rest to
    the default order, as the game says. One run gives the choices at every decision of
    its default tail, so a game whose last move is the default shares its parent's run.
    """

    class Follow:
        def __init__(self, moves: tuple[int, ...]) -> None:
            self.moves = moves
            self.options: list[tuple[tuple[int, ...], int]] = []

        def choose(
            self, step: int, enabled: Sequence[int], current: int | None, at: Position
        ) -> int:
            default = default_choice(enabled, current)
            self.options.append((tuple(enabled), default))
            taken = len(self.options) - 1
            return self.moves[taken] if taken < len(self.moves) else default

    def run(moves: tuple[int, ...]) -> tuple[bool, list[tuple[tuple[int, ...], int]]]:
        chooser = Follow(moves)
        outcome = session.run(chooser)
        return outcome.failed, chooser.options

    session = Session(engine.scenario, granularity=engine.granularity)
    with session:
        root = run(())
        if root[0]:
            return ()
        frontier = [((), root)]
        for _ in range(bound):
            deeper = []
            for moves, ran in frontier:
                options = ran[1]
                if len(options) <= len(moves):
                    continue  # the run ended before another decision
                enabled, default = options[len(moves)]
                for thread in enabled:
                    game = (*moves, thread)
                    child = ran if thread == default else run(game)
                    if child[0]:
                        return game
                    deeper.append((game, child))
            frontier = deeper
    return None


def test_no_game_of_fewer_moves_wins_on_the_broken_counter(counter: Engine) -> None:
    assert shortest_win(counter, bound=len(SHORTEST_WIN)) == SHORTEST_WIN


def test_no_game_breaks_the_fixed_counter(fixed_counter: Engine) -> None:
    # Every game of up to 8 moves, each left to the default order after it...
    assert shortest_win(fixed_counter, bound=8) is None
    # ...and the game says why none can: the proof over every order, and the edge the fix adds.
    lines = transcript(fixed_counter, ["1", "1", "1", "1", "1", "0"])
    text = "\n".join(lines)
    assert "No order of moves can break this fix:" in lines
    assert re.search(
        r"\n  proved: no failure in any interleaving \(\d+ schedules?, one per order of the "
        r"conflicting steps\)\n",
        text,
    )
    joined = " ".join(text.split())
    assert (
        "What the fix orders: Thread-2 (decrement)'s read of `count` (fixed.py:18) now happens "
        "after Thread-1 (decrement)'s write (fixed.py:18): release of `count_lock` at "
        "fixed.py:17 -> acquire of `count_lock` at fixed.py:17"
    ) in joined
    assert "You win" not in text


# ---------------------------------------------------------------- the schedule


def test_the_schedule_a_won_game_prints_replays_to_the_same_failure(counter: Engine) -> None:
    lines = transcript(counter, [*map(str, SHORTEST_WIN), "q"])
    version = f"{sys.version_info[0]}.{sys.version_info[1]}"
    assert lines[-1].startswith(f"  races replay unlocked_counter 'instruction@{version}: ")
    replayed = races(*replay_of(lines), "--json")
    assert replayed.returncode == cli.EXIT_FAILURE_FOUND, replayed.stderr
    result = json.loads(replayed.stdout)
    assert result["kind"] == "assertion"
    assert LOST_UPDATE.endswith(f": {result['message']}")


def test_the_schedule_of_a_game_stopped_half_way_replays_to_its_end(
    fixed_counter: Engine,
) -> None:
    lines = transcript(fixed_counter, ["1", "1", "1", "1", "1", "0"])
    assert lines[-1].endswith(" --variant fixed")
    assert "You stopped after 6 moves; the rest of the run took the default order." in lines
    replayed = races(*replay_of(lines))
    assert replayed.returncode == cli.EXIT_OK, replayed.stderr
    assert replayed.stdout.rstrip().endswith(": no failure")


# ---------------------------------------------------------------- the plain transcript


def test_a_malformed_line_gets_a_clear_message_and_the_game_goes_on(counter: Engine) -> None:
    lines = transcript(counter, ["x", "", "9", "1", "b", "0", "q"])
    assert (
        "  'x' is not a move: type the number of a thread that can run (0, 1), b to take a "
        "move back, or q to stop"
    ) in lines
    assert (
        "  '' is not a move: type the number of a thread that can run (0, 1), b to take a move back, or q to stop"
        in lines
    )
    assert "  there is no thread 9 yet: the threads are 0 and 1; pick one of 0, 1" in lines
    boards = [line for line in lines if line.startswith(("move ", "the end"))]
    # The start, after 1, back at the start, after 0, and the end the default order reached.
    assert [board.split(",")[0] for board in boards] == [
        "move 1",
        "move 2",
        "move 1",
        "move 2",
        "the end",
    ]
    assert "You stopped after 1 move; the rest of the run took the default order." in lines


def test_the_end_of_the_input_stops_the_game(counter: Engine) -> None:
    lines = transcript(counter, ["1"])
    assert "your move (0 1; b back, q stop)> (end of input)" in lines
    assert "You stopped after 1 move; the rest of the run took the default order." in lines


def test_a_lesson_with_nothing_to_choose_ends_at_once() -> None:
    engine = Engine(CATALOGUE.get("lock_reentry"), "broken")
    game = Game(engine)
    assert game.over and game.won and game.legal_moves() == ()
    lines = transcript(engine, [])
    assert (
        "There is nothing to choose: no two threads can ever run at the same point, so every "
        "run is this one."
    ) in lines
    assert "You win in 0 moves: the program failed as the lesson says it can." in lines


def test_a_deadlock_is_a_win_and_names_its_cycle() -> None:
    engine = Engine(CATALOGUE.get("join_under_lock"), "broken")
    game = Game(engine)
    game.play(0)  # the main thread takes the lock before the worker does
    end = game.finish()
    assert end.won and end.outcome == "deadlock"
    assert end.failure.startswith("deadlock cycle in races.cases.join_under_lock.broken.scenario")
    assert [t.status for t in end.threads] == [BLOCKED, BLOCKED]


def test_the_board_shows_the_shared_data_a_lesson_writes_when_it_names_none() -> None:
    engine = Engine(CATALOGUE.get("unbounded_semaphore"), "broken")
    assert engine.case.watch == ()
    # Written by the run; its constants (SLOTS) are left out.
    assert engine.watch == ("inside", "peak")
    state: State = Game(engine).state
    assert [name for name, _ in state.values] == ["inside", "peak"]


@pytest.mark.parametrize(
    ("case", "why"),
    [
        ("mp_value_unlocked", "mp_value_unlocked needs processes, which the scheduler cannot step"),
        ("async_lost_update", "async_lost_update is a coroutine (asyncio tasks) lesson"),
    ],
)
def test_a_lesson_the_scheduler_does_not_step_cannot_be_played(case: str, why: str) -> None:
    message = playable(CATALOGUE.get(case))
    assert message is not None and message.startswith(why)
    assert f"`races run {case}`" in message


# ---------------------------------------------------------------- the command


def test_races_play_reads_moves_piped_in() -> None:
    played = races("play", "unlocked_counter", stdin="".join(f"{m}\n" for m in SHORTEST_WIN))
    assert played.returncode == cli.EXIT_OK, played.stderr
    out = played.stdout.splitlines()
    assert (
        out[0] == "races play unlocked_counter --variant broken: Unlocked counter: the lost update"
    )
    assert "\x1b[" not in played.stdout  # a pipe gets plain text
    # The input ended after the tenth move: the rest took the default order, and lost an update.
    assert "You win in 10 moves: the program failed as the lesson says it can." in out
    assert out[-1].startswith("  races replay unlocked_counter 'instruction@")


def test_races_play_refuses_what_it_cannot_play() -> None:
    refused = races("play", "mp_value_unlocked")
    assert refused.returncode == cli.EXIT_USAGE
    assert refused.stderr.startswith("races: error: mp_value_unlocked needs processes")
    unknown = races("play", "unlocked_counter", "--variant", "fixd")
    assert unknown.returncode == cli.EXIT_USAGE
    assert "did you mean 'fixed'?" in unknown.stderr


def test_races_play_on_a_terminal_takes_one_key_per_move() -> None:
    primary, secondary = pty.openpty()
    fcntl.ioctl(secondary, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    child = subprocess.Popen(
        [sys.executable, "-m", "races", "play", "unlocked_counter"],
        stdin=secondary,
        stdout=secondary,
        stderr=secondary,
        cwd=ROOT,
        env={**env, "TERM": "xterm-256color"},
    )
    os.close(secondary)
    # A key that is no move, a move taken back with backspace, then the shortest win; the
    # keys wait in the terminal until the game reads them.
    keys = "x" + "1\x7f" + "".join(map(str, SHORTEST_WIN)) + "q"
    os.write(primary, keys.encode())
    drawn = b""
    while True:
        try:
            chunk = os.read(primary, 65536)
        except OSError:  # every end of the terminal is closed: the game has exited
            break
        if not chunk:
            break
        drawn += chunk
    os.close(primary)
    assert child.wait(timeout=120) == cli.EXIT_OK
    shown = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", drawn.decode())
    assert "'x' is not a move" in shown
    assert "count -= 1" in shown  # the code of each thread, side by side
    assert "You win in 10 moves" in shown
    assert "races replay unlocked_counter 'instruction@" in shown


# ---------------------------------------------------------------- the README


def normalise(text: str) -> str:
    """A transcript without what differs between Python versions: step numbers, the
    bytecode instructions a thread is about to run, the schedule's steps."""
    text = re.sub(r"\bsteps? \d+|\d+ steps", "<steps>", text)
    text = re.sub(r"\[[A-Z][A-Z_]+[^\]]*\]", "[<instruction>]", text)
    return re.sub(r"'instruction@[^']*'", "'<schedule>'", text)


def test_the_readme_shows_the_transcript_races_play_prints() -> None:
    readme = (ROOT / "README.md").read_text()
    shown = readme.split("<!-- play -->\n", 1)[1].split("<!-- /play -->", 1)[0]
    command, _, printed = shown.removeprefix("```console\n").partition("\n")
    moves = re.fullmatch(r"\$ printf '(.*)' \| races play unlocked_counter", command)
    assert moves is not None, command
    played = races("play", "unlocked_counter", stdin=moves[1].replace("\\n", "\n"))
    regenerate = "regenerate the README's races play transcript: run the command it shows"
    assert normalise(printed.removesuffix("```\n")) == normalise(played.stdout), regenerate
