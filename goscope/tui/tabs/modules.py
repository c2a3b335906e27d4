"""Modules: each module@version, who served it, go's checksum verdict, and below it a tree:
module@version → endpoint → attempts (with go's errors and the entries go never asked),
expandable; Enter on an attempt shows its request."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import DataTable, Tree
from textual.widgets.tree import TreeNode

from goscope.core.safe.visible import visible
from goscope.core.traffic.explain import explain_attempt
from goscope.core.view.elide import elide_module
from goscope.core.view.session import ModuleRow, Session
from goscope.term import styles
from goscope.term.safe import plain
from goscope.tui.widgets.request_list import human_size

from .base import TableTab, no_requests

NOT_SERVED = ("failed", "pending", "unknown", "rejected")
MIN_MODULE = 40  # module@version gets at least this; the other columns then scroll


def module_room(width: int, columns: tuple[str, ...], rest: Sequence[tuple[object, ...]]) -> int:
    """The cells module@version may take so that every other column fits beside it (each
    column is its widest cell plus DataTable's padding of 1 each side), at least 40."""
    others = sum(
        max([len(name), *(len(str(c)) for c in column)]) + 2
        for name, column in zip(columns[1:], zip(*rest, strict=True) if rest else [], strict=False)
    )
    return max(MIN_MODULE, width - others - 2 - 2)  # its own padding, the scrollbar


def checksum_text(verdict: str) -> Text:
    """go's checksum verdict: verified (database), go.sum, MISMATCH, or not checked: why."""
    if verdict == "MISMATCH":
        return Text(verdict, style="bold red")
    if verdict in ("verified", "go.sum"):
        return Text(verdict, style=styles.GOOD)
    if verdict.startswith("not "):
        return Text(visible(verdict), style=styles.WARNING)
    return Text(visible(verdict), style=styles.MUTED)


class ModulesTab(TableTab):
    TAB_ID = "modules"
    TITLE = "Modules"
    HELP = "each module@version: who served it, attempts, checksum, leaks"
    COLUMNS = (
        "module@version",
        "served by",
        "checksum",
        "leak",
        "attempts",
        "endpoints",
        "bytes",
        "time ms",
    )

    DEFAULT_CSS = """
    ModulesTab Tree { height: 1fr; min-height: 4; border-top: solid $panel; padding: 0 1; }
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.rows: list[ModuleRow] = []
        self.chain_tree: Tree[int | None] = Tree("", id="modules-tree")
        self.chain_tree.show_root = True

    def on_mount(self) -> None:
        self.table.add_columns(*self.COLUMNS)

    def refresh_from(self, session: Session) -> None:
        self.rows = session.modules()
        cursor = self.keep_cursor(len(self.rows))
        self.begin(self.table)
        rest = [
            (
                Text(
                    visible(row.served_by),
                    style=styles.GOOD if row.served_by not in NOT_SERVED else "red",
                ),
                checksum_text(row.checksum),
                Text("LEAK", style=styles.LEAK) if row.leak else "",
                str(row.attempts),
                row.endpoints,
                human_size(row.bytes),
                f"{row.time_ms:.0f}",
            )
            for row in self.rows
        ]
        room = module_room(self.app.size.width, self.COLUMNS, rest)
        for row, cells in zip(self.rows, rest, strict=True):
            name = elide_module(visible(row.module), visible(row.version or ""), room)
            self.add_safe_row(self.table, name, *cells)
        self.commit(self.table)
        if self.rows:
            self.table.move_cursor(row=cursor)
            self.show(cursor)
        else:
            self.chain_tree.clear()
            self.chain_tree.root.set_label(plain(self.empty_reason(session), styles.MUTED))

    def empty_reason(self, session: Session) -> str:
        if not len(session.store):
            return no_requests(session, self.goscope.command_running)
        return (
            "No module was fetched: go's requests were lists, checksums, toolchains or "
            "version control (Requests shows each); what it needed was in its module cache."
        )

    def compose(self) -> ComposeResult:
        yield self.table
        yield self.chain_tree

    def show(self, index: int) -> None:
        if 0 <= index < len(self.rows):
            fill_tree(self.chain_tree, self.rows[index])

    def proof_seq(self) -> int | None:
        if self.chain_tree.has_focus and self.chain_tree.cursor_node is not None:
            seq = self.chain_tree.cursor_node.data
            if isinstance(seq, int):
                return seq  # the attempt under the tree's cursor
        index = self.table.cursor_row
        if not 0 <= index < len(self.rows):
            return None
        seqs = [s for c in self.rows[index].chains for a in c.attempts for s in a.seqs]
        return seqs[-1] if seqs else None

    def tree_text(self) -> str:
        """Every node's label, indented (for `c` and tests)."""
        lines: list[str] = []

        def walk(node: TreeNode[int | None], depth: int) -> None:
            label = node.label
            lines.append("  " * depth + (label if isinstance(label, str) else label.plain))
            for child in node.children:
                walk(child, depth + 1)

        walk(self.chain_tree.root, 0)
        return "\n".join(lines)

    def on_tree_node_selected(self, event: Tree.NodeSelected[int | None]) -> None:
        if isinstance(event.node.data, int):
            self.post_message(self.JumpToSeq(event.node.data))


def fill_tree(tree: Tree[int | None], row: ModuleRow) -> None:
    """module@version → endpoint (its result) → attempts, go's errors, never-asked entries.
    A fetch that failed or was rejected opens; a served one stays closed."""
    name = f"{row.module}@{row.version}" if row.version else row.module
    tree.clear()
    tree.root.set_label(plain(f"{name} · {row.served_by} · checksum {row.checksum}", "bold"))
    for chain in row.chains:
        bad = chain.failed or chain.result == "rejected"
        result = chain.rejected or (
            f"{chain.result} by {chain.served_by}" if chain.served_by else chain.result
        )
        branch = tree.root.add(
            plain(f"{chain.endpoint}: {result}", "red" if bad else "green"), expand=bad
        )
        for n, attempt in enumerate(chain.attempts, 1):
            reason = explain_attempt(attempt, chain)
            label = Text(f"{n} ", style="dim")
            label.append(attempt.outcome, style=styles.OUTCOME[attempt.outcome])
            label.append(visible(f"  {reason}"))
            branch.add_leaf(label, data=attempt.seqs[0] if attempt.seqs else None)
        for entry in chain.never_asked:
            branch.add_leaf(plain(f"never asked: {entry} (go stopped before it)", "dim"))
        for line in chain.go_errors:
            branch.add_leaf(plain(f"go said: {line}", "red"))
    tree.root.expand()

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self.show(event.cursor_row)
