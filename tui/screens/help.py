"""Every key of every screen and what it does, built from the bindings themselves.

One rule everywhere: escape goes back (or closes this help), q quits the dashboard.
"""

from __future__ import annotations

import textwrap

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Static

from tasks.texts import text
from tui.screens.confirm import ConfirmScreen
from tui.screens.dashboard import DashboardScreen
from tui.screens.history import HistoryScreen
from tui.screens.job_detail import JobDetailScreen
from tui.screens.jobs import JobsScreen
from tui.screens.workers import WorkersScreen

KEY_NAMES = {"question_mark": "?", "slash": "/", "escape": "esc", "backspace": "⌫",
             "enter": "⏎", "up": "↑", "down": "↓", "left": "←", "right": "→",
             "shift+tab": "⇧tab"}
CHANGES_STATE = ("sync", "force", "cleanup", "cleanup_all")


def keys_of(binding: Binding) -> str:
    return binding.key_display or " ".join(
        KEY_NAMES.get(key.strip(), key.strip()) for key in binding.key.split(","))


class HelpScreen(ModalScreen[None]):
    BINDINGS = [
        Binding("escape,question_mark", "dismiss", text("dash.action.close_help"),
                id="help_close", tooltip=text("dash.tip.close_help")),
    ]

    def sections(self) -> list[tuple[str, list[BindingType]]]:
        dialog_keys: list[BindingType] = [
            Binding("y n", "", tooltip=text("dash.tip.dialog_answer")),
            *ConfirmScreen.BINDINGS,
        ]
        return [
            (text("dash.help.everywhere"), list(type(self.app).BINDINGS)),
            (text("dash.help.dashboard"), list(DashboardScreen.BINDINGS)),
            (text("dash.help.dialog"), dialog_keys),
            (text("dash.help.detail"), list(JobDetailScreen.BINDINGS)),
            (text("dash.jobs.title"), list(JobsScreen.BINDINGS)),
            (text("dash.help.history"), list(HistoryScreen.BINDINGS)),
            (text("dash.workers.title"), list(WorkersScreen.BINDINGS)),
            (text("dash.help.this"), list(self.BINDINGS)),
        ]

    def compose(self) -> ComposeResult:
        read_only = getattr(self.app, "read_only", False)
        rows: list[tuple[str, str]] = []
        lines: list[Content | tuple[str, str]] = []
        seen_actions: set[tuple[str, str]] = set()
        for heading, bindings in self.sections():
            lines.append(Content.assemble((heading, "bold underline")))
            for binding in bindings:
                if not isinstance(binding, Binding) or not (binding.tooltip or binding.description):
                    continue
                if read_only and binding.action in CHANGES_STATE:
                    continue
                row = (keys_of(binding), binding.tooltip or binding.description)
                if (heading, row[1]) in seen_actions:
                    continue  # pause and resume share p
                seen_actions.add((heading, row[1]))
                rows.append(row)
                lines.append(row)
            lines.append(Content(""))
        width = max(len(keys) for keys, _ in rows) + 3
        # The box is 90 wide at most, 95 % of the screen, less its border and padding.
        room = max(20, min(90, int(self.app.size.width * 0.95)) - 6 - width - 2)
        body: list[Content] = []
        for line in lines:
            if isinstance(line, Content):
                body.append(line)
                continue
            wrapped = textwrap.wrap(line[1], room) or [""]
            body.append(Content.assemble((f"  {line[0]:<{width}}", "bold $accent"), wrapped[0]))
            body += [Content(" " * (width + 2) + more) for more in wrapped[1:]]
        body.append(Content.assemble((text("dash.help.close"), "$text-muted")))
        with VerticalScroll(id="help-body") as scroll:
            scroll.border_title = text("dash.help.title")
            scroll.border_subtitle = text("dash.help.scroll")
            yield Static(Content("\n").join(body), id="help-text")
