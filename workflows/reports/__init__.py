"""Reports on how requests and assistance tasks are handled, for a practice and, for the
processor, across practices: the figures (`figures`), their charts (`charts`) and their CSV
files (`downloads`)."""
