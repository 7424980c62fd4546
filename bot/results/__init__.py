"""Community results: published as releases (a frozen, rounded snapshot of every public
number, made when a batch of members has taken part) that commands read; statistics by
scipy, charts by matplotlib, exports for moderators."""
