"""Every key and what it does, built from the bindings themselves."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Static

from tasks.texts import text


class HelpScreen(ModalScreen[None]):
    BINDINGS = [
        Binding("escape,q", "dismiss", text("dash.action.back"), id="help_close"),
    ]

    def compose(self) -> ComposeResult:
        from tui.app import ProxyTuiApp
        from tui.screens.dashboard import CHANGES_STATE, DashboardScreen
        from tui.screens.job_detail import JobDetailScreen
        from tui.screens.jobs import JobsScreen

        lines: list[Content] = []
        read_only = getattr(self.app, "read_only", False)
        sections = [
            (text("dash.help.title"), DashboardScreen.BINDINGS + ProxyTuiApp.BINDINGS),
            (text("dash.detail.title", jobId="…"), JobDetailScreen.BINDINGS),
            (text("dash.jobs.title"), JobsScreen.BINDINGS),
        ]
        for heading, bindings in sections:
            lines.append(Content.assemble((heading, "bold underline")))
            for binding in bindings:
                if not isinstance(binding, Binding):
                    continue
                if read_only and binding.action in CHANGES_STATE:
                    continue
                keys = binding.key_display or " ".join(binding.key.split(","))
                lines.append(Content.assemble(
                    (f"  {keys:<14}", "bold $accent"), binding.tooltip or binding.description
                ))
            lines.append(Content(""))
        lines.append(Content.assemble((text("dash.help.close"), "$text-muted")))
        with VerticalScroll(id="help-body"):
            yield Static(Content("\n").join(lines), id="help-text")
