"""Services: the only code that changes data with rules attached."""
