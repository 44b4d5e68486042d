"""A question with a few answers; the first answer is the safe one and has the focus.

Toasts are hidden while it is up (see app.tcss), so the whole question and every button
always show.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static
from textual.widgets.button import ButtonVariant

from tasks.texts import text


@dataclass(frozen=True)
class Choice:
    key: str  # the letter that picks it
    label: str
    value: str
    variant: ButtonVariant = "default"


def yes_no() -> list[Choice]:
    return [Choice("n", text("dash.no"), "no", "primary"),
            Choice("y", text("dash.yes"), "yes", "error")]


class ConfirmScreen(ModalScreen[str]):
    """Dismisses with the chosen value; escape picks the first (safe) choice."""

    BINDINGS = [
        Binding("escape", "cancel", text("dash.action.cancel"), id="confirm_cancel",
                tooltip=text("dash.tip.cancel")),
        Binding("left,shift+tab", "app.focus_previous", show=False, id="confirm_prev",
                tooltip=text("dash.tip.dialog_move")),
        Binding("right,tab", "app.focus_next", show=False, id="confirm_next",
                tooltip=text("dash.tip.dialog_move")),
    ]

    def __init__(self, question: str, choices: list[Choice] | None = None) -> None:
        super().__init__(classes="confirm")
        self.question = question
        self.choices = choices or yes_no()

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-dialog"):
            yield Static(self.question, id="confirm-question", markup=False)
            with Horizontal(id="confirm-buttons"):
                for choice in self.choices:
                    yield Button(f"{choice.label} ({choice.key})", id=f"confirm-{choice.value}",
                                 variant=choice.variant)

    def on_mount(self) -> None:
        self.query_one(f"#confirm-{self.choices[0].value}", Button).focus()

    def on_key(self, event: events.Key) -> None:
        for choice in self.choices:
            if event.character == choice.key:
                event.stop()
                self.dismiss(choice.value)
                return

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss((event.button.id or "").removeprefix("confirm-"))

    def action_cancel(self) -> None:
        self.dismiss(self.choices[0].value)
