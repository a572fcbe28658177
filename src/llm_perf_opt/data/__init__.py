"""Plain data records (attrs classes, no business logic)."""
