"""Moving a studio's data in and out: encrypted backups, KeePass, plain exports."""
