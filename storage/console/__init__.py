"""The staff console's tables: users, sessions, login attempts and the audit log."""
