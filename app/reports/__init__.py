"""Statistics, the assessment report (考核表) and the Excel export (domain.md §8)."""
