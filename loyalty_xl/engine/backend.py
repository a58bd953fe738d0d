"""Where the engine runs: the embedded DuckDB connection (or an Ibis table's own backend) and
the engine's scratch tables on it."""

from __future__ import annotations

import contextlib
import tempfile

import ibis


def connection(orders, memory_limit, stack: contextlib.ExitStack):
    """The orders' own backend for an Ibis table; otherwise an embedded DuckDB that spills to
    a private temporary folder (removed afterwards) beyond ``memory_limit``."""
    if isinstance(orders, ibis.Table):
        try:
            return orders._find_backend()
        except Exception:  # an unbound table: DuckDB runs it
            pass
    spill = stack.enter_context(tempfile.TemporaryDirectory(prefix="loyalty-xl-"))
    con = ibis.duckdb.connect(memory_limit=memory_limit, temp_directory=spill)
    stack.callback(con.disconnect)
    con.raw_sql("SET preserve_insertion_order = true")
    con.raw_sql("SET enable_progress_bar = false")  # the command line shows its own
    con._loyalty_xl_owned = True  # ours: restrict_file_access may lock it down
    return con


def no_extensions(con) -> None:
    """Never load or install a DuckDB extension on the engine's own connection (a SQLite file
    or an unknown function would otherwise make DuckDB download one)."""
    if getattr(con, "_loyalty_xl_owned", False):
        con.raw_sql("SET autoinstall_known_extensions = false")
        con.raw_sql("SET autoload_known_extensions = false")


def restrict_file_access(con, folder, files) -> None:
    """Limit the engine's own DuckDB to ``folder`` (the run's links to, and copies of, its
    inputs) and the input ``files`` themselves (DuckDB checks the target of a link): no other
    file can be read or written, even by a path or name that slipped through. Final for the
    connection. A connection the caller brought is left alone."""
    if not getattr(con, "_loyalty_xl_owned", False):
        return
    no_extensions(con)
    con.con.execute("SET allowed_directories = $1", [[str(folder).rstrip("/\\") + "/"]])
    con.con.execute("SET allowed_paths = $1", [[str(f) for f in files]])
    con.raw_sql("SET enable_external_access = false")


class Scratch:
    """The engine's temporary tables: created on the connection, dropped when the run ends.

    (Ibis' own ``Table.cache()`` drops its tables from a finaliser at interpreter exit, which
    fails noisily on DuckDB; owning them is simpler.)
    """

    def __init__(self, con):
        self.con, self.names = con, []

    def keep(self, expr):
        name = f"loyalty_tmp_{len(self.names)}_{id(self):x}"
        table = self.con.create_table(name, expr, temp=True)
        self.names.append(name)
        return table

    def release(self, table):
        """Drop one table as soon as it is no longer needed (memory)."""
        name = table.get_name()
        if name in self.names:
            self.con.drop_table(name, force=True)
            self.names.remove(name)

    def drop(self):
        for name in self.names:
            try:
                self.con.drop_table(name, force=True)
            except Exception:  # the connection may already be gone
                pass
        self.names.clear()

