"""Operations: health check, structured logs and the admin audit, backup and restore."""
