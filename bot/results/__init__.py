"""Community results: what the stored answers say, counted in SQL, tested with scipy, drawn
with matplotlib, and never showing a group smaller than the server's minimum size."""
