"""Domain logic with no HTTP: each function takes a database session and plain values."""
