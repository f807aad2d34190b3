"""The staff console: server-rendered pages under /console for staff, thôn teams and admins."""
