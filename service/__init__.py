"""The HTTP service and the command line: the edges where users meet marja."""
