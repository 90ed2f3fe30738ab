"""Hand-offs to the desktop: the default mail program and other URI handlers."""
