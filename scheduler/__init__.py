"""The central scheduler: store, player API, web admin, publishing. Never imports ``player``."""
