"""The application service (one method per use case, the one door for every write) and
what it is made of: credentials, what a use case recorded, the day a plan is shown as
of, and the one parser for dates and moments given by people."""
