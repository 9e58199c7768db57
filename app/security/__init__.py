"""Security: permission names, the role table, the row-scope rule and masking."""
