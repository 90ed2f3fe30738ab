"""Password and PIN storage: one interface, with the OS keyring as the local one."""

from trayapp.secretstore.base import SecretStore, SecretStoreError

__all__ = ["SecretStore", "SecretStoreError"]
