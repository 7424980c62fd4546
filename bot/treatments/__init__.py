"""Treatment lookups: the curated, sourced knowledge base shipped with Anagen."""
