"""Drawing a game of ``races play`` and reading the learner's moves.

On a terminal the board is drawn with rich, one column of code per thread, and each key
is a move: a thread's number, ``b`` (or backspace) to take a move back, ``q`` to stop.
Anywhere else (``--plain``, or standard input from a pipe) the game reads the same moves
one a line and prints a plain transcript, which is how tests and the README drive it.
"""

from __future__ import annotations

import linecache
import os
import sys
import textwrap
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import TextIO

from rich import box
from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text

from races.catalogue.play import (
    BLOCKED,
    CAN_RUN,
    FINISHED,
    SLEEPING,
    STOPPED,
    Engine,
    Game,
    IllegalMove,
    State,
    ThreadState,
)

#: What each key does, as the board says it.
KEYS = (
    "Keys: a thread's number runs that thread one step; b takes the last move back; q stops "
    "(the rest of the run takes the default order: the running thread goes on)."
)


def intro(engine: Engine) -> list[str]:
    """What the game is, and its goal."""
    case = engine.case
    points = "one line" if engine.granularity == "line" else "one bytecode instruction"
    lines = [f"races play {case.name} --variant {engine.variant}: {case.title}", ""]
    body = (
        "You are the scheduler. Each move, you pick the thread that takes the next step: "
        f"it runs up to its next switch point ({points}; the others wait). "
    )
    forbidden = [
        f"{outcome!r} ({meaning})"
        for outcome, (verdict, meaning) in case.outcomes.items()
        if outcome in case.forbidden()
    ]
    if engine.broken:
        body += f"Win by making the program end in a forbidden outcome: {', '.join(forbidden)}."
    else:
        body += (
            f"This is a fix: try to make it end in a forbidden outcome all the same "
            f"({', '.join(forbidden)})."
        )
    lines += textwrap.wrap(body, 88)
    lines += ["", *textwrap.wrap(KEYS, 88), ""]
    return lines


def status(state: State, thread: ThreadState) -> str:
    """A thread's status as the board shows it: the running thread is the default."""
    if thread.status == CAN_RUN and thread.index == state.running:
        return "running"
    return thread.status


def step_text(thread: ThreadState) -> str:
    """The line a thread is about to run, and what it does there."""
    parts = [thread.source, f"[{thread.doing}]" if thread.doing else ""]
    return "  ".join(part for part in parts if part)


def headline(state: State) -> str:
    """Where the game is, and the shared values."""
    values = ", ".join(f"{name} = {value}" for name, value in state.values)
    moves = len(state.moves)
    if state.over:
        where = f"the end, after {moves} move{'' if moves == 1 else 's'} and {state.step} steps"
    else:
        where = f"move {moves + 1}, step {state.step}"
    return where + (f": {values}" if values else "")


def plain_board(state: State) -> list[str]:
    """The board in plain text: each thread with its status, place and next step."""
    width = max(len(t.name) for t in state.threads)
    lines = [headline(state)]
    for thread in state.threads:
        lines.append(
            f"  {thread.index} {thread.name:<{width}}  {status(state, thread):<8}  "
            f"{thread.where:<14}  {step_text(thread)}".rstrip()
        )
    return lines


def prompt(state: State) -> str:
    choices = " ".join(map(str, state.runnable))
    return f"your move ({choices}; b back, q stop)> " if not state.over else "b back, q end> "


def ending(engine: Engine, game: Game, stopped: bool) -> list[str]:
    """How the run ended and what it means; the last lines of a game."""
    state = game.state
    moves = len(state.moves)
    played = f"{moves} move{'' if moves == 1 else 's'}"
    lines = []
    if game.history[0].over:
        lines.append(
            "There is nothing to choose: no two threads can ever run at the same point, so "
            "every run is this one."
        )
    if stopped:
        lines.append(f"You stopped after {played}; the rest of the run took the default order.")
    if state.failure:
        lines += [state.failure, *state.cause.splitlines()]
    lines.append(f"outcome {state.outcome!r}: {engine.meaning(state.outcome)}")
    if state.won:
        lines.append(f"You win in {played}: the program failed as the lesson says it can.")
    elif not engine.broken:
        proof = engine.proof()
        if proof.proved:
            lines.append("No order of moves can break this fix:")
        else:
            lines.append(
                "races found no order of moves that breaks this fix, but not all were run:"
            )
        lines.append(f"  {proof.summary}")
        for edge in proof.edges:
            lines += textwrap.wrap(
                edge, 100, initial_indent="  What the fix orders: ", subsequent_indent="    "
            )
    else:
        missed = "Not the failure the lesson is about" if state.failure else "No failure"
        again = "" if stopped else ": take moves back (b) and try another order"
        lines.append(f"{missed} this time{again}.")
    return lines


def schedule_lines(engine: Engine, state: State) -> list[str]:
    return [
        "",
        "The schedule you played (the steps where you left the default order):",
        f"  {engine.replay_command(state)}",
    ]


def command(game: Game, text: str) -> str | None:
    """Apply one move (a thread's number, or ``b``); None, or why it was refused."""
    text = text.strip()
    try:
        if text in ("b", "\x7f", "\b"):
            game.back()
        elif text.isdigit():
            game.play(int(text))
        else:
            choices = ", ".join(map(str, game.legal_moves())) or "none: the run is over"
            return (
                f"{text!r} is not a move: type the number of a thread that can run "
                f"({choices}), b to take a move back, or q to stop"
            )
    except IllegalMove as refused:
        return str(refused)
    return None


