"""A local stand-in for the Agenzia delle Entrate login page, served on 127.0.0.1."""
