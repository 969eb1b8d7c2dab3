"""Built-in rules, one module per rule, registered through the `backend_reviewer.rules` entry points."""