def play_plain(
    engine: Engine, game: Game, moves: Iterable[str], write: Callable[[str], None]
) -> None:
    """The game as a transcript: moves are read one a line; the end of the input stops."""
    for line in intro(engine):
        write(line)
    lines = iter(moves)
    shown: State | None = None
    while True:
        state = game.state
        if state is not shown:
            shown = state
            for line in plain_board(state):
                write(line)
            if state.over:
                for line in ending(engine, game, stopped=False):
                    write(line)
                if state.won:
                    break
        text = next(lines, None)
        if text is None:
            write(prompt(state) + "(end of input)")
            break
        write(prompt(state) + text.strip())
        if text.strip() == "q":
            break
        refused = command(game, text)
        if refused is not None:
            write(f"  {refused}")
    _stop(engine, game, write)


def _stop(engine: Engine, game: Game, write: Callable[[str], None]) -> None:
    """End the game: a run left half-way takes the default order to its end (so the
    schedule printed replays to what is shown), then the schedule."""
    if not game.over:
        game.finish()
        write("")
        for line in plain_board(game.state):
            write(line)
        for line in ending(engine, game, stopped=True):
            write(line)
    for line in schedule_lines(engine, game.state):
        write(line)


def play_terminal(engine: Engine, game: Game) -> None:
    """The game on a terminal: the board drawn with rich, one key per move."""
    console = Console(highlight=False)
    message = ""
    with _keys(sys.stdin) as keys:
        while True:
            state = game.state
            console.clear()
            console.print(board(engine, state, message))
            if state.over:
                console.print(Text("\n".join(ending(engine, game, stopped=False))))
                if state.won:
                    break
            key = next(keys, "q")
            if key in ("q", "\x04"):  # q, or Ctrl-D
                break
            message = command(game, key) or ""
    if not game.over:
        game.finish()
        console.clear()
        console.print(board(engine, game.state, ""))
        console.print(Text("\n".join(ending(engine, game, stopped=True))))
    console.print(Text("\n".join(schedule_lines(engine, game.state))), soft_wrap=True)


#: How each status is coloured on the board.
COLOURS = {
    "running": "bold green",
    CAN_RUN: "green",
    BLOCKED: "red",
    SLEEPING: "yellow",
    FINISHED: "dim",
    STOPPED: "dim",
}
#: The most lines of a thread's code the board shows.
WINDOW = 14


def board(engine: Engine, state: State, message: str) -> RenderableType:
    """The board: a column per thread with its code, the line it runs next marked; the
    shared values; what went wrong with the last key; the keys."""
    table = Table(box=box.SIMPLE_HEAD, expand=True, pad_edge=False)
    for thread in state.threads:
        shown = status(state, thread)
        header = Text(f"{thread.index}  {thread.name}\n", style="bold")
        header.append(shown, style=COLOURS.get(shown, ""))
        table.add_column(header, ratio=1, overflow="fold")
    table.add_row(*(code(thread) for thread in state.threads))
    title = Text(f"races play {engine.case.name} --variant {engine.variant}", style="bold")
    title.append(f"  {engine.case.title}")
    parts: list[RenderableType] = [title, table, Text(headline(state), style="bold")]
    if message:
        parts.append(Text(message, style="red"))
    if not state.over:
        parts.append(Text(KEYS, style="dim"))
    return Group(*parts)


def code(thread: ThreadState) -> Text:
    """A thread's code around the line it runs next, that line marked with what it does."""
    if thread.filename is None or thread.lineno is None:
        return Text(f"[{thread.doing}]" if thread.doing else "", style="italic")
    first, last = thread.function or (thread.lineno - 3, thread.lineno + 3)
    first = max(first, thread.lineno - WINDOW // 2, 1)
    last = min(last, first + WINDOW - 1)
    numbers = range(first, last + 1)
    source = [linecache.getline(thread.filename, n).rstrip() for n in numbers]
    source = textwrap.dedent("\n".join(source)).split("\n")
    here = thread.status in (CAN_RUN, BLOCKED, SLEEPING, STOPPED)
    text = Text()
    for number, line in zip(numbers, source, strict=True):
        if number == thread.lineno and here:
            text.append(f"> {number:>3} {line}\n", style="reverse bold")
            if thread.doing:
                text.append(f"        [{thread.doing}]\n", style="italic cyan")
        else:
            text.append(f"  {number:>3} {line}\n", style="dim" if not here else "")
    if not here:
        text.append(f"  [{thread.doing}]", style="italic")
    return text


@contextmanager
def _keys(stream: TextIO) -> Iterator[Iterator[str]]:
    """Single key presses from a terminal (cbreak mode: no echo, no Enter needed, Ctrl-C
    still interrupts); the terminal is put back as it was on the way out."""
    import termios
    import tty

    fd = stream.fileno()
    saved = termios.tcgetattr(fd)
    # TCSANOW keeps keys typed before the board appeared.
    tty.setcbreak(fd, termios.TCSANOW)

    def read() -> Iterator[str]:
        while True:
            key = os.read(fd, 1)
            if not key:
                return
            yield key.decode("latin-1")

    try:
        yield read()
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)


def main(engine: Engine, plain: bool) -> None:
    """Play ``engine``'s variant: on the terminal, or as a plain transcript when asked to,
    or when standard input or output is not a terminal."""
    game = Game(engine)
    terminal = sys.stdin.isatty() and sys.stdout.isatty()
    if plain or not terminal or not _has_termios():
        play_plain(engine, game, sys.stdin, print)
    else:
        play_terminal(engine, game)


def _has_termios() -> bool:
    try:
        import termios  # noqa: F401
    except ImportError:  # Windows: no single-key input; the plain mode reads lines
        return False
    return True
