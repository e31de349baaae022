"""Bold and italic from apostrophes, one line at a time, the way MediaWiki reads them.

``''`` toggles italic, ``'''`` bold, ``'''''`` both; four apostrophes are one literal apostrophe
and bold, more than five keep the extras as text. When a line has an odd number of both bold
and italic marks, one bold mark is read as an apostrophe followed by italic — preferably one
after a single-letter word (``l'''amour''``), else one after a longer word, else one after a
space. Whatever is still open at the end of the line is closed there.

mwparserfromhell can parse these itself, but it lets them run across lines; we ask it to leave
them in the text (``skip_style_tags``) and do this instead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from wikipost.render.lines import Item, Line
from wikipost.render.writer import HtmlWriter

_RUN = re.compile(r"('{2,})")


@dataclass(frozen=True)
class Quote:
    length: int  # 2 italic, 3 bold, 5 both


Token = Item | Quote


def tokenize(line: Line) -> list[Token]:
    """The line's items with apostrophe runs cut out as :class:`Quote` tokens, balanced."""
    tokens: list[Token] = []
    for item in line:
        if isinstance(item, str) and "''" in item:
            for n, piece in enumerate(_RUN.split(item)):
                if n % 2:
                    tokens.extend(_run_tokens(len(piece)))
                elif piece:
                    tokens.append(piece)
        else:
            tokens.append(item)
    _balance(tokens)
    return tokens


def _run_tokens(length: int) -> list[Token]:
    if length == 4:
        return ["'", Quote(3)]
    if length > 5:
        return ["'" * (length - 5), Quote(5)]
    return [Quote(length)]


def _balance(tokens: list[Token]) -> None:
    quotes = [t for t in tokens if isinstance(t, Quote)]
    italics = sum(1 for q in quotes if q.length in (2, 5))
    bolds = sum(1 for q in quotes if q.length in (3, 5))
    if italics % 2 and bolds % 2:
        index = _bold_to_split(tokens)
        if index is not None:
            tokens[index : index + 1] = ["'", Quote(2)]


def _bold_to_split(tokens: list[Token]) -> int | None:
    after_single = after_word = after_space = None
    text = ""
    for n, token in enumerate(tokens):
        if isinstance(token, Quote) and token.length == 3:
            before = ("  " + text)[-2:]
            if before[1] == " ":
                after_space = n if after_space is None else after_space
            elif before[0] == " ":
                after_single = n
                break
            else:
                after_word = n if after_word is None else after_word
        text = (text + _as_text(token))[-2:]
    for choice in (after_single, after_word, after_space):
        if choice is not None:
            return choice
    return None


def _as_text(token: Token) -> str:
    if isinstance(token, str):
        return token
    if isinstance(token, Quote):
        return "'" * token.length
    return "x"


class QuoteState:
    """The bold/italic elements one line has open, emitted through the writer."""

    def __init__(self, writer: HtmlWriter) -> None:
        self.w = writer
        self.open: list[tuple[str, int]] = []  # (tag, depth in the writer's stack)

    def apply(self, quote: Quote) -> None:
        self.open = [(name, depth) for name, depth in self.open if self.w.is_open(name, depth)]
        if quote.length == 2:
            self._toggle("i")
        elif quote.length == 3:
            self._toggle("b")
        else:
            self._both()

    def finish(self) -> None:
        self.open = [(name, depth) for name, depth in self.open if self.w.is_open(name, depth)]
        if self.open:
            self.w.close_from(self.open[0][1])
        self.open = []

    def _names(self) -> list[str]:
        return [name for name, _ in self.open]

    def _both(self) -> None:
        names = self._names()
        if "i" in names and "b" in names:
            self._close_from(0)
        elif "i" in names:
            self._toggle("i")
            self._toggle("b")
        elif "b" in names:
            self._toggle("b")
            self._toggle("i")
        else:
            self._open("b")
            self._open("i")

    def _toggle(self, name: str) -> None:
        names = self._names()
        if name not in names:
            self._open(name)
            return
        index = names.index(name)
        self._close_from(index)
        for other in names[index + 1 :]:
            self._open(other)

    def _open(self, name: str) -> None:
        self.open.append((name, len(self.w.stack)))
        self.w.open(name)

    def _close_from(self, index: int) -> None:
        self.w.close_from(self.open[index][1])
        del self.open[index:]
