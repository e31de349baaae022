"""The Action API: module contracts, the dispatcher, result formatting."""
