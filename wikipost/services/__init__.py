"""Business rules shared by the API, the CLI and the jobs."""
