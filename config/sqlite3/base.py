"""SQLite backend that knows the real bound-parameter limit of the linked SQLite library.

Django 5.2 assumes SQLite's historical default of 999 variables per statement, so a 1,000-row bulk insert
becomes several statements. SQLite has allowed 32,766 since 3.32; this reads the actual limit per
connection, as Django 6 does, so bulk writes stay one statement per batch.
"""

import sqlite3

from django.db.backends.sqlite3 import base


class DatabaseWrapper(base.DatabaseWrapper):
    def get_new_connection(self, conn_params):  # type: ignore[no-untyped-def]
        conn = super().get_new_connection(conn_params)
        self.features.max_query_params = conn.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
        return conn
