"""Analysis: agreement metrics, match and tournament ratings, compute frontiers and reports."""
