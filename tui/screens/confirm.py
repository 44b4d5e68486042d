"""A yes/no question that defaults to No."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from tasks.texts import text


class ConfirmScreen(ModalScreen[bool]):
    BINDINGS = [
        Binding("y", "answer(True)", text("dash.yes"), id="confirm_yes"),
        Binding("n,escape", "answer(False)", text("dash.no"), id="confirm_no"),
        Binding("left,right,tab", "app.focus_next", show=False),
    ]

    def __init__(self, question: str) -> None:
        super().__init__(classes="confirm")
        self.question = question

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-dialog"):
            yield Static(self.question, id="confirm-question", markup=False)
            with Horizontal(id="confirm-buttons"):
                yield Button(f"{text('dash.no')} (n)", id="confirm-no", variant="primary")
                yield Button(f"{text('dash.yes')} (y)", id="confirm-yes", variant="error")

    def on_mount(self) -> None:
        self.query_one("#confirm-no", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "confirm-yes")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)
